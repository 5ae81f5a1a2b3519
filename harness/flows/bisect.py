"""The first commit of a git tree that the gate calls a regression.

    python3 -m harness.flows.bisect --ksrc TREE --good REF --bad REF \\
        [--metrics REGEX] [--profile bisect] [--patches auto|none|DIR] \\
        [--cpus N] [--mem MIB] [--accel A] [--seed 1] [--out DIR]

GOOD is measured once (OUT/good, harness/flows/bench.py), then BAD: if the gate
does not call BAD a regression from GOOD there is nothing to find.
Otherwise `git bisect run` drives the commits between them, in a bare
clone of its own (the developer's tree, index and refs are not touched),
each commit built from the cache's clone (harness/kernel/gitsrc.py: the kernel
line's objects are reused, so a step rebuilds what the commit changed)
and measured into OUT/steps/<commit>, then gated against GOOD: 0 good,
1 bad, 125 skip (no kernel, no set, the gate could not decide).
OUT/bisect.json records every step; the first bad commit is printed with
the gate's lines for it (GOOD's value and its).

Exit status: 0 the first bad commit is named; 2 bad input; 3 no first bad
commit (BAD is no regression from GOOD, or skipped commits hide it); 125
GOOD's set could not be produced; 130 interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from harness import errors, pattern, setfiles
from harness.analysis import gate, resultset
from harness.flows import bench as run
from harness.kernel import gitsrc, kbuild, vm
from harness.paths import cache_dir, REPO

NAMED, NONE_FOUND, CANNOT_TEST, INTERRUPTED = 0, 3, 125, 130
DEFAULT_PROFILE = "bisect"
GOOD, BAD, SKIP = 0, 1, 125     # git bisect run's meanings


def _run_args(ctx: dict, commit: str, out: Path) -> list[str]:
    args = ["--ksrc", ctx["ksrc"], "--ref", commit, "--patches",
            ctx["patches"], "--profile", ctx["profile"], "--seed",
            str(ctx["seed"]), "--cpus", str(ctx["cpus"]), "--out", str(out)]
    for k in ("mem", "accel"):
        if ctx.get(k) is not None:
            args += [f"--{k}", str(ctx[k])]
    return args


def _measure(ctx: dict, commit: str, out: Path) -> int:
    """The set of commit at out (kept if complete: a bisect run again
    reuses it); run's exit status."""
    if (out / "manifest.json").is_file():
        try:
            if resultset.load(out).status == "complete":
                return 0
        except errors.MntbenchError:
            pass
        shutil.rmtree(out, ignore_errors=True)
    return run.main(_run_args(ctx, commit, out))


def _gate(ctx: dict, good: Path, cand: Path) -> tuple[int, str]:
    """The gate's status and its report, also kept in cand/gate.txt."""
    args = [str(good), str(cand)]
    if ctx.get("metrics"):
        args += ["--metrics", ctx["metrics"]]
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = gate.main(args)
    text = buf.getvalue()
    setfiles.write_text(cand / "gate.txt", text)
    return rc, text


def _record(out: Path, step: dict) -> None:
    path = out / "bisect.json"
    doc = json.loads(path.read_text())
    doc["steps"].append(step)
    setfiles.write_json(path, doc)


def test_commit(ctx: dict, out: Path, commit: str) -> tuple[int, str]:
    """Measure and gate one commit: (git bisect run's status, gate text)."""
    sdir = out / "steps" / commit[:12]
    rc = _measure(ctx, commit, sdir)
    if rc != 0:
        verdict, text = SKIP, f"no set (run exited {rc})"
        g = None
    else:
        g, text = _gate(ctx, out / "good", sdir)
        verdict = {0: GOOD, 1: BAD}.get(g, SKIP)
    _record(out, {"commit": commit,
                  "subject": gitsrc.subject(Path(ctx["ksrc"]), commit),
                  "run_exit": rc, "gate_exit": g, "verdict": verdict})
    print(f"bisect: {commit[:12]}: "
          f"{ {GOOD: 'good', BAD: 'bad', SKIP: 'skip'}[verdict]}",
          flush=True)
    return verdict, text


def step(out: Path, bare: Path) -> int:
    """One step of `git bisect run`: the commit bisect chose."""
    # git bisect run exports the bare clone's GIT_DIR (and the like): every
    # git command of the step would read that repository instead of the
    # ones it names
    for k in [k for k in os.environ if k.startswith("GIT_")]:
        del os.environ[k]
    ctx = json.loads((out / "bisect.json").read_text())["context"]
    commit = subprocess.run(
        ["git", "-C", str(bare), "rev-parse", "BISECT_HEAD"],
        capture_output=True, text=True, check=True).stdout.strip()
    try:
        return test_commit(ctx, out, commit)[0]
    except errors.InputError as e:
        print(f"mntbench-bisect: step {commit[:12]}: error: {e}",
              file=sys.stderr)
        return 255      # aborts git bisect run: the input is wrong
    except errors.MntbenchError as e:
        print(f"mntbench-bisect: step {commit[:12]}: cannot test: {e}",
              file=sys.stderr)
        return SKIP


