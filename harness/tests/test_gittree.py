"""A developer's git tree at three commits (harness/tests/gittree.py: C1
Debian's 6.12 with the series, C2 256 more loop iterations per open,
C3 a line of Documentation/): `make ab` between two commits and `make
bisect` between C1 and C3, through ./mntbench, on real kernels built from
a clone of the tree's own; the tree, its index and refs are left as they
were. Kernels are cached by commit, so a cached machine builds nothing;
a cold one builds C1 in full and C2, C3 incrementally."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import unittest
from pathlib import Path

from harness.paths import REPO
from harness.tests import gittree

MNTBENCH = str(REPO / "mntbench")


def state(tree: Path) -> dict:
    """What a user would notice of their tree: HEAD, refs, index, status,
    config, worktrees."""
    def git(*a):
        return subprocess.run(["git", "-C", str(tree), *a], check=True,
                              capture_output=True, text=True).stdout
    index = tree / ".git" / "index"
    return {"head": git("rev-parse", "HEAD"), "refs": git("for-each-ref"),
            "status": git("status", "--porcelain", "--untracked-files=all"),
            "index": (index.stat().st_mtime_ns, index.stat().st_size),
            "config": (tree / ".git" / "config").read_text(),
            "worktrees": git("worktree", "list", "--porcelain"),
            "bisect": (tree / ".git" / "BISECT_LOG").exists()}


def mntbench(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    return subprocess.run([MNTBENCH, *args], env=env, text=True,
                          capture_output=True)


class GitTree(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tree = gittree.make()
        cls.c1, cls.c2, cls.c3 = gittree.commits(cls.tree)
        cls.before = state(cls.tree)
        cls.tmp = Path(tempfile.mkdtemp(prefix="mntbench-gittree-"))

    def tearDown(self):
        self.assertEqual(state(self.tree), self.before,
                         "the developer's tree changed")

    def ab(self, base: str, cand: str, name: str):
        return mntbench("ab", f"KSRC={self.tree}", f"BASE_REF={base}",
                        f"CAND_REF={cand}", "PATCHES=none",
                        "AB_PROFILE=bisect", "ROUNDS=3", "SEED=1", "CPUS=2",
                        f"OUT={self.tmp / name}")

    def test_a_bad_ref_is_bad_input(self):
        r = mntbench("ab", f"KSRC={self.tree}", "BASE_REF=no-such-ref",
                     f"CAND_REF={self.c2}", "PATCHES=none")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("REF=no-such-ref: not a commit of the git tree",
                      r.stderr)

    def test_ab_calls_the_overlayfs_change_a_regression(self):
        r = self.ab(self.c1, self.c2, "ab12")
        self.assertEqual(r.returncode, 1, r.stdout[-3000:] + r.stderr)
        info = json.loads((self.tmp / "ab12" / "cand" / "manifest.json")
                          .read_text())
        self.assertIn(self.c2, json.dumps(info))

    def test_ab_calls_the_documentation_change_equivalent(self):
        r = self.ab(self.c2, self.c3, "ab23")
        self.assertEqual(r.returncode, 0, r.stdout[-3000:] + r.stderr)

    def test_bisect_names_c2(self):
        r = mntbench("bisect", f"KSRC={self.tree}", f"GOOD={self.c1}",
                     f"BAD={self.c3}", "PATCHES=none", "CPUS=2",
                     f"OUT={self.tmp / 'bisect'}")
        self.assertEqual(r.returncode, 0, r.stdout[-3000:] + r.stderr)
        self.assertIn(f"bisect: first bad commit {self.c2}", r.stdout)
        doc = json.loads((self.tmp / "bisect" / "bisect.json").read_text())
        self.assertEqual(doc["first_bad"], self.c2)
        self.assertEqual({s["commit"]: s["verdict"] for s in doc["steps"]},
                         {self.c3: 1, self.c2: 1})


if __name__ == "__main__":
    unittest.main()
