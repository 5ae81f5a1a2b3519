"""The cache's size bound: least recently used entries go first.

    python3 -m harness.kernel.kcache          what the cache holds, by last use
    python3 -m harness.kernel.kcache --clean  remove every entry not in use,
                                   and say what that freed (make clean-cache)

Entries are the big things under $MNTBENCH_CACHE (harness/paths.py):
built kernels (kernel/out/<key>), a kernel line's work tree and objects
(kernel/work/<line>), clones of developers' git trees (git/<id>), the
test's made-up tree (testtrees/<name>) and fetched Debian tarballs
(ksrc/*.tar.xz). A use stamps <entry>/.used. After each build the cache
is brought under MNTBENCH_CACHE_MAX_GB (default 40) by removing the
least recently used entries; one whose lock a build holds, and the ones
that build just used, are kept.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from harness import errors
from harness.paths import cache_dir

DEFAULT_MAX_GB = 40.0
STAMP = ".used"
GIB = 1 << 30


@dataclass(frozen=True)
class Entry:
    path: Path
    kind: str
    size: int           # bytes on disk
    used: float         # epoch seconds of the last use


def touch(path: Path) -> None:
    """Stamp a use of the entry at path (best effort: a full disk only
    makes it look older)."""
    try:
        (path / STAMP).touch()
    except OSError:
        pass


def _disk(path: Path) -> int:
    try:
        st = path.lstat()
    except OSError:
        return 0
    total = st.st_blocks * 512
    if path.is_dir() and not path.is_symlink():
        for root, dirs, files in os.walk(path):
            for name in dirs + files:
                try:
                    total += os.lstat(os.path.join(root, name)).st_blocks * 512
                except OSError:
                    pass
    return total


def _used(path: Path) -> float:
    for p in (path / STAMP, path):
        try:
            return p.stat().st_mtime
        except OSError:
            continue
    return 0.0


def entries(root: Path) -> list[Entry]:
    """Every entry, least recently used first."""
    found = []
    for kind, pattern in (("kernel", "kernel/out/*"),
                          ("work tree", "kernel/work/*"),
                          ("git clone", "git/*"),
                          ("test tree", "testtrees/*"),
                          ("source tarball", "ksrc/*.tar.xz")):
        for p in sorted(root.glob(pattern)):
            if p.name.endswith(".tmp"):
                continue    # kbuild's sweep owns those
            found.append(Entry(p, kind, _disk(p), _used(p)))
    return sorted(found, key=lambda e: e.used)


def _busy(path: Path) -> bool:
    """Whether a build or checkout holds the entry's lock."""
    lock = path / "lock"
    try:
        fd = os.open(lock, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def _remove(e: Entry) -> None:
    if e.path.is_dir() and not e.path.is_symlink():
        shutil.rmtree(e.path, ignore_errors=True)
    else:
        e.path.unlink(missing_ok=True)


def _gib(n: float) -> str:
    return f"{n / GIB:.1f} GiB"


def max_bytes() -> float:
    raw = os.environ.get("MNTBENCH_CACHE_MAX_GB", "")
    try:
        gb = float(raw) if raw else DEFAULT_MAX_GB
    except ValueError:
        gb = float("nan")
    if not gb > 0 or gb == float("inf"):
        raise errors.InputError(f"MNTBENCH_CACHE_MAX_GB={raw!r}: allowed: "
                                "a number of GiB > 0")
    return gb * GIB


def bound(root: Path, keep: set[Path] = frozenset()) -> list[Entry]:
    """Remove least recently used entries until the cache is under its
    bound; the removed ones (each said in one line)."""
    limit = max_bytes()
    all_ = entries(root)
    total = sum(e.size for e in all_)
    gone = []
    for e in all_:
        if total <= limit:
            break
        if e.path in keep or _busy(e.path):
            continue
        _remove(e)
        total -= e.size
        gone.append(e)
        print(f"kernel cache: over {_gib(limit)}: removed the {e.kind} "
              f"{e.path.name} ({_gib(e.size)}, last used "
              f"{time.strftime('%Y-%m-%d %H:%M', time.localtime(e.used))})",
              file=sys.stderr)
    return gone


def clean(root: Path) -> tuple[list[Entry], list[Entry]]:
    """Remove every entry no build holds: (removed, kept busy)."""
    gone, busy = [], []
    for e in entries(root):
        (busy if _busy(e.path) else gone).append(e)
    for e in gone:
        _remove(e)
    return gone, busy


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="mntbench-kcache",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("--clean", action="store_true",
                    help="remove every entry no build is using")
    args = ap.parse_args(argv)
    root = cache_dir()
    if args.clean:
        gone, busy = clean(root)
        for e in gone:
            print(f"clean-cache: removed the {e.kind} {e.path} "
                  f"({_gib(e.size)})")
        for e in busy:
            print(f"clean-cache: kept the {e.kind} {e.path}: a build is "
                  "using it")
        kinds = {}
        for e in gone:
            kinds[e.kind] = kinds.get(e.kind, 0) + 1
        what = ", ".join(f"{n} {k}{'s' if n > 1 else ''}"
                         for k, n in kinds.items()) or "nothing"
        print(f"clean-cache: freed {_gib(sum(e.size for e in gone))} "
              f"({what}) in {root}")
        return 0
    try:
        limit = max_bytes()
    except errors.InputError as e:
        print(f"mntbench-kcache: error: {e}", file=sys.stderr)
        return 2
    all_ = entries(root)
    for e in all_:
        print(f"{time.strftime('%Y-%m-%d %H:%M', time.localtime(e.used))}  "
              f"{_gib(e.size):>9}  {e.kind:<15} {e.path}")
    print(f"total {_gib(sum(e.size for e in all_))} of {_gib(limit)} "
          f"(MNTBENCH_CACHE_MAX_GB) in {root}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
