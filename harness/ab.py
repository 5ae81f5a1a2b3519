"""One-shot A/B: build two kernels, run them in interleaved boots, gate.

    python3 -m harness.ab --base-ksrc TREE_A --cand-ksrc TREE_B \\
        [--base-patches DIR|none] [--cand-patches DIR|none] \\
        [--profile quick] [--rounds 3] [--out DIR]

The kernels are built one after the other (never two builds at once).
Repetitions of every kind of point (load, teardown, bystander, probes)
are split into rounds; each round boots base and candidate in a seeded
random order, so that drift of the host hits both alike. Each round is a
boot of each kernel, so with 2 or more rounds the gate compares boot
means (harness/gate.py). Both sets share plan and seed, so the gate can
compare them. Exit status: the gate's (0 pass, 1 regression, 2 bad
input, 3 inconclusive), or 125 when a kernel could not be built or a set
not produced, so that `git bisect run` skips that commit.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import sys
import time
from pathlib import Path

from harness import errors, gate, kbuild, plan, run, vm
from harness.paths import REPO

CANNOT_TEST = 125


def build(ksrc: Path, patches: str) -> kbuild.Kernel:
    try:
        return kbuild.ensure_kernel(ksrc, kbuild._parse_patches(patches))
    except errors.BuildError as e:
        raise errors.VMError(f"kernel from {ksrc}: {e}") from e


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    ap = argparse.ArgumentParser(
        prog="mntbench-ab", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base-ksrc", type=Path, default=kbuild.DEFAULT_KSRC)
    ap.add_argument("--cand-ksrc", type=Path, default=kbuild.DEFAULT_KSRC)
    ap.add_argument("--base-patches", default=str(kbuild.DEFAULT_PATCHES))
    ap.add_argument("--cand-patches", default=str(kbuild.DEFAULT_PATCHES))
    ap.add_argument("--profile", default="quick")
    ap.add_argument("--rounds", type=int, default=3,
                    help="boots of each kernel (default 3)")
    ap.add_argument("--cpus", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--seed", type=int)
    ap.add_argument("--out", type=Path,
                    help="directory for base/ and cand/ (default results/ab-*)")
    ap.add_argument("--accel", choices=vm.accel.ACCELS,
                    help="default: KVM if it boots, else TCG")
    ap.add_argument("--threshold", type=float,
                    help="percent (default: the plan's [gate] threshold)")
    ap.add_argument("--metrics", metavar="REGEX")
    args = ap.parse_args(argv)
    try:
        if args.rounds < 1:
            raise errors.InputError(f"--rounds={args.rounds}: must be >= 1")
        p = plan.load(args.profile)
        base_k = build(args.base_ksrc, args.base_patches)
        cand_k = build(args.cand_ksrc, args.cand_patches)
        if base_k.has_switch != cand_k.has_switch:
            print("ab: only one kernel has the private_mounts switch: "
                  "both are run in their fixed mode", file=sys.stderr)
        has_switch = base_k.has_switch and cand_k.has_switch
        accel = args.accel or vm.accel.choose(vm.VMConfig(
            kernel=base_k, results=REPO / "results" / "vm"), vm.boot)
        seed = args.seed if args.seed is not None else \
            random.SystemRandom().randrange(1 << 31)
        out = args.out or REPO / "results" / (
            f"ab-{time.strftime('%Y%m%d-%H%M%S')}-{socket.gethostname()}")
        sets = {"base": (out / "base", base_k), "cand": (out / "cand", cand_k)}
        for sdir, k in sets.values():
            run.create_set(sdir, p, seed, args.cpus, k, accel, has_switch,
                           argv)
        rng = random.Random(seed)
        for r in range(args.rounds):
            for side in rng.sample(["base", "cand"], 2):
                sdir, k = sets[side]
                print(f"ab: round {r + 1}/{args.rounds}: {side}", flush=True)
                run.run_vm(sdir, k, args.cpus, 3600.0, f"{r}/{args.rounds}")
        for sdir, _ in sets.values():
            if run.finish(sdir, interrupted=False) != 0:
                raise errors.VMError(f"set {sdir} is incomplete")
        gargs = [str(sets["base"][0]), str(sets["cand"][0])]
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
        print("mntbench-ab: interrupted", file=sys.stderr)
        return 130
    print(f"ab: base {sets['base'][0]}\nab: cand {sets['cand'][0]}")
    return gate.main(gargs)


if __name__ == "__main__":
    sys.exit(main())
