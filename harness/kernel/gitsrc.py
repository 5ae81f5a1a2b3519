"""A commit of a developer's git tree as a kernel source, without touching
that tree: its work tree, index, refs and config stay as they were.

    cache/git/<repo-id>/clone   `git clone --shared --no-checkout` of the
                                tree (its objects are read through
                                alternates, nothing is copied), checked
                                out at the commit asked for
    cache/git/<repo-id>/lock    held while the clone is checked out and
                                built from

The clone is what kbuild builds (harness/kernel/kbuild.py): its identity is the
commit, and its files are synced by content into the kernel line's work
tree, so the next commit rebuilds only what changed.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

from harness import errors
from harness.kernel import kcache
from harness.paths import cache_dir


def is_git_tree(path: Path) -> bool:
    return path.is_dir() and (path / ".git").exists()


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(repo), *args],
                          capture_output=True, text=True)


def resolve(repo: Path, ref: str, name: str = "REF") -> str:
    """The commit id that ref names in repo; one-line InputError if none."""
    if not is_git_tree(repo):
        raise errors.InputError(
            f"{name}={ref}: KSRC={repo} is not a git tree (a ref needs one)")
    if not ref or ref.startswith("-"):
        raise errors.InputError(f"{name}={ref!r}: allowed: a commit, "
                                "branch or tag of the tree")
    r = _git(repo, "rev-parse", "--verify", "--quiet", "--end-of-options",
             f"{ref}^{{commit}}")
    if r.returncode != 0:
        raise errors.InputError(
            f"{name}={ref}: not a commit of the git tree {repo}")
    return r.stdout.strip()


def subject(repo: Path, commit: str) -> str:
    r = _git(repo, "log", "-1", "--format=%s", commit)
    return r.stdout.strip()


def _home(repo: Path) -> Path:
    rid = hashlib.sha256(str(repo.resolve()).encode()).hexdigest()[:16]
    return cache_dir() / "git" / rid


def _check(r: subprocess.CompletedProcess, what: str) -> None:
    if r.returncode != 0:
        first = (r.stderr.strip().splitlines() or ["?"])[0]
        raise errors.BuildError(f"{what}: {first}")


@contextlib.contextmanager
def checkout(repo: Path, commit: str) -> Iterator[Path]:
    """The clone of repo, checked out at commit, locked while in use."""
    home = _home(repo)
    home.mkdir(parents=True, exist_ok=True)
    with open(home / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        clone = home / "clone"
        if not (clone / ".git").is_dir():
            tmp = home / "clone.tmp"
            shutil.rmtree(tmp, ignore_errors=True)
            _check(subprocess.run(
                ["git", "clone", "--quiet", "--shared", "--no-checkout",
                 str(repo.resolve()), str(tmp)],
                capture_output=True, text=True), f"git clone {repo}")
            tmp.rename(clone)
        (home / "repo").write_text(f"{repo.resolve()}\n")
        kcache.touch(home)
        # --force: whatever a killed checkout left; only files that differ
        # from the commit are written, so the others keep their mtime
        _check(_git(clone, "checkout", "--quiet", "--force", "--detach",
                    commit), f"git checkout {commit[:12]}")
        _check(_git(clone, "clean", "-q", "-fdx"), "git clean")
        yield clone
