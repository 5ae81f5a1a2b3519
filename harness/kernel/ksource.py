"""Debian's kernel source tarballs by version: KSRC=7.2 is
linux-source-7.2.tar.xz, from /usr/src when the package is installed,
else fetched from Debian's unstable suite into the cache.

    python3 -m harness.kernel.ksource 7.2     # prints the tarball's path

The fetch uses apt-get download through a private sources list made from
the machine's own (its first Debian URI, with the suite set to unstable)
and private lists and cache directories: the machine's apt configuration
and installed packages are left alone, and no host name is written in
the tree. The .deb is unpacked with dpkg-deb and its tarball kept,
written under a temporary name and renamed.

Exit status: 0 (the path printed), 2 a version that is not X.Y, 3 the
fetch failed (no such package, no network, no room).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from harness import errors
from harness.paths import cache_dir

VERSION = re.compile(r"[1-9][0-9]?\.[0-9]{1,3}")
SUITE = "unstable"
SYSTEM_SOURCES = (Path("/etc/apt/sources.list.d/debian.sources"),
                  Path("/etc/apt/sources.list"))


def is_version(ksrc: str) -> bool:
    return VERSION.fullmatch(ksrc) is not None


def installed(version: str) -> Path:
    return Path(f"/usr/src/linux-source-{version}.tar.xz")


def cached(version: str) -> Path:
    return cache_dir() / "ksrc" / f"linux-source-{version}.tar.xz"


def debian_uri(sources: list[Path] = list(SYSTEM_SOURCES)) -> str:
    """The machine's first Debian archive URI (deb822 or one-line)."""
    for f in sources:
        try:
            text = f.read_text()
        except OSError:
            continue
        for line in text.splitlines():
            words = line.split()
            if words[:1] == ["URIs:"] and len(words) > 1:
                return words[1]
            if words[:1] == ["deb"]:
                uri = [w for w in words[1:] if not w.startswith("[")]
                if uri:
                    return uri[0]
    raise errors.BuildError("no Debian archive in the machine's apt "
                            "sources: cannot fetch a kernel source")


def sources_line(uri: str) -> str:
    return (f"deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg]"
            f" {uri} {SUITE} main\n")


def _apt(work: Path) -> list[str]:
    return ["-o", f"Dir::Etc::SourceList={work / 'sources.list'}",
            "-o", "Dir::Etc::SourceParts=/nonexistent",
            "-o", f"Dir::State::Lists={work / 'lists'}",
            "-o", f"Dir::Cache={work / 'cache'}",
            "-o", "APT::Get::List-Cleanup=0", "-q"]


def fetch(version: str) -> Path:
    """The tarball of linux-source-VERSION, fetched into the cache."""
    dest = cached(version)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest.parent,
                                     prefix=".fetch-") as tmp:
        work = Path(tmp)
        for d in ("lists/partial", "cache/archives/partial", "deb", "x"):
            (work / d).mkdir(parents=True)
        (work / "sources.list").write_text(sources_line(debian_uri()))
        pkg = f"linux-source-{version}"
        steps = [(["apt-get", *_apt(work), "update"], work),
                 (["apt-get", *_apt(work), "download", pkg], work / "deb")]
        for argv, cwd in steps:
            p = subprocess.run(argv, cwd=cwd, capture_output=True, text=True)
            if p.returncode != 0:
                last = (p.stderr.strip().splitlines() or ["?"])[-1]
                raise errors.BuildError(
                    f"KSRC={version}: {' '.join(argv[:1] + argv[-2:])} "
                    f"failed: {last}")
        debs = sorted((work / "deb").glob(f"{pkg}_*.deb"))
        if len(debs) != 1:
            raise errors.BuildError(f"KSRC={version}: apt-get download "
                                    f"left {len(debs)} packages")
        p = subprocess.run(["dpkg-deb", "-x", str(debs[0]), str(work / "x")],
                           capture_output=True, text=True)
        tar = work / "x" / "usr" / "src" / f"{pkg}.tar.xz"
        if p.returncode != 0 or not tar.is_file():
            raise errors.BuildError(f"KSRC={version}: {debs[0].name} has no "
                                    f"usr/src/{pkg}.tar.xz "
                                    f"({p.stderr.strip()})")
        part = dest.with_name(dest.name + ".part")
        shutil.move(str(tar), part)
        part.replace(dest)
    return dest


def resolve(version: str, fetch_missing: bool = True) -> Path:
    """Where linux-source-VERSION's tarball is: installed, cached, or
    fetched now."""
    if not is_version(version):
        raise errors.InputError(f"KSRC={version!r}: allowed: a version "
                                "X.Y (Debian's linux-source-X.Y) or a path")
    for p in (installed(version), cached(version)):
        if p.is_file():
            return p
    if not fetch_missing:
        raise errors.InputError(f"KSRC={version}: neither {installed(version)}"
                                f" nor {cached(version)}")
    print(f"ksource: fetching linux-source-{version} from Debian's "
          f"{SUITE} suite into {cached(version).parent}", file=sys.stderr)
    return fetch(version)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1 or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if argv[:1] in (["-h"], ["--help"]) else 2
    try:
        print(resolve(argv[0]))
    except errors.MntbenchError as e:
        print(f"mntbench-ksource: error: {e}", file=sys.stderr)
        return e.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