def _bisect(ctx: dict, out: Path, good: str, bad: str) -> str | None:
    """git bisect run in a bare clone of its own: the first bad commit,
    or None when skips hide it."""
    repo = Path(ctx["ksrc"])
    bare = cache_dir() / "git" / f"bisect.{os.getpid()}.git"
    shutil.rmtree(bare, ignore_errors=True)
    try:
        subprocess.run(["git", "clone", "--quiet", "--shared", "--bare",
                        str(repo.resolve()), str(bare)], check=True,
                       capture_output=True)
        git = ["git", "-C", str(bare)]
        subprocess.run(git + ["bisect", "start", "--no-checkout", bad, good],
                       check=True, capture_output=True)
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        res = subprocess.run(
            git + ["bisect", "run", sys.executable, "-m",
                   "harness.flows.bisect", "--step", str(out),
                   "--bare", str(bare)],
            env=env, stdout=subprocess.PIPE, text=True)
        log = res.stdout
        setfiles.write_text(out / "bisect.log", log)
        m = re.search(r"^([0-9a-f]{40}) is the first bad commit$", log, re.M)
        if res.returncode != 0 and m is None:
            if "only 'skip'ped commits left" in log:
                return None
            raise errors.VMError(f"git bisect run exited {res.returncode} "
                                 f"(see {out / 'bisect.log'})")
        return m[1] if m else None
    finally:
        shutil.rmtree(bare, ignore_errors=True)


def _parse(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        prog="mntbench-bisect", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ksrc", type=Path, help="the git tree")
    ap.add_argument("--good", help="a commit without the regression")
    ap.add_argument("--bad", help="a later commit with it")
    ap.add_argument("--patches", default=kbuild.DEFAULT_PATCHES,
                    help="the series applied to every commit: 'auto' (the "
                    "tree's version's), 'none' (the tree carries the "
                    "switch, or measure its fixed mode), or a directory")
    ap.add_argument("--metrics", metavar="REGEX",
                    help="the measures gated (default: the plan's)")
    ap.add_argument("--profile", default=DEFAULT_PROFILE)
    ap.add_argument("--cpus", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--mem", type=int)
    ap.add_argument("--accel", choices=vm.accel.ACCELS)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--check", action="store_true",
                    help="check the arguments only (before any build)")
    ap.add_argument("--step", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--bare", type=Path, help=argparse.SUPPRESS)
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = _parse(argv)
    if args.step:
        try:
            return step(args.step, args.bare)
        except KeyboardInterrupt:
            return INTERRUPTED
    try:
        for name in ("ksrc", "good", "bad"):
            if getattr(args, name) is None:
                raise errors.InputError(f"--{name}: required")
        good = gitsrc.resolve(args.ksrc, args.good, "GOOD")
        bad = gitsrc.resolve(args.ksrc, args.bad, "BAD")
        anc = subprocess.run(["git", "-C", str(args.ksrc), "merge-base",
                              "--is-ancestor", good, bad])
        if anc.returncode != 0 or good == bad:
            raise errors.InputError(
                f"GOOD={args.good}: not an ancestor of BAD={args.bad}")
        if args.metrics:
            pattern.compile(args.metrics, "MEASURE")
        vm.check_cpus(args.cpus)
        if args.check:
            return 0
        out = args.out or REPO / "results" / (
            f"bisect-{time.strftime('%Y%m%d-%H%M%S')}-"
            f"{socket.gethostname()}")
        out.mkdir(parents=True, exist_ok=True)
        ctx = {"ksrc": str(args.ksrc.resolve()), "patches": args.patches,
               "profile": args.profile, "seed": args.seed,
               "cpus": args.cpus, "mem": args.mem, "accel": args.accel,
               "metrics": args.metrics, "good": good, "bad": bad}
        setfiles.write_json(out / "bisect.json", {
            "context": ctx, "steps": [], "first_bad": None})
        print(f"bisect: GOOD {good[:12]} "
              f"{gitsrc.subject(args.ksrc, good)}", flush=True)
        rc = _measure(ctx, good, out / "good")
        if rc != 0:
            print(f"mntbench-bisect: cannot test: GOOD's set was not "
                  f"produced (run exited {rc})", file=sys.stderr)
            return CANNOT_TEST
        print(f"bisect: BAD {bad[:12]} {gitsrc.subject(args.ksrc, bad)}",
              flush=True)
        verdict, text = test_commit(ctx, out, bad)
        if verdict != BAD:
            print(text, end="")
            print(f"bisect: BAD {bad[:12]} is "
                  f"{'no regression' if verdict == GOOD else 'undecided'} "
                  "from GOOD: no first bad commit to find")
            return NONE_FOUND
        first = _bisect(ctx, out, good, bad)
    except errors.InputError as e:
        print(f"mntbench-bisect: error: {e}", file=sys.stderr)
        return e.exit_code
    except errors.MntbenchError as e:
        print(f"mntbench-bisect: cannot test: {e}", file=sys.stderr)
        return CANNOT_TEST
    except KeyboardInterrupt:
        print("mntbench-bisect: interrupted; the finished steps are kept",
              file=sys.stderr)
        return INTERRUPTED
    doc = json.loads((out / "bisect.json").read_text())
    doc["first_bad"] = first
    setfiles.write_json(out / "bisect.json", doc)
    if first is None:
        print("bisect: no first bad commit: skipped commits hide it "
              f"(see {out / 'bisect.log'})")
        return NONE_FOUND
    print(f"bisect: first bad commit {first} "
          f"{gitsrc.subject(args.ksrc, first)}")
    gate_txt = out / "steps" / first[:12] / "gate.txt"
    print(gate_txt.read_text(), end="")
    return NAMED


if __name__ == "__main__":
    sys.exit(main())
