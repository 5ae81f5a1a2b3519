"""A result set's files: where each lives, how each is written (write,
then rename), the set's lock, and the sweep of what a killed run left.
Every stage writes sets; reading one back is analysis/resultset.py.

    <set>/manifest.json   what ran where (schema mntbench.manifest/1);
                          "status" is complete, incomplete or failed
    <set>/samples.json    one record per value (schema
                          mntbench.samples/2, harness/analysis/samples.py)
    <set>/raw/, probes/, console/   ovlbench and mntlock outputs, boot logs
    <set>/summary.json, report.txt, report.md, plots/
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
from pathlib import Path

from harness import errors, point, setcheck

MANIFEST_SCHEMA = "mntbench.manifest/1"
# The most a reader takes of a failure note (failed/<id>.txt: a tool's
# stderr, a line or a few); a larger one is refused, not read whole
MAX_NOTE = 64 * 1024


def write_json(path: Path, doc) -> None:
    """Write, then rename: a reader never sees half a file."""
    write_text(path, json.dumps(doc, indent=1, sort_keys=True) + "\n")


def write_text(path: Path, text: str) -> None:
    """Write, then rename; the temp file (named with our pid, so that
    sweep() can tell it from a live writer's) never outlives a failure."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


# A temp file's name: <name>.tmp (ovlbench, mntlock, the guest's own
# writes), .<name>.<pid>.tmp (write_text), .<name>.<pid>.tmp.<ext> (plots)
_TEMP = re.compile(r"(?:\.(\d+))?\.tmp(?:\.\w+)?$")


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def _stale(sdir: Path, f: Path) -> bool:
    if not f.is_file():
        return False
    m = _TEMP.search(f.name)
    if m:
        return not (m.group(1) and pid_alive(int(m.group(1))))
    # a failure note that lost its text to a full disk
    return f.parent == sdir / "failed" and f.suffix == ".txt" \
        and f.stat().st_size == 0


def sweep(sdir: Path) -> list[Path]:
    """Remove the temp files a killed or failed run left in a set, and
    empty failure notes; temp files named with the pid of a live process
    are its, and stay. The caller holds the set's lock (lock()), so no
    other run writes the rest. The removed files."""
    gone = []
    dirs = [sdir, *(d for d in sorted(sdir.iterdir())
                    if d.is_dir() and not d.name.startswith(".vm-"))]
    for d in dirs:
        for f in sorted(d.iterdir()):
            if _stale(sdir, f):
                f.unlink(missing_ok=True)
                gone.append(f)
    return gone


@contextlib.contextmanager
def lock(sdir: Path):
    """Hold the set for this run: a second run (or --resume) on the same
    set is refused while the first one lives. flock on the directory
    itself: nothing to leave behind."""
    fd = os.open(sdir, os.O_RDONLY | os.O_DIRECTORY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise errors.InputError(
                f"set {sdir}: another run is using it") from None
        yield
    finally:
        os.close(fd)


def check_writable(d: Path, what: str) -> None:
    """Fail now, not after hours of points, if d cannot take our files:
    create (with its missing parents) and remove a file in it. The
    directories made for the test are removed again."""
    absent, p = [], Path(os.path.abspath(d))
    while not p.exists() and not p.is_symlink() and p != p.parent:
        absent.append(p)
        p = p.parent
    made: list[Path] = []
    probe = Path(d) / f".write-test.{os.getpid()}.tmp"
    try:
        for m in reversed(absent):
            m.mkdir()
            made.insert(0, m)
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            os.write(fd, b"x")
        finally:
            os.close(fd)
            probe.unlink()
    except OSError as e:
        raise errors.InputError(f"{what} {d}: not writable: "
                                f"{e.strerror}") from e
    finally:
        for m in made:
            with contextlib.suppress(OSError):
                m.rmdir()


def window_file(sdir: Path, p: point.Point) -> Path:
    """The coherence plugin's window of a point that loads it."""
    return sdir / point.COHERENCE / f"{p.id}.json"


def windows_dir(sdir: Path) -> Path:
    """Where the plugin writes each window before the guest files it
    under its point (window_file)."""
    return sdir / point.COHERENCE / "windows"


def point_files(sdir: Path, p: point.Point) -> list[Path]:
    """What a point leaves when it ran: ovlbench's output, and mntlock's
    for a probe point, the plugin's window for a coherence point."""
    files = [sdir / "raw" / f"{p.id}.json"]
    if p.probe:
        files.append(sdir / "probes" / f"{p.id}.json")
    if p.plugin == point.COHERENCE:
        files.append(window_file(sdir, p))
    return files


def complete(sdir: Path, p: point.Point) -> bool:
    """A point is done when all of its files are there and parse: a run
    killed between ovlbench's write and mntlock's is not."""
    for f in point_files(sdir, p):
        try:
            setcheck.loads(f.read_bytes(), str(f))
        except (OSError, errors.InputError):
            return False
    return True
