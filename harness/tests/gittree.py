"""A made-up developer's git tree for the ab and bisect tests, from Debian's
linux-source-6.12 tarball (python3 -m harness.tests.gittree prints it):

    C1  the tarball with kernel-patches/series-6.12 applied (the tree
        carries the switch and the knobs itself: PATCHES=none)
    C2  ovl: every open of an overlay file runs 256 more iterations of the
        knob's loop (the regression; not the knob's default, which the
        harness sets to 0 before every point)
    C3  a line in Documentation/ (changes no instruction of the kernel)

Authors, dates and content are fixed, so the commit ids are the same on
every machine, and so are the kernel cache's keys: a cached CI machine
builds nothing. Kept in the cache (made once, then renamed into place).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from harness.kernel import kbuild, kcache
from harness.paths import cache_dir, REPO

TARBALL = Path("/usr/src/linux-source-6.12.tar.xz")
SERIES = REPO / "kernel-patches" / "series-6.12"
OPEN = "\tovl_synthetic_work(OVL_FS(inode->i_sb)->synthetic_open_cost);"
OPEN_256 = ("\tovl_synthetic_work(OVL_FS(inode->i_sb)->synthetic_open_cost"
            " + 256);")
# in the tree's path: a new recipe is a new tree (and a new clone of it)
RECIPE = "v2"
DOC = "Documentation/filesystems/overlayfs.rst"
ENV = {"GIT_AUTHOR_NAME": "mntbench", "GIT_AUTHOR_EMAIL": "mntbench@localhost",
       "GIT_COMMITTER_NAME": "mntbench",
       "GIT_COMMITTER_EMAIL": "mntbench@localhost",
       "GIT_AUTHOR_DATE": "2026-12-04T00:00:00+0000",
       "GIT_COMMITTER_DATE": "2026-12-04T00:00:00+0000"}


def _git(tree: Path, *args: str) -> str:
    env = {**os.environ, **ENV, "GIT_CONFIG_GLOBAL": "/dev/null",
           "GIT_CONFIG_NOSYSTEM": "1"}
    return subprocess.run(["git", "-C", str(tree), *args], env=env,
                          check=True, capture_output=True,
                          text=True).stdout.strip()


def commits(tree: Path) -> list[str]:
    """C1, C2, C3."""
    return _git(tree, "rev-list", "--reverse", "HEAD").split()


def make(tarball: Path = TARBALL) -> Path:
    """The tree (made if absent): its path."""
    sid = kbuild.source_identity(tarball)[:12]
    tree = cache_dir() / "testtrees" / f"linux-6.12-{RECIPE}-{sid}"
    if (tree / ".git").is_dir():
        kcache.touch(tree)
        return tree
    tmp = tree.with_name(tree.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        subprocess.run(["tar", "xf", str(tarball), "-C", str(tmp),
                        "--strip-components=1"], check=True)
        for name in (SERIES / "series").read_text().split():
            subprocess.run(["git", "apply", str(SERIES / name)], cwd=tmp,
                           check=True)
        _git(tmp, "init", "-q", "-b", "master")
        _git(tmp, "add", "-f", "-A")
        _git(tmp, "commit", "-q", "-m",
             "C1 Linux 6.12 (Debian) with mntbench's series-6.12")
        fc = tmp / "fs" / "overlayfs" / "file.c"
        text = fc.read_text()
        assert text.count(OPEN) == 1, "series-6.12 changed: no knob call"
        fc.write_text(text.replace(OPEN, OPEN_256))
        _git(tmp, "commit", "-q", "-a", "-m",
             "C2 ovl: 256 more loop iterations per open (a regression)")
        with open(tmp / DOC, "a") as f:
            f.write("\n.. mntbench test tree: a change of no code\n")
        _git(tmp, "commit", "-q", "-a", "-m", "C3 Documentation: a comment")
        tmp.rename(tree)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return tree


if __name__ == "__main__":
    t = make()
    print(t, *commits(t))
    sys.exit(0)
