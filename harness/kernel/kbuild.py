"""Build the patched guest kernel, cached outside the checkout.

Layout under $MNTBENCH_CACHE (default ~/.cache/mntbench)/kernel:

    work/linux-X.Y/tree       the source last built on this line (a
                              tarball, a tree, a git commit), the series
                              applied; synced by content, so files that
                              did not change keep their mtime
    work/linux-X.Y/build-<frag>  out-of-tree build (O=), reused by every
                              source and series of the line: the next
                              build recompiles only what differs (the
                              next bisect step, ab's other commit)
    out/<key>/                bzImage, vmlinux, .config, info.json, where key
                              hashes source identity, series and fragment
    progress/<config>.json    per .config hash: the objects a finished build
                              holds, and the last full compile's time at
                              each object, for the next build's progress
                              line and ETA (not part of any key)

The given source (tarball or tree) is never modified. An unpack or a
publish cut short (Ctrl-C, a full disk) removes its temp directory; one
left by a killed build (tree.tmp, out/<key>.<pid>.tmp) is removed at the
start of the next kbuild, unless its build still runs (its work lock is
held, or the pid in its name lives). A tree whose sync or a patch of
whose series was cut short has no tree-state, and is synced again in
full; one that holds the source and the first patches of a series gets
the rest applied (tree-state lists them).
"""

from __future__ import annotations

import argparse
import errno
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path

from harness import errors, setfiles
from harness.kernel import gitsrc, kcache, progress
from harness.paths import cache_dir, REPO

DEFAULT_KSRC = Path("/usr/src/linux-source-6.12.tar.xz")
PATCHES_DIR = REPO / "kernel-patches"
# PATCHES=auto: the series for the tree's version, series-<V>.<P>/
AUTO = "auto"
DEFAULT_PATCHES = AUTO
DEFAULT_FRAGMENT = REPO / "kernel-patches" / "mntbench.config"


@dataclass(frozen=True)
class Kernel:
    """A built kernel: what the VM boots and what the probes read."""

    dir: Path
    bzimage: Path
    vmlinux: Path
    config: Path
    info: dict

    @property
    def has_switch(self) -> bool:
        if "switch" in self.info:
            return bool(self.info["switch"])
        return has_switch(self.dir / "System.map")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


LOG_TAIL = 10


def _log_tail(log) -> str:
    """The last lines of a build log, indented under the error line."""
    try:
        log.flush()
        lines = Path(log.name).read_text(errors="replace").splitlines()
    except OSError:
        return ""
    lines = [ln for ln in lines if ln.strip()][-LOG_TAIL:]
    return "".join(f"\n    {ln}" for ln in lines)


def _run(cmd: list[str], rep: progress.Reporter, cwd: Path | None = None,
         log=None) -> None:
    rc, out = progress.run(cmd, rep, cwd=cwd, log=log)
    if rc != 0:
        if log:
            raise errors.BuildError(
                f"{' '.join(cmd)} failed (exit {rc}; log "
                f"{log.name}), its last lines:{_log_tail(log)}")
        detail = out.decode(errors="replace").strip().splitlines()
        raise errors.BuildError(
            f"{' '.join(cmd)} failed (exit {rc})"
            + "".join(f"\n    {ln}" for ln in detail[-LOG_TAIL:]))


