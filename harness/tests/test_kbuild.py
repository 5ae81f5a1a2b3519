"""Kernel build: cache hits, and clear failures that leave nothing behind."""

from __future__ import annotations

import os
import subprocess
import tempfile
import unittest
from pathlib import Path

from harness import errors, kbuild
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
    return subprocess.run(["/usr/bin/python3", "-m", "harness.kbuild", *args],
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
        base = kbuild.kernel_key(kbuild.DEFAULT_KSRC, kbuild.DEFAULT_PATCHES,
                                 kbuild.DEFAULT_FRAGMENT)[-1]
        none = kbuild.kernel_key(kbuild.DEFAULT_KSRC, None,
                                 kbuild.DEFAULT_FRAGMENT)[-1]
        with tempfile.NamedTemporaryFile("w", suffix=".config") as f:
            f.write(kbuild.DEFAULT_FRAGMENT.read_text() + "CONFIG_X=y\n")
            f.flush()
            frag = kbuild.kernel_key(kbuild.DEFAULT_KSRC,
                                     kbuild.DEFAULT_PATCHES, Path(f.name))[-1]
        self.assertEqual(len({base, none, frag}), 3)

    def test_patch_that_does_not_apply(self):
        with tempfile.TemporaryDirectory() as d:
            Path(d, "0001-bad.patch").write_text(BAD_PATCH)
            Path(d, "series").write_text("0001-bad.patch\n")
            p = cli("--patches", d)
        self.assertEqual(p.returncode, errors.BuildError.exit_code)
        self.assertIn("patch 0001-bad.patch does not apply", p.stderr)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1)

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
