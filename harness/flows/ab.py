"""One-shot A/B: build two kernels, run them in interleaved boots, gate.

    python3 -m harness.flows.ab --base-ksrc TREE_A --cand-ksrc TREE_B \\
        [--base-ref REF --cand-ref REF]  (commits of git trees) \\
        [--base-patches DIR|none] [--cand-patches DIR|none] \\
        [--base-knobs K=N,...] [--cand-knobs K=N,...] \\
        [--profile quick] [--min-boots 3] [--max-boots N | --budget MIN] \\
        [--rounds N] [--out DIR]

The kernels are built one after the other (never two builds at once).
Each round boots base and candidate once each, in a seeded random order,
so that drift of the host hits both alike; the gate's unit is then the
boot mean (harness/analysis/gate.py).

Sequential (harness/analysis/sequential.py): from --min-boots boots per kernel
on, the gate looks after every round at the alpha its spending function gives
that look, and the run stops when every gated measure is decided,
when a regression is called, or at --max-boots. The default maximum is
as many rounds as fit --budget minutes of guest time (default 10),
measured on the first round, and at most 40. --rounds N is the fixed
design: N boots per kernel and one look at the full alpha.
Each boot runs ceil(R / min-boots) repetitions of every kind of point
whose plan says R, so the first look has about the plan's repetitions.

--base-knobs/--cand-knobs set the calibration knobs of the kernel patch
(harness/kparams.py: open=N, teardown=N loop iterations) for every point
of that side: `make calibrate` injects regressions of known size so.

OUT/sequential.json records the looks (boots, alpha, outcome of every
measure), the guest seconds used and why the run stopped. Exit status:
the gate's at the last look (0 pass, 1 regression, 2 bad input, 3
inconclusive), or 125 when a kernel could not be built or a set not
produced, so that `git bisect run` skips that commit; 130 interrupted.
A failed point's note is read only once its set passed setcheck.tree,
through setcheck.member: a note leading out of the set, huge or not
text is bad input (2), as is an internal error (never 1).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import socket
import sys
import time
from pathlib import Path

from harness import errors, kparams, point, setcheck, setfiles
from harness.analysis import collect, gate, resultset, sequential
from harness.flows import bench as run
from harness.kernel import gitsrc, kbuild, vm
from harness.paths import REPO
from harness.run import plan

CANNOT_TEST = 125
MAX_ROUNDS = 40         # points are laid out for this many boots at most
NOTE_SHOWN = 500        # characters of it an error line quotes
SIDES = ("base", "cand")


def build(ksrc: Path, patches: str, ref: str | None = None
          ) -> kbuild.Kernel:
    try:
        return kbuild.ensure_kernel(ksrc, patches, ref=ref)
    except errors.BuildError as e:
        at = f" at {ref}" if ref else ""
        raise errors.VMError(f"kernel from {ksrc}{at}: {e}") from e


def _knobs(text: str, opt: str, kernel: kbuild.Kernel) -> dict[str, int]:
    try:
        knobs = kparams.parse_knobs(text)
    except kparams.KnobError as e:
        raise errors.InputError(f"{opt}: {e}") from None
    smap = (kernel.dir / "System.map").read_text()
    for name, value in knobs.items():
        if value and f"__param_{kparams.KNOBS[name]}" not in smap:
            raise errors.InputError(
                f"{opt} {name}={value}: the kernel has no "
                f"{kparams.KNOBS[name]} (a series without the knob patch)")
    return knobs


def failure_note(sdir: Path) -> tuple[str, str] | None:
    """(point id, its failure note as one line) of the first failed
    point of a set, or None. The set's files are checked first
    (setcheck.tree: no symlink out of it, no FIFO or device) and the note
    is read through setcheck.member; a note that is a directory, larger
    than setfiles.MAX_NOTE or not text is refused (InputError, exit 2)."""
    setcheck.tree(sdir)
    fdir = sdir / "failed"
    if not fdir.is_dir():
        return None
    notes = sorted(f.name for f in fdir.iterdir()
                   if f.name.endswith(".txt") and setcheck.name_ok(f.name))
    if not notes:
        return None
    where = fdir / notes[0]
    data = setcheck.read_bytes(sdir, "failed", notes[0],
                               most=setfiles.MAX_NOTE)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise errors.InputError(f"{where}: not UTF-8 (byte {e.start})") \
            from None
    if any((c < " " and c not in "\n\t\r") or c == "\x7f" for c in text):
        raise errors.InputError(f"{where}: control characters; allowed: "
                                "a failure note (text)")
    # one line: a tool's stderr may hold several
    line = " / ".join(ln.strip() for ln in text.splitlines() if ln.strip())
    if len(line) > NOTE_SHOWN:
        line = line[:NOTE_SHOWN - 4] + " ..."
    return notes[0][:-len(".txt")], line


def _look(sets: dict, confidence: float,
          opts: gate.Options) -> list[gate.Verdict]:
    """The gate on what both sets hold so far."""
    loaded = {}
    for side, (sdir, _k) in sets.items():
        failed = failure_note(sdir)
        if failed:
            raise errors.VMError(
                f"{side}: point {failed[0]} failed: {failed[1]}")
        collect.write(sdir)
        loaded[side] = resultset.load(sdir)
    gate.check_comparable(loaded["base"], loaded["cand"], False)
    opts = gate.Options(opts.threshold, None, confidence, opts.select)
    return gate.evaluate(loaded["base"], loaded["cand"], None, None, opts)


def _pct(t) -> list[float | None]:
    return [None if r is None else round(r * 100, 3)
            for r in (t.relative(x) for x in (t.diff, t.lo, t.hi))]


def _trim(sdir: Path, rounds: int, most: int) -> None:
    """Drop the points of rounds never run: the set then says what it
    holds, and finish() can call it complete."""
    points = point.load(json.loads((sdir / "points.json").read_text()))
    kept = [p for p in points if p.rep % most < rounds]
    setfiles.write_json(sdir / "points.json", point.dump(kept))
    mpath = sdir / "manifest.json"
    manifest = json.loads(mpath.read_text())
    manifest["points_hash"] = plan.points_hash(kept)
    manifest["boots_per_kernel"] = rounds
    setfiles.write_json(mpath, manifest)


def _parse(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        prog="mntbench-ab", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base-ksrc", type=Path, default=kbuild.DEFAULT_KSRC)
    ap.add_argument("--cand-ksrc", type=Path, default=kbuild.DEFAULT_KSRC)
    ap.add_argument("--base-ref", help="a commit of the git tree "
                    "--base-ksrc (built from a clone of its own)")
    ap.add_argument("--cand-ref", help="likewise, of --cand-ksrc")
    ap.add_argument("--base-patches", default=kbuild.DEFAULT_PATCHES)
    ap.add_argument("--cand-patches", default=kbuild.DEFAULT_PATCHES)
    ap.add_argument("--base-knobs", default="", metavar="K=N,...")
    ap.add_argument("--cand-knobs", default="", metavar="K=N,...")
    ap.add_argument("--profile", default="quick")
    ap.add_argument("--min-boots", type=int, default=3,
                    help="boots per kernel at the first look (default 3)")
    ap.add_argument("--max-boots", type=int,
                    help=f"boots per kernel at most (default: what fits "
                    f"--budget, at most {MAX_ROUNDS})")
    ap.add_argument("--budget", type=float, default=10.0, metavar="MIN",
                    help="guest minutes for the default --max-boots "
                    "(default 10)")
    ap.add_argument("--rounds", type=int,
                    help="fixed design: exactly N boots per kernel")
    ap.add_argument("--cpus", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--mem", type=int,
                    help="guest MiB (default: what the plan needs at "
                    "--cpus, harness.kernel.vm.mem_for)")
    ap.add_argument("--seed", type=int)
    ap.add_argument("--out", type=Path, help="directory for base/ and "
                    "cand/ (default results/ab-*)")
    ap.add_argument("--accel", choices=vm.accel.ACCELS,
                    help="default: KVM if it boots, else TCG")
    ap.add_argument("--threshold", type=float,
                    help="percent (default: the plan's [gate] threshold)")
    ap.add_argument("--metrics", metavar="REGEX")
    args = ap.parse_args(argv)
    if args.rounds is not None:
        if args.rounds < 1:
            raise errors.InputError(
                f"--rounds={args.rounds}: allowed: an integer >= 1")
        args.min_boots = args.max_boots = args.rounds
    if not 1 <= args.min_boots <= MAX_ROUNDS:
        raise errors.InputError(
            f"--min-boots={args.min_boots}: allowed: 1..{MAX_ROUNDS}")
    if args.max_boots is not None and not (
            args.min_boots <= args.max_boots <= MAX_ROUNDS):
        raise errors.InputError(
            f"--max-boots={args.max_boots}: allowed: {args.min_boots} "
            f"(--min-boots)..{MAX_ROUNDS}")
    if not (math.isfinite(args.budget) and args.budget > 0):
        raise errors.InputError(
            f"--budget={args.budget}: allowed: minutes > 0")
    gate.check_threshold(args.threshold)
    vm.check_cpus(args.cpus)
    if args.mem is not None:
        vm.check_mem(args.mem)
    return args


class Sequence:
    """The rounds of one A/B run and its record, OUT/sequential.json."""

    def __init__(self, out: Path, args, cap: int, knobs: dict):
        self.path = out / "sequential.json"
        self.doc = {
            "alpha": sequential.ALPHA, "spending": "pocock-type",
            "min_boots": args.min_boots, "max_boots": args.max_boots,
            "budget_s": args.budget * 60, "layout_boots": cap,
            "rounds": [], "looks": [], "stopped": None, "exit": None,
            "guest_s": 0.0,
            "knobs": knobs}

    def save(self) -> None:
        setfiles.write_json(self.path, self.doc)


def _rounds(args, sets: dict, seq: Sequence, cap: int,
            opts: gate.Options) -> float:
    """Run rounds until the sequential rule stops; the last look's
    confidence."""
    rng = random.Random(seq.doc["seed"])
    d = seq.doc
    confidence = 1 - sequential.ALPHA
    for r in range(cap):
        t0 = time.monotonic()
        for side in rng.sample(list(SIDES), 2):
            sdir, k = sets[side]
            print(f"ab: round {r + 1}: {side}", flush=True)
            rc = run.run_vm(sdir, k, args.cpus, None, f"{r}/{cap}")
            if rc != 0:
                raise errors.VMError(f"{side}: round {r + 1}: the guest "
                                     f"exited {rc} (see {sdir}/console/)")
        spent = time.monotonic() - t0
        d["rounds"].append(round(spent, 1))
        d["guest_s"] = round(sum(d["rounds"]), 1)
        n = r + 1
        if d["max_boots"] is None:
            # fixed before the first look: the spending needs it
            d["max_boots"] = max(args.min_boots, min(
                cap, int(d["budget_s"] // max(spent, 1.0))))
        most = d["max_boots"]
        if n >= args.min_boots:
            design = sequential.Design(args.min_boots, most)
            confidence = design.confidence_at(n)
            vs = _look(sets, confidence, opts)
            why = sequential.settled([v.outcome for v in vs])
            d["looks"].append({
                "boots": n, "alpha": design.alpha_at(n),
                "guest_s": d["guest_s"],
                "outcomes": {f"{v.measure} [{v.variant}]": v.outcome
                             for v in vs},
                # estimate and CI at the look's confidence, percent
                "changes_pct": {f"{v.measure} [{v.variant}]": _pct(v.test)
                                for v in vs}})
            print(f"ab: look at {n} boots per kernel (alpha "
                  f"{design.alpha_at(n):.4f}): " + ", ".join(
                      f"{sum(v.outcome == o for v in vs)} {o}"
                      for o in sorted({v.outcome for v in vs})), flush=True)
            if why is None and n >= most:
                why = "max-boots"
            elif why is None and args.rounds is None and \
                    args.max_boots is None and \
                    d["guest_s"] + spent > d["budget_s"]:
                why = "budget"
            if why:
                d["stopped"] = why
                seq.save()
                return confidence
        seq.save()
    d["stopped"] = "max-boots"
    return confidence


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    seq = None
    try:
        args = _parse(argv)
        p = plan.load(args.profile)
        if args.mem is None:
            run.check_guest_mem(p, args.cpus, args.accel or vm.accel.KVM)
        for side in SIDES:
            ref = getattr(args, f"{side}_ref")
            if ref:     # a bad ref is bad input, before any build
                gitsrc.resolve(getattr(args, f"{side}_ksrc"), ref,
                               f"{side.upper()}_REF")
        base_k = build(args.base_ksrc, args.base_patches, args.base_ref)
        cand_k = build(args.cand_ksrc, args.cand_patches, args.cand_ref)
        knobs = {"base": _knobs(args.base_knobs, "--base-knobs", base_k),
                 "cand": _knobs(args.cand_knobs, "--cand-knobs", cand_k)}
        if base_k.has_switch != cand_k.has_switch:
            print("ab: only one kernel has the private_mounts switch: "
                  "both are run in their fixed mode", file=sys.stderr)
        has_switch = base_k.has_switch and cand_k.has_switch
        accel = args.accel or vm.accel.choose(vm.VMConfig(
            kernel=base_k, results=REPO / "results" / "vm"), vm.boot)
        vm.warn_overcommit(args.cpus, accel)
        seed = args.seed if args.seed is not None else \
            random.SystemRandom().randrange(1 << 31)
        out = args.out or REPO / "results" / (
            f"ab-{time.strftime('%Y%m%d-%H%M%S')}-{socket.gethostname()}")
        cap = args.max_boots or MAX_ROUNDS
        p = plan.for_boots(p, args.min_boots, cap)
        sets = {"base": (out / "base", base_k), "cand": (out / "cand", cand_k)}
        # both sides the same points: if one kernel cannot boot 2 vCPUs
        # under icount, neither runs icount points of several tasks
        no_smp = run.icount_smp(p, args.cpus, [base_k, cand_k], accel,
                                REPO / "results" / "vm")
        for side, (sdir, k) in sets.items():
            run.create_set(sdir, p, seed, args.cpus, k, accel, has_switch,
                           argv, knobs=knobs[side], mem_mb=args.mem,
                           no_icount_smp=no_smp)
        seq = Sequence(out, args, cap, knobs)
        seq.doc["seed"] = seed
        opts = gate.Options(
            None if args.threshold is None else args.threshold / 100,
            None, 1 - sequential.ALPHA, args.metrics)
        confidence = _rounds(args, sets, seq, cap, opts)
        rounds = len(seq.doc["rounds"])
        for sdir, _ in sets.values():
            _trim(sdir, rounds, cap)
            if run.finish(sdir, interrupted=False) != 0:
                raise errors.VMError(f"set {sdir} is incomplete")
        gargs = [str(sets["base"][0]), str(sets["cand"][0]),
                 "--confidence", repr(confidence)]
        if args.threshold is not None:
            gargs += ["--threshold", str(args.threshold)]
        if args.metrics:
            gargs += ["--metrics", args.metrics]
    except errors.InputError as e:
        print(f"mntbench-ab: error: {e}", file=sys.stderr)
        return e.exit_code
    except errors.MntbenchError as e:
        print(f"mntbench-ab: cannot test: {e}", file=sys.stderr)
        return CANNOT_TEST
    except KeyboardInterrupt:
        if seq is not None:
            seq.doc["stopped"] = "interrupted"
            seq.save()
            for sdir, _ in sets.values():
                run.finish(sdir, interrupted=True)
        print("mntbench-ab: interrupted; the finished boots are kept",
              file=sys.stderr)
        return 130
    except Exception as e:  # never 1 ("regression") on a crash
        why = (str(e).splitlines() or [""])[0][:200]
        print(f"mntbench-ab: error: internal: {type(e).__name__}: {why}",
              file=sys.stderr)
        return errors.InputError.exit_code
    print(f"ab: base {sets['base'][0]}\nab: cand {sets['cand'][0]}\n"
          f"ab: {rounds} boots per kernel, {seq.doc['guest_s'] / 60:.1f} "
          f"guest minutes, stopped: {seq.doc['stopped']}", flush=True)
    rc = gate.main(gargs)
    seq.doc["exit"] = rc
    seq.save()
    return rc


if __name__ == "__main__":
    sys.exit(main())
