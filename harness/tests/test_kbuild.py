"""Kernel build: cache hits, and clear failures that leave nothing behind."""

from __future__ import annotations

import os
import subprocess
import tempfile
import unittest
from pathlib import Path

from harness import errors
from harness.kernel import kbuild
from harness.paths import REPO
from harness.tests import common

BAD_PATCH = """\
From: mntbench <mntbench@localhost>
Subject: [PATCH] does not apply

---
 fs/overlayfs/super.c | 2 +-
 1 file changed, 1 insertion(+), 1 deletion(-)

diff --git a/fs/overlayfs/super.c b/fs/overlayfs/super.c
--- a/fs/overlayfs/super.c
+++ b/fs/overlayfs/super.c
@@ -1,3 +1,3 @@
-this line is not in the file
+nor is this one
 so the patch cannot apply
 anywhere
"""


def cli(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run(["/usr/bin/python3", "-m", "harness.kernel.kbuild",
                           *args],
                          capture_output=True, text=True, env=env)


class KbuildTest(unittest.TestCase):
    def test_cached_build_is_found_again(self):
        k = common.kernel()
        self.assertTrue(k.bzimage.stat().st_size > 0)
        self.assertTrue(k.vmlinux.stat().st_size > 0)
        p = cli()
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(str(k.bzimage), p.stdout)
        self.assertNotIn("building", p.stdout)

    def test_key_depends_on_series_and_fragment(self):
        series = kbuild.series_for(kbuild.DEFAULT_KSRC)
        base = kbuild.kernel_key(kbuild.DEFAULT_KSRC, series,
                                 kbuild.DEFAULT_FRAGMENT)[-1]
        none = kbuild.kernel_key(kbuild.DEFAULT_KSRC, None,
                                 kbuild.DEFAULT_FRAGMENT)[-1]
        with tempfile.NamedTemporaryFile("w", suffix=".config") as f:
            f.write(kbuild.DEFAULT_FRAGMENT.read_text() + "CONFIG_X=y\n")
            f.flush()
            frag = kbuild.kernel_key(kbuild.DEFAULT_KSRC, series,
                                     Path(f.name))[-1]
        self.assertEqual(len({base, none, frag}), 3)

    def test_patch_that_does_not_apply(self):
        # the line's series, then a patch that does not apply: the work
        # tree holding the series (tree-state) gets only the last patch
        # tried, and is left holding the series, as the next build wants
        # (no sync of the whole source, before or after)
        line = kbuild.series_for(kbuild.DEFAULT_KSRC)
        with tempfile.TemporaryDirectory() as d:
            names = []
            for p in kbuild.read_series(line):
                Path(d, p.name).write_bytes(p.read_bytes())
                names.append(p.name)
            Path(d, "9999-bad.patch").write_text(BAD_PATCH)
            Path(d, "series").write_text(
                "".join(f"{n}\n" for n in names + ["9999-bad.patch"]))
            p = cli("--patches", d)
        self.assertEqual(p.returncode, errors.BuildError.exit_code)
        self.assertIn("patch 9999-bad.patch does not apply", p.stderr)
        # one line of error; beside it only the notice that another build
        # of the line's work tree held it (make test's other lane) and
        # progress lines ("kernel: unpacking source: 0:30 elapsed" when a
        # loaded host takes that long to unpack)
        lines = p.stderr.strip().splitlines()
        self.assertEqual(len([x for x in lines if "error" in x]), 1, lines)
        self.assertEqual([x for x in lines if "error" not in x and
                          "another build of" not in x and
                          not x.endswith(" elapsed")], [], lines)

    def test_missing_series_file(self):
        with tempfile.TemporaryDirectory() as d:
            p = cli("--patches", d)
        self.assertEqual(p.returncode, errors.InputError.exit_code)
        self.assertIn("no 'series' file", p.stderr)

    def test_missing_source(self):
        p = cli("--ksrc", "/nonexistent/linux.tar.xz")
        self.assertEqual(p.returncode, errors.InputError.exit_code)
        self.assertIn("KSRC=/nonexistent/linux.tar.xz", p.stderr)

    def test_fragment_option_the_tree_lacks(self):
        with tempfile.NamedTemporaryFile("w", suffix=".config") as f:
            f.write(kbuild.DEFAULT_FRAGMENT.read_text()
                    + "CONFIG_MNTBENCH_NO_SUCH_OPTION=y\n")
            f.flush()
            p = cli("--fragment", f.name)
        self.assertEqual(p.returncode, errors.BuildError.exit_code, p.stderr)
        self.assertIn("CONFIG_MNTBENCH_NO_SUCH_OPTION=y", p.stderr)
        self.assertNotIn("CONFIG_OVERLAY_FS", p.stderr)


if __name__ == "__main__":
    unittest.main()


class SeriesForVersionTest(unittest.TestCase):
    """PATCHES=auto: the series is picked by the tree's VERSION and
    PATCHLEVEL; a version without one is a one-line build error."""

    def fake_tree(self, d: Path, version: int, patchlevel: int) -> Path:
        (d / "fs").mkdir(parents=True)
        (d / "Makefile").write_text(
            f"# SPDX-License-Identifier: GPL-2.0\nVERSION = {version}\n"
            f"PATCHLEVEL = {patchlevel}\nSUBLEVEL = 0\n")
        return d

    def test_debian_sources(self):
        self.assertEqual(kbuild.tree_version(kbuild.DEFAULT_KSRC), (6, 12))
        self.assertEqual(kbuild.parse_patches("auto", kbuild.DEFAULT_KSRC),
                         REPO / "kernel-patches" / "series-6.12")
        old = Path("/usr/src/linux-source-6.1.tar.xz")
        if old.is_file():
            self.assertEqual(kbuild.series_for(old),
                             REPO / "kernel-patches" / "series-6.1")

    def test_tree_and_none(self):
        with tempfile.TemporaryDirectory() as d:
            tree = self.fake_tree(Path(d), 6, 1)
            self.assertEqual(kbuild.tree_version(tree), (6, 1))
            self.assertIsNone(kbuild.parse_patches("none", tree))
            self.assertEqual(kbuild.parse_patches("/x/y", tree), Path("/x/y"))

    def test_version_without_series(self):
        with tempfile.TemporaryDirectory() as d:
            tree = self.fake_tree(Path(d), 5, 10)
            with self.assertRaises(errors.BuildError) as cm:
                kbuild.series_for(tree)
            msg = str(cm.exception)
            self.assertIn("Linux 5.10", msg)
            self.assertIn("series-6.1, series-6.12", msg)
            self.assertIn("PATCHES=none", msg)
            p = cli("--ksrc", str(tree))
            self.assertEqual(p.returncode, 3, p.stderr)
            self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
