"""A small tmpfs for the disk-full tests (issue 29): mounted for one test
(as root), unmounted and removed in its cleanup whatever happens."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path

ROOT = os.geteuid() == 0
NEEDS_ROOT = "mounting a tmpfs needs root"


def mount(case: unittest.TestCase, size: str) -> Path:
    """A fresh tmpfs of size (mount -o size=, e.g. 16k) for the test."""
    tmp = Path(tempfile.mkdtemp(prefix=f"mntbench-{type(case).__name__}-"))
    case.addCleanup(shutil.rmtree, tmp, True)
    mnt = tmp / "mnt"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs",
                    str(mnt)], check=True)
    case.addCleanup(_umount, mnt)
    return mnt


def _umount(mnt: Path) -> None:
    if subprocess.run(["umount", str(mnt)]).returncode != 0:
        subprocess.run(["umount", "-l", str(mnt)])


def fill(path: Path) -> int:
    """Write path until its disk is full; the bytes written."""
    n = 0
    with open(path, "ab", buffering=0) as f:
        for size in (65536, 4096, 512, 1):
            chunk = b"\0" * size
            try:
                while True:
                    n += f.write(chunk)
            except OSError:
                pass
    return n