def source_identity(ksrc: Path) -> str:
    """What the source is, cheaply: a file by stat, a git tree by HEAD and
    its uncommitted diff, any other tree by the stat of every file."""
    ksrc = ksrc.resolve()
    if ksrc.is_file():
        st = ksrc.stat()
        return _sha(f"file:{ksrc}:{st.st_size}:{st.st_mtime_ns}".encode())
    if not (ksrc / "Makefile").is_file():
        raise errors.InputError(
            f"KSRC={ksrc}: not a kernel tree or .tar.xz tarball")
    if (ksrc / ".git").exists():
        head = subprocess.run(["git", "-C", str(ksrc), "rev-parse", "HEAD"],
                              capture_output=True, check=True).stdout
        diff = subprocess.run(["git", "-C", str(ksrc), "diff", "HEAD"],
                              capture_output=True, check=True).stdout
        return _sha(b"git:" + head + diff)
    h = hashlib.sha256(b"dir:")
    for root, dirs, files in os.walk(ksrc):
        dirs.sort()
        for name in sorted(files):
            p = os.path.join(root, name)
            st = os.lstat(p)
            h.update(f"{p}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def tree_version(ksrc: Path) -> tuple[int, int]:
    """VERSION and PATCHLEVEL of a tree or tarball, from its top Makefile
    (a tarball's is read once per source identity, then cached)."""
    ksrc = ksrc.resolve()
    if not ksrc.is_file():
        return _makefile_version(ksrc / "Makefile",
                                 (ksrc / "Makefile").read_text())
    memo = cache_dir() / "kernel" / "versions" / source_identity(ksrc)
    if memo.is_file():
        v, p = memo.read_text().split(".")
        return int(v), int(p)
    try:
        with tarfile.open(ksrc, "r|*") as tar:
            for m in tar:
                if m.name.count("/") == 1 and m.name.endswith("/Makefile"):
                    text = tar.extractfile(m).read().decode(errors="replace")
                    break
            else:
                raise errors.InputError(
                    f"KSRC={ksrc}: no top-level Makefile in the tarball")
    except tarfile.TarError as e:
        raise errors.InputError(f"KSRC={ksrc}: not a readable tarball "
                                f"({e})") from e
    version = _makefile_version(ksrc, text)
    memo.parent.mkdir(parents=True, exist_ok=True)
    setfiles.write_text(memo, "%d.%d" % version)
    return version


def _makefile_version(where: Path, text: str) -> tuple[int, int]:
    v = re.search(r"^VERSION = (\d+)$", text, re.M)
    p = re.search(r"^PATCHLEVEL = (\d+)$", text, re.M)
    if not v or not p:
        raise errors.InputError(f"KSRC={where}: no VERSION/PATCHLEVEL in "
                                "its Makefile: not a kernel tree")
    return int(v[1]), int(p[1])


def series_for(ksrc: Path) -> Path:
    """kernel-patches/series-<VERSION>.<PATCHLEVEL> of the tree; a
    BuildError naming the version and the series there are if none."""
    v, p = tree_version(ksrc)
    d = PATCHES_DIR / f"series-{v}.{p}"
    if not (d / "series").is_file():
        have = ", ".join(sorted(x.name for x in PATCHES_DIR.glob(
            "series-*") if (x / "series").is_file()))
        raise errors.BuildError(
            f"KSRC={ksrc} is Linux {v}.{p}: kernel-patches/ has no "
            f"series-{v}.{p} (there are: {have}); PATCHES=none builds it "
            "without the switch, PATCHES=DIR with a series of your own")
    return d


def parse_patches(value: str | Path | None, ksrc: Path) -> Path | None:
    """PATCHES as given: 'none' or '' (no series), 'auto' (the tree's
    version's), or a series directory."""
    if value is None or str(value) in ("", "none"):
        return None
    if str(value) == AUTO:
        return series_for(ksrc)
    return Path(value)


def read_series(patches: Path | None) -> list[Path]:
    """The patches named by <dir>/series, in order; [] for none."""
    if patches is None:
        return []
    series = patches / "series"
    if not series.is_file():
        raise errors.InputError(
            f"PATCHES={patches}: no 'series' file there (or use PATCHES=none)")
    out = []
    for line in series.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        p = patches / line
        if not p.is_file():
            raise errors.InputError(
                f"series names {line}, missing in {patches}")
        out.append(p)
    return out


def series_hash(series: list[Path]) -> str:
    h = hashlib.sha256()
    for p in series:
        h.update(p.name.encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest() if series else ""


def _git(tree: Path) -> list[str]:
    return ["git", "-C", str(tree), "-c", "user.name=mntbench",
            "-c", "user.email=mntbench@localhost"]


def _init_git(tree: Path, rep: progress.Reporter) -> None:
    _run(_git(tree) + ["init", "-q"], rep)
    _run(_git(tree) + ["commit", "-q", "--allow-empty", "-m",
                       "mntbench work tree"], rep)


def _sync_tree(ksrc: Path, tree: Path,
               rep: progress.Reporter | None = None) -> None:
    """Make tree/ hold exactly the source's files. rsync compares content
    (-c) and does not copy times, so a file that did not change keeps
    its mtime and make does not rebuild what depends on it. tree/ stays
    a git repository of one empty commit: kbuild's setlocalversion then
    names every build X.Y.Z+, as before. A tarball's first unpack
    becomes the tree by a rename: a second copy of its 1.4 GB took 17 s
    and its removal 10 s more."""
    rep = rep or progress.Reporter()
    stage = tree.with_name(tree.name + ".tmp")
    shutil.rmtree(stage, ignore_errors=True)
    try:
        if ksrc.is_file():
            stage.mkdir(parents=True)
            rep.say(f"kernel: unpacking {ksrc}")
            with rep.start("unpacking source"):
                _run(["tar", "xf", str(ksrc), "-C", str(stage),
                      "--strip-components=1"], rep)
            src = stage
            if not tree.exists():
                _init_git(stage, rep)
                stage.rename(tree)
                return
        else:
            src = ksrc
        if not (tree / ".git").is_dir():
            tree.mkdir(parents=True, exist_ok=True)
            _init_git(tree, rep)
        rep.say(f"kernel: syncing {ksrc} into {tree} (by content)")
        with rep.start("syncing source"):
            _run(["rsync", "-rlpc", "--delete", "--exclude=/.git",
                  f"{src}/", f"{tree}/"], rep)
    finally:
        # an unpacked tarball is gigabytes
        shutil.rmtree(stage, ignore_errors=True)


def _work_key(ksrc: Path) -> str:
    """One work directory per kernel line (VERSION.PATCHLEVEL): Debian's
    tarball and a git tree of that line at any commit share its tree and
    objects. A tree without a version (a test's fake) gets its own."""
    try:
        v, p = tree_version(ksrc)
    except errors.InputError:
        return _sha(f"tree:{ksrc.resolve()}".encode())[:16]
    return f"linux-{v}.{p}"


def _patch_id(p: Path) -> str:
    return _sha(p.name.encode() + b"\0" + p.read_bytes())


def _write_state(state: Path, lines: list[str]) -> None:
    setfiles.write_text(state, "".join(f"{x}\n" for x in lines))


def _prepare_tree(ksrc: Path, work: Path, src_id: str, series: list[Path],
                  rep: progress.Reporter) -> Path:
    """work/tree as this source with this series applied. work/tree-state
    names what it holds: the source's id, then one line per patch applied
    in order. A tree holding this source and the first patches of the
    series gets the rest applied, not synced again (a series that failed
    at a patch, or PATCHES=none, then the line's series). While a patch
    is being applied there is no state: git apply changes all of a patch
    or nothing, but a kill mid-way leaves a tree to sync in full."""
    tree, state = work / "tree", work / "tree-state"
    want = [src_id] + [_patch_id(p) for p in series]
    try:
        have = state.read_text().splitlines() \
            if (tree / ".git").is_dir() else []
    except OSError:
        have = []
    if have == want:
        return tree
    if not have or want[:len(have)] != have:
        state.unlink(missing_ok=True)
        _sync_tree(ksrc, tree, rep)
        have = [src_id]
        _write_state(state, have)
    for p in series[len(have) - 1:]:
        state.unlink(missing_ok=True)
        res = subprocess.run(["git", "apply", "--whitespace=nowarn", str(p)],
                             cwd=tree, capture_output=True, text=True)
        if res.returncode != 0:
            _write_state(state, have)     # the patch changed nothing
            first = (res.stderr.strip().splitlines() or ["?"])[0]
            raise errors.BuildError(
                f"patch {p.name} does not apply to this source: {first}")
        have = have + [_patch_id(p)]
        _write_state(state, have)
        rep.say(f"kernel: applied {p.name}")
    return tree


def has_switch(system_map: Path) -> bool:
    """Whether the built kernel has the private_mounts parameter, whatever
    series (or tree) put it there."""
    return "__param_private_mounts" in system_map.read_text()


def _fragment_options(fragment: Path) -> dict[str, str]:
    """CONFIG_FOO -> wanted value ('n' for '# CONFIG_FOO is not set')."""
    opts = {}
    for line in fragment.read_text().splitlines():
        line = line.strip()
        if line.startswith("CONFIG_") and "=" in line:
            k, v = line.split("=", 1)
            opts[k] = v
        elif line.startswith("# CONFIG_") and line.endswith(" is not set"):
            opts[line[2:].split()[0]] = "n"
    return opts


def _configure(tree: Path, build: Path, fragment: Path, log,
               rep: progress.Reporter) -> None:
    make = ["make", "-s", "-C", str(tree), f"O={build}", "ARCH=x86_64"]
    cfg = build / ".config"
    stamp = build / ".mntbench-fragment"
    want = _sha(fragment.read_bytes())
    with rep.start("configuring"):
        if cfg.is_file() and stamp.is_file() and stamp.read_text() == want:
            # Same fragment: keep .config, only pick up Kconfig changes.
            _run(make + ["olddefconfig"], rep, log=log)
        else:
            build.mkdir(parents=True, exist_ok=True)
            _run(make + ["tinyconfig"], rep, log=log)
            _run(["scripts/kconfig/merge_config.sh", "-m", "-O", str(build),
                  str(cfg), str(fragment)], rep, cwd=tree, log=log)
            _run(make + ["olddefconfig"], rep, log=log)
            stamp.write_text(want)
    have = _fragment_options(cfg)  # same line format
    missing = [f"{k}={v}" for k, v in _fragment_options(fragment).items()
               if have.get(k, "n") != v]
    if missing:
        stamp.unlink(missing_ok=True)
        raise errors.BuildError(
            "kernel config lacks fragment options (absent from this tree "
            "or dependencies unmet): " + " ".join(missing))


def _compile(tree: Path, build: Path, log, rep: progress.Reporter,
             estimate: progress.Estimate) -> tuple[str, float]:
    """make bzImage vmlinux (kbuild's normal quiet output, into the log),
    its objects counted on rep (rep.done, rep.times); the kernel release
    and the seconds it took."""
    jobs = str(os.cpu_count() or 1)
    make = ["make", "-C", str(tree), f"O={build}", "ARCH=x86_64", f"-j{jobs}"]
    rep.start("compiling", counting=True, estimate=estimate)
    try:
        rc, _ = progress.run(make + ["bzImage", "vmlinux"], rep, log=log)
    finally:
        seconds = rep.stop()
    if rc != 0:
        tail = _log_tail(log)
        if os.strerror(errno.ENOSPC) in tail or _no_room(build):
            raise errors.BuildError(_cache_full(
                f"the compile in {build} stopped", os.strerror(errno.ENOSPC),
                f"; log {log.name}"))
        raise errors.BuildError(
            f"kernel compile failed (exit {rc}; log "
            f"{log.name}), its last lines:{tail}")
    rel = subprocess.run(make + ["-s", "kernelrelease"], capture_output=True,
                         text=True, check=True).stdout.strip()
    return rel, seconds


def _progress_file(root: Path, config_hash: str) -> Path:
    return root / "progress" / f"{config_hash[:16]}.json"


def _read_progress(root: Path, config_hash: str) -> dict:
    """The recorded counts of this config; {} if none (or unreadable:
    it only feeds a progress line)."""
    try:
        rec = json.loads(_progress_file(root, config_hash).read_text())
    except (OSError, ValueError):
        return {}
    return rec if isinstance(rec, dict) else {}


def _seed_progress(root: Path, config_hash: str) -> dict:
    """For a config built before counts were recorded: the objects of a
    finished build directory with this .config, and the longest
    build_seconds of its cached kernels (a full build's, not an
    incremental one's; it includes configuring). {} if none."""
    for b in sorted((root / "work").glob("*/build-*")):
        cfg = b / ".config"
        if (b / "vmlinux").is_file() and cfg.is_file() \
                and _sha(cfg.read_bytes()) == config_hash:
            break
    else:
        return {}
    secs = []
    for p in (root / "out").glob("*/info.json"):
        try:
            info = json.loads(p.read_text())
        except (OSError, ValueError):
            continue
        if info.get("config_hash") == config_hash \
                and isinstance(info.get("build_seconds"), (int, float)):
            secs.append(float(info["build_seconds"]))
    return {"objects": progress.count_objects(b),
            "seconds": max(secs) if secs else None}


def _estimate(root: Path, build: Path, config_hash: str
              ) -> tuple[progress.Estimate, bool, dict]:
    """What compiling in build should do: expected objects and ETA from
    this config's record (or seed) when the directory holds no finished
    build; unknown for an incremental build (make alone knows what a
    change rebuilds). Also whether it is a full build, and the record."""
    if (build / "vmlinux").exists():
        return progress.Estimate(), False, _read_progress(root, config_hash)
    rec = _read_progress(root, config_hash)
    known = rec if "seconds" in rec else {
        **_seed_progress(root, config_hash), **rec}
    objects, secs, times = (known.get("objects"), known.get("seconds"),
                            known.get("times"))
    have = progress.count_objects(build)
    expected = objects - have if isinstance(objects, int) \
        and objects > have else None
    return progress.Estimate(
        expected=expected,
        seconds=float(secs) if isinstance(secs, (int, float)) else None,
        times=tuple(times) if isinstance(times, list) and times else None,
    ), True, rec


def _save_progress(root: Path, build: Path, config_hash: str, full: bool,
                   rec: dict, seconds: float, times: list[float]) -> None:
    """Record the objects a finished build holds and, for a full build
    at least as long as the one recorded (not one resumed after a kill),
    its compile time at each object."""
    new = {"objects": progress.count_objects(build)}
    if full and len(times) >= len(rec.get("times") or ()):
        new.update(seconds=round(seconds, 1),
                   times=[round(t, 1) for t in times])
    else:
        new.update({k: rec[k] for k in ("seconds", "times") if k in rec})
    path = _progress_file(root, config_hash)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        setfiles.write_text(path, json.dumps(new) + "\n")
    except OSError:
        pass    # only the next build's progress line loses its ETA


# the cached files and where kbuild makes them
ARTEFACTS = {"bzImage": "arch/x86/boot/bzImage", "vmlinux": "vmlinux",
             "config": ".config", "System.map": "System.map"}


def _file_sha(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _record(path: Path) -> dict:
    st = path.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns,
            "sha256": _file_sha(path)}


def _no_room(d: Path) -> bool:
    try:
        return os.statvfs(d).f_bavail == 0
    except OSError:
        return False


def _cache_full(what: str, why: str, more: str = "") -> str:
    """The one line of a build that the cache's full disk stopped: no
    entry is published, and the next run builds."""
    return (f"kernel cache full: {what}: {why}; nothing stored (free some "
            f"space under {cache_dir()}, e.g. make clean-cache, and run "
            f"again: it builds{more})")


def _publish(build: Path, out: Path, info: dict) -> None:
    """Copy the artifacts with their sha256, then rename: a half-built
    kernel never shows."""
    tmp = out.with_name(f"{out.name}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        tmp.mkdir(parents=True)
        for name, made in ARTEFACTS.items():
            shutil.copy2(build / made, tmp / name)
        info = {**info, "artefacts": {name: _record(tmp / name)
                                      for name in ARTEFACTS}}
        (tmp / "info.json").write_text(json.dumps(info, indent=2) + "\n")
        shutil.rmtree(out, ignore_errors=True)
        tmp.rename(out)
    except OSError as e:
        if e.errno in (errno.ENOSPC, errno.EDQUOT):
            raise errors.BuildError(_cache_full(
                f"cannot store the kernel in {out}", e.strerror)) from e
        raise errors.BuildError(f"cannot store the kernel in {out}: {e}") \
            from e
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def sweep_cache(root: Path) -> list[Path]:
    """Remove what killed builds left in the kernel cache: a work
    directory's tree.tmp (a source copy cut short) when no build holds
    that directory's lock, and out/<key>.<pid>.tmp (a publish cut short)
    when that pid is gone; out/<key>.tmp, from before the pid was in the
    name, when no build runs at all. The removed paths."""
    gone, busy = [], False
    for work in sorted((root / "work").glob("*")):
        tmp = work / "tree.tmp"
        try:
            fd = os.open(work / "lock", os.O_RDONLY)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            busy = True
            os.close(fd)
            continue
        try:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
                gone.append(tmp)
        finally:
            os.close(fd)
    for tmp in sorted((root / "out").glob("*.tmp")):
        parts = tmp.name.split(".")
        pid = int(parts[-2]) if len(parts) == 3 and parts[1].isdigit() \
            else None
        if (not busy and pid is None) or (
                pid is not None and not setfiles.pid_alive(pid)):
            shutil.rmtree(tmp, ignore_errors=True)
            gone.append(tmp)
    return gone


def _damage(out: Path) -> str | None:
    """What is wrong with a cached kernel, or None: each artefact's size
    against info.json, and its sha256 whenever the mtime moved (a copy,
    a touch, an edit), or always when full. An entry from before the
    hashes were recorded is checked by structure (bzImage's own length,
    vmlinux's section table) and then gets them."""
    try:
        info = json.loads((out / "info.json").read_text())
    except (OSError, ValueError) as e:
        return f"{out / 'info.json'}: unreadable ({e})"
    if not isinstance(info, dict):
        return f"{out / 'info.json'}: not an object"
    arts = info.get("artefacts")
    if arts is None:
        bad = _legacy_damage(out)
        if bad is None:
            info["artefacts"] = {n: _record(out / n) for n in ARTEFACTS}
            setfiles.write_text(out / "info.json",
                                 json.dumps(info, indent=2) + "\n")
        return bad
    for name in ARTEFACTS:
        want = arts.get(name) if isinstance(arts, dict) else None
        path = out / name
        if not isinstance(want, dict):
            return f"{out / 'info.json'}: no record of {name}"
        try:
            st = path.stat()
        except OSError:
            return f"{path}: missing"
        if st.st_size != want.get("size"):
            return (f"{path}: {st.st_size} bytes, {want.get('size')} "
                    "recorded")
        if st.st_mtime_ns != want.get("mtime_ns") \
                and _file_sha(path) != want.get("sha256"):
            return f"{path}: sha256 differs from the one recorded"
    return None


def _legacy_damage(out: Path) -> str | None:
    for name in ARTEFACTS:
        if not (out / name).is_file():
            return f"{out / name}: missing"
    img = (out / "bzImage").read_bytes()
    # boot protocol: "HdrS" at 0x202; setup sectors at 0x1f1 and the
    # protected-mode part's 16-byte paragraphs at 0x1f4 give its length
    if len(img) < 0x210 or img[0x202:0x206] != b"HdrS":
        return f"{out / 'bzImage'}: not a bzImage"
    setup = (img[0x1f1] or 4) + 1
    want = setup * 512 + int.from_bytes(img[0x1f4:0x1f8], "little") * 16
    if len(img) < want:
        return f"{out / 'bzImage'}: {len(img)} bytes, its header says {want}"
    with open(out / "vmlinux", "rb") as f:
        head = f.read(64)
    size = (out / "vmlinux").stat().st_size
    if head[:4] != b"\x7fELF" or len(head) < 64:
        return f"{out / 'vmlinux'}: not an ELF file"
    shoff = int.from_bytes(head[0x28:0x30], "little")
    shend = shoff + int.from_bytes(head[0x3a:0x3c], "little") * \
        int.from_bytes(head[0x3c:0x3e], "little")
    if size < shend:
        return f"{out / 'vmlinux'}: {size} bytes, its sections end at {shend}"
    return None


def _load(out: Path) -> Kernel:
    return Kernel(dir=out, bzimage=out / "bzImage", vmlinux=out / "vmlinux",
                  config=out / "config",
                  info=json.loads((out / "info.json").read_text()))


def _cached(out: Path, rep: progress.Reporter) -> Kernel | None:
    """The cached kernel at out if it is whole; a damaged one is said in
    one line and removed, so that it is rebuilt and never booted."""
    if not (out / "info.json").is_file():
        return None
    bad = _damage(out)
    if bad is None:
        kcache.touch(out)
        return _load(out)
    rep.say(f"kernel: cached build damaged: {bad}; rebuilding it")
    shutil.rmtree(out, ignore_errors=True)
    return None


def kernel_key(ksrc: Path, patches: Path | None, fragment: Path) -> tuple:
    src_id = source_identity(ksrc)
    series = read_series(patches)
    ser = series_hash(series)
    frag = _sha(fragment.read_bytes())
    key = _sha(f"{src_id}\n{ser}\n{frag}".encode())[:16]
    return src_id, series, ser, frag, key


def ensure_kernel(ksrc: Path = DEFAULT_KSRC,
                  patches: Path | str | None = DEFAULT_PATCHES,
                  fragment: Path = DEFAULT_FRAGMENT,
                  rep: progress.Reporter | None = None,
                  ref: str | None = None) -> Kernel:
    """Return the kernel built from these inputs, building it if needed
    (patches: a series directory, None, or 'auto'; ref: a commit of the git
    tree ksrc, built from a clone of its own, harness/kernel/gitsrc.py). Its
    info also names the series directory (not part of its identity: the series
    hash is) and the commit, for a manifest to record. A build
    shows its progress on rep (default: stdout and stderr)."""
    if not ksrc.exists():
        raise errors.InputError(f"KSRC={ksrc}: no such file or directory")
    rep = rep or progress.Reporter()
    git = {}
    if ref:
        commit = gitsrc.resolve(ksrc, ref)
        git = {"git": {"repo": str(ksrc.resolve()), "ref": ref,
                       "commit": commit}}
        with gitsrc.checkout(ksrc, commit) as clone:
            patches = parse_patches(patches, clone)
            k = _ensure(clone, patches, fragment, rep)
    else:
        patches = parse_patches(patches, ksrc)
        k = _ensure(ksrc, patches, fragment, rep)
    return Kernel(dir=k.dir, bzimage=k.bzimage, vmlinux=k.vmlinux,
                  config=k.config, info={**k.info, **git, "patches": str(
                      patches.resolve()) if patches else None})


def _ensure(ksrc: Path, patches: Path | None, fragment: Path,
            rep: progress.Reporter) -> Kernel:
    if not fragment.is_file():
        raise errors.InputError(f"FRAGMENT={fragment}: no such file")
    src_id, series, ser, frag, key = kernel_key(ksrc, patches, fragment)
    root = cache_dir() / "kernel"
    sweep_cache(root)
    out = root / "out" / key
    k = _cached(out, rep)
    if k is not None:
        return k
    work = root / "work" / _work_key(ksrc)
    work.mkdir(parents=True, exist_ok=True)
    with open(work / "lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            rep.say(f"kernel: another build of {work.name} is running; "
                    "waiting for it")
            fcntl.flock(lock, fcntl.LOCK_EX)
        k = _cached(out, rep)
        if k is not None:
            return k
        kcache.touch(work)
        tree = _prepare_tree(ksrc.resolve(), work, src_id, series, rep)
        build = work / f"build-{frag[:12]}"
        build.mkdir(parents=True, exist_ok=True)
        logpath = build / "mntbench-build.log"
        t0 = time.monotonic()
        with open(logpath, "w") as log:
            rep.say(f"kernel: building in {build} (log: {logpath})")
            _configure(tree, build, fragment, log, rep)
            configured = _sha((build / ".config").read_bytes())
            est, full, rec = _estimate(root, build, configured)
            release, secs = _compile(tree, build, log, rep, est)
        rep.say(f"kernel: compiled {rep.done} objects in "
                f"{progress.clock_text(secs)}")
        _save_progress(root, build, configured, full, rec, secs, rep.times)
        info = {
            "key": key, "ksrc": str(ksrc.resolve()), "source_id": src_id,
            "series": [p.name for p in series], "series_hash": ser,
            "fragment_hash": frag, "release": release,
            "config_hash": _sha((build / ".config").read_bytes()),
            "build_seconds": round(time.monotonic() - t0, 1),
            "switch": has_switch(build / "System.map"),
        }
        _publish(build, out, info)
        kcache.touch(out)
    kcache.bound(root.parent, keep={work, out})
    return _load(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="mntbench-kernel",
        description="Build (or find cached) the patched guest kernel.")
    ap.add_argument("--ksrc", type=Path, default=DEFAULT_KSRC,
                    help="kernel source: .tar.xz or a tree "
                    "(default: %(default)s)")
    ap.add_argument("--patches", default=DEFAULT_PATCHES,
                    help="series directory, 'none', or 'auto': "
                    "kernel-patches/series-<VERSION>.<PATCHLEVEL> of the "
                    "tree (default: %(default)s)")
    ap.add_argument("--ref", help="a commit of the git tree --ksrc, built "
                    "from a clone of its own (the tree is not touched)")
    ap.add_argument("--fragment", type=Path, default=DEFAULT_FRAGMENT)
    ap.add_argument("--print-dir", action="store_true",
                    help="print only the kernel's artifact directory")
    args = ap.parse_args(argv)
    t0 = time.monotonic()
    try:
        k = ensure_kernel(args.ksrc, args.patches, args.fragment,
                          ref=args.ref)
    except errors.MntbenchError as e:
        print(f"mntbench-kernel: error: {e}", file=sys.stderr)
        return e.exit_code
    if args.print_dir:
        print(k.dir)
        return 0
    mode = ("switchable overlay modes" if k.has_switch
            else "no patches: the tree's own fixed overlay mode only")
    print(f"kernel: {k.info['release']} ready in {time.monotonic() - t0:.1f}s"
          f" ({mode})\nkernel: {k.bzimage}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
