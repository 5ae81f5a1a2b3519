"""Run plans: a small TOML file expanded into an ordered list of points.

Each point is one ovlbench invocation (optionally with mntlock attached, in
a marked probe pass). Within each repetition the order of points, and so of
modes, is shuffled with a recorded seed, so that drift does not pass for a
difference between modes.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import math
import random
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from harness import errors, kparams, pattern, setcheck
from harness.kernel.accel import ICOUNT, KVM, TCG
from harness.paths import REPO
from harness.point import Point
from harness.run import kinds
from harness.run.kinds import base, coherence
from harness.run.kinds.base import HOST, Context

PLANS = REPO / "harness" / "plans"
# The file workloads a plan's sections may run (the rest of ovlbench's
# workloads are kinds of their own: teardown, bystander)
WORKLOADS = ("open-close", "open-close-shared", "open-read-close", "stat")
CLOCKS = ("auto", ICOUNT)  # plan `clock`: the accelerator's, or icount
# The harness's own bounds: a plan is expanded in memory, point by point
MAX_REPS = 10000
MAX_POINTS = 100000


@dataclass
class Plan:
    name: str
    doc: dict
    hash: str

    def section(self, key: str) -> dict:
        return self.doc.get(key, {})


def load(name_or_path: str) -> Plan:
    path = Path(name_or_path)
    if not path.suffix:
        path = PLANS / f"{name_or_path}.toml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in PLANS.glob("*.toml")))
        raise errors.InputError(
            f"plan {name_or_path}: no such profile or file "
            f"(profiles: {known})")
    raw = path.read_bytes()
    try:
        doc = tomllib.loads(raw.decode())
    except tomllib.TOMLDecodeError as e:
        raise errors.InputError(f"plan {path}: {e}") from e
    _validate(doc, path)
    return Plan(doc.get("name", path.stem), doc, doc_hash(doc))


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and \
        math.isfinite(v)


def _integer(lo: int, hi: int) -> tuple[Callable, str]:
    return (lambda v: isinstance(v, int) and not isinstance(v, bool)
            and lo <= v <= hi), f"an integer {lo}..{hi}"


def _seconds(lo: float, hi: float, above: bool = False
             ) -> tuple[Callable, str]:
    """Seconds lo..hi (above: lo excluded), as ovlbench takes them."""
    return (lambda v: _number(v) and (v > lo if above else v >= lo)
            and v <= hi), \
        f"seconds {'>' if above else '>='} {lo:g} and <= {hi:.0f}"


def _items(ok: Callable, what: str) -> tuple[Callable, str]:
    """A list of distinct items (a repeated one would repeat points)."""
    def check(v):
        return isinstance(v, list) and all(ok(x) for x in v) and \
            len({repr(x) for x in v}) == len(v)
    return check, f"a list of distinct {what}"


def _cpus(v) -> bool:
    return v == "powers" or (isinstance(v, list) and bool(v) and all(
        c == "all" or _integer(1, base.MAX_TASKS)[0](c) for c in v))


_MODES = kparams.MODES + (kparams.DEFAULT,)
TOP = {     # top-level key -> (check, what is allowed)
    "name": (lambda v: isinstance(v, str), "a string"),
    "description": (lambda v: isinstance(v, str), "a string"),
    "reps": _integer(1, MAX_REPS),
    "warmup": lambda: _seconds(0, base.MAX_SECONDS),
    "duration": lambda: _seconds(0, base.MAX_SECONDS, above=True),
    "interval": lambda: _seconds(base.MIN_INTERVAL, base.MAX_SECONDS),
    "task_mode": lambda: (lambda v: v in base.TASK_MODES,
                          ", ".join(base.TASK_MODES)),
    "clock": (lambda v: v in CLOCKS, ", ".join(CLOCKS)),
}
REQUIRED = ("reps", "warmup", "duration", "interval")
# A section key -> (check, what is allowed); None: the kind's validate
# checks it. Ranges are ovlbench's (kinds/base.py: a rule of them is a
# function, so that they are read when a plan is checked, not on
# import); which kind takes which key is the kind's (Kind.keys).
SECTION = {
    # a mode names points and their files: a tag is held to setcheck.NAME
    "modes": _items(lambda m: isinstance(m, str)
                    and kparams.plan_mode(m) in _MODES
                    and setcheck.name_ok(m),
                    f"modes of {', '.join(_MODES)} (#tag: an A/A copy; "
                    "letters, digits, . _ -)"),
    "workloads": _items(lambda w: w in WORKLOADS,
                        f"workloads of {', '.join(WORKLOADS)}"),
    "layers": lambda: _items(
        _integer(1, base.MAX_LAYERS)[0],
        f"layer counts 1..{base.MAX_LAYERS} (1 only where there is an "
        "upper layer: teardown, bystander)"),
    "cpus": lambda: (_cpus, f"'powers' or a list of task counts 1..vCPUs "
                     f"(at most {base.MAX_TASKS}) and 'all'"),
    "internal": lambda: _items(
        lambda w: w in base.NO_OVERLAY_WORKLOADS,
        f"workloads of {', '.join(base.NO_OVERLAY_WORKLOADS)}"),
    "ops": lambda: _integer(1, base.MAX_OPS),
    "vcpus": _items(_integer(1, coherence.MAX_VCPUS)[0],
                    f"vCPU counts 1..{coherence.MAX_VCPUS}"),
    "reps": _integer(1, MAX_REPS),
    "overhead_reps": _integer(0, MAX_REPS),
    "duration": lambda: _seconds(0, base.MAX_SECONDS, above=True),
    "interval": lambda: _seconds(base.MIN_INTERVAL, base.MAX_SECONDS),
    "all_puts": (lambda v: isinstance(v, bool), "true, false"),
    "path_walk": (lambda v: isinstance(v, bool), "true, false"),
    "pairs": None,
    "victims": None,
}
GATE = ("metrics", "threshold")


def sections() -> dict[str, tuple[str, ...] | None]:
    """Plan section -> the keys it allows: those of the kinds it feeds
    (None when one of them declares none), and [gate]'s."""
    out: dict[str, tuple[str, ...] | None] = {"gate": GATE}
    for k in kinds.KINDS.values():
        had = out.get(k.section, ())
        out[k.section] = None if had is None or k.keys is None else \
            tuple(dict.fromkeys(had + k.keys))
    return out


def _rule(rule):
    """A (check, allowed) pair, made by its function if it has one."""
    return rule() if callable(rule) else rule


def _refuse(path, where: str, key: str, v, allowed: str) -> None:
    r = repr(v)
    r = r if len(r) <= 60 else r[:56] + " ..."   # one line, readable
    raise errors.InputError(f"plan {path}: {where}{key}={r}; allowed: "
                            f"{allowed}")


def _validate(doc: dict, path: Path) -> None:
    secs = sections()
    for key, v in doc.items():
        if key in secs:
            if not isinstance(v, dict):
                _refuse(path, "", key, v, f"a table [{key}]")
        elif key not in TOP:
            _refuse(path, "", key, v, "the keys " + ", ".join(
                [*TOP, *(f"[{s}]" for s in secs)]))
    for key in REQUIRED:
        if key not in doc:
            raise errors.InputError(
                f"plan {path}: no {key}; allowed: {_rule(TOP[key])[1]}")
    for key, rule in TOP.items():
        ok, allowed = _rule(rule)
        if key in doc and not ok(doc[key]):
            _refuse(path, "", key, doc[key], allowed)
    if doc["interval"] > doc["duration"]:
        _refuse(path, "", "interval", doc["interval"],
                f"seconds up to the duration ({doc['duration']!r})")
    for sec, keys in secs.items():
        d = doc.get(sec, {})
        for key, v in d.items():
            if keys is not None and key not in keys:
                _refuse(path, f"[{sec}] ", key, v,
                        "the keys " + ", ".join(keys))
            check = _rule(SECTION.get(key))
            if check and not check[0](v):
                _refuse(path, f"[{sec}] ", key, v, check[1])
    for k in kinds.KINDS.values():
        if k.validate:
            k.validate(doc, path)
    _validate_gate(doc.get("gate", {}), path)
    # What ovlbench checks across options (the layer count against an
    # upper layer, the intervals a duration holds, victims and tasks):
    # the arguments of one repetition's points, at the most tasks
    for k, pts in _one_rep(doc, base.MAX_TASKS, True, True, TCG,
                          path).items():
        _check_points(k, pts, path)


def check_args(args: tuple[str, ...]) -> str | None:
    """What ovlbench would refuse in the arguments of a point (the
    combinations of its options; each value's range the plan's checks
    have seen), or None."""
    opt: dict[str, str] = {}
    i = 0
    while i < len(args):
        if args[i] in ("--upper", "--coherence-marks"):
            opt[args[i]], i = "", i + 1
        else:
            opt[args[i]], i = args[i + 1], i + 2
    low = 1 if "--upper" in opt else 2
    layers = int(opt.get("--layers", 2))
    if not low <= layers <= base.MAX_LAYERS:
        return (f"--layers={layers}; allowed: {low}..{base.MAX_LAYERS}"
                + ("" if low == 1 else " (1 needs an upper layer)"))
    tasks = int(opt.get("--tasks", 1))
    if not 1 <= tasks <= base.MAX_TASKS:
        return f"--tasks={tasks}; allowed: 1..{base.MAX_TASKS}"
    victims = int(opt.get("--victims", 1))
    if "--victims" in opt and not 1 <= victims < tasks:
        return (f"--victims={victims} with --tasks={tasks}; allowed: "
                f"1..{tasks - 1} (at least one aggressor)")
    dur = float(opt.get("--duration", 5))
    iv = float(opt.get("--interval", 1))
    if iv > dur:
        return f"--interval={iv:g}; allowed: up to --duration={dur:g}"
    if int(dur / iv + 1e-9) > base.MAX_INTERVALS:
        return (f"--interval={iv:g} in --duration={dur:g}; allowed: at "
                f"most {base.MAX_INTERVALS} intervals")
    if "--pair-modes" in opt:
        if iv > base.MAX_PAIR_INTERVAL:
            return (f"--interval={iv:g} with --pair-modes; allowed: up "
                    f"to {base.MAX_PAIR_INTERVAL:g}")
        if opt.get("--workload") not in base.PAIR_WORKLOADS:
            return (f"--workload={opt.get('--workload')} with "
                    f"--pair-modes; allowed: "
                    f"{', '.join(base.PAIR_WORKLOADS)}")
    return None


def _check_points(k: kinds.Kind, pts: list[Point], path) -> None:
    for p in pts:
        setcheck.check_name(p.id, f"plan {path}: [{k.section}] point")
        bad = check_args(p.args)
        if bad:
            raise errors.InputError(
                f"plan {path}: [{k.section}] point {p.id}: {bad}")


def _reps_of(k: kinds.Kind, doc: dict) -> int:
    """How many repetitions of its points a kind builds."""
    key, default = k.reps[0]
    return doc.get(k.section, {}).get(
        key, doc["reps"] if default is None else default)


def _one_rep(doc: dict, vcpus: int, has_switch: bool, probes: bool,
             accel_name: str, where) -> dict[kinds.Kind, list[Point]]:
    """Each kind's points of one repetition: the plan with every
    repetition count that is not 0 set to 1. Before building, the cells
    of a section (the product of its lists) are bounded: a repetition
    must fit in memory."""
    one = copy.deepcopy(doc)
    one["reps"] = 1
    for k in kinds.KINDS.values():
        sec = one.get(k.section, {})
        for key, _ in k.reps:
            if sec.get(key):
                sec[key] = 1
        cells = 2       # a probe or an on/off pair doubles a point
        for key in ("modes", "workloads", "layers", "pairs", "cpus"):
            v = sec.get(key)
            if v == "powers":
                cells *= vcpus.bit_length() + 1
            elif isinstance(v, list):
                cells *= max(len(v), 1)
        if cells > MAX_POINTS:
            raise errors.InputError(
                f"plan {where}: [{k.section}] {cells} points "
                f"a repetition (the product of its lists); allowed: at "
                f"most {MAX_POINTS}")
    ctx = Context(one, vcpus, has_switch, probes, accel_name,
                  random.Random(0))
    return {k: k.build(ctx) for k in kinds.KINDS.values()
            if accel_name != HOST or k.on_host}


def _validate_gate(gate: dict, path: Path) -> None:
    """[gate] metrics: patterns naming the gated measures (the family of
    the gate's multiple-comparison correction), in the subset the gate
    matches (harness/pattern.py); threshold: percent."""
    ms = gate.get("metrics", [])
    if not isinstance(ms, list) or len(ms) > pattern.MAX_PATTERNS:
        raise errors.InputError(
            f"plan {path}: [gate] metrics={setcheck.show(ms)}; allowed: a "
            f"list of at most {pattern.MAX_PATTERNS} regular expressions")
    for m in ms:
        pattern.compile(m, f"plan {path}: [gate] metric")
    th = gate.get("threshold", 2.0)
    if isinstance(th, bool) or not isinstance(th, (int, float)) or th < 0:
        raise errors.InputError(
            f"plan {path}: [gate] threshold={th!r}; allowed: a percentage "
            ">= 0")


def clock_of(k: kinds.Kind, plan_clock: str, accel_name: str) -> str:
    """The clock a point runs on: a kind's own clock (pathlen: icount);
    with plan clock 'icount', every point unless KVM works; else the
    set's accelerator (icount too when the user forces it)."""
    if accel_name in (HOST, ICOUNT):
        return accel_name
    if k.clock or (plan_clock == ICOUNT and accel_name != KVM):
        return k.clock or ICOUNT
    return accel_name


def expand(plan: Plan, vcpus: int, seed: int, has_switch: bool = True,
           probes: bool = True, accel_name: str = TCG,
           icount_smp: bool = True) -> list[Point]:
    """The ordered list of points for this many vCPUs (without the probe
    pass where the kernel cannot be traced), each with its clock; with
    icount_smp False (a kernel that cannot boot 2 vCPUs under icount),
    without the icount points of more than one task."""
    one = _one_rep(plan.doc, vcpus, has_switch, probes, accel_name,
                   plan.name)
    total = sum(len(pts) * _reps_of(k, plan.doc) for k, pts in one.items())
    if total > MAX_POINTS:
        raise errors.InputError(
            f"plan {plan.name}: {total} points at {vcpus} vCPUs; allowed: "
            f"at most {MAX_POINTS} (fewer reps, modes, layers or CPU "
            "counts)")
    for k, pts in one.items():
        _check_points(k, pts, plan.name)
    ctx = Context(plan.doc, vcpus, has_switch, probes, accel_name,
                  random.Random(seed))
    clock = plan.doc.get("clock", "auto")
    points = []
    for k in kinds.KINDS.values():
        if accel_name == HOST and not k.on_host:
            continue
        c = clock_of(k, clock, accel_name)
        # On icount a guest has as many vCPUs as the point has tasks: an
        # idle vCPU's own work (timers, the harness) takes the shared
        # instruction clock and shows as 0.2-0.4% noise at 1 task.
        points += [dataclasses.replace(
            p, clock=c, boot_cpus=p.cpus if c == ICOUNT else vcpus)
            for p in k.build(ctx)
            if icount_smp or c != ICOUNT or p.cpus == 1]
    return points


def needs_icount_smp(plan: Plan, vcpus: int, accel_name: str) -> bool:
    """Whether the plan has icount points of more than one task."""
    return any(p.clock == ICOUNT and p.cpus > 1
               for p in expand(plan, vcpus, 0, accel_name=accel_name))


def for_boots(plan: Plan, first: int, most: int) -> Plan:
    """The plan of an A/B run of up to `most` boots per kernel, looked at
    from `first` boots on (harness/flows/ab.py): each boot runs ceil(R / first)
    repetitions of a kind whose plan says R, so the first look has about
    the plan's repetitions; boot k runs repetitions r with r % most == k
    (run_points.py --part)."""
    doc = copy.deepcopy(plan.doc)

    def scaled(r: int) -> int:
        return math.ceil(r / first) * most
    top = doc["reps"]
    doc["reps"] = scaled(top)
    done = set()
    for k in kinds.KINDS.values():
        sec = doc.get(k.section)
        for key, default in k.reps:
            if sec is None or (k.section, key) in done:
                continue
            done.add((k.section, key))
            r = sec.get(key, top if default is None else default)
            if r:
                sec[key] = scaled(r)
    doc["boots"] = {"first": first, "most": most}
    return Plan(plan.name, doc, doc_hash(doc))


def doc_hash(doc) -> str:
    """Hash of the whole plan document, normalised (key order, the
    free-text description left out): two sets compare only if every
    setting that shapes a run is the same."""
    if not isinstance(doc, dict):
        return "none"
    norm = {k: v for k, v in doc.items() if k != "description"}
    return hashlib.sha256(json.dumps(norm, sort_keys=True).encode()
                          ).hexdigest()[:16]


def points_hash(points: list[Point]) -> str:
    ids = sorted(p.id for p in points)
    return hashlib.sha256(json.dumps(ids).encode()).hexdigest()[:16]


# A point's guest time beyond its warm-up and sampled duration: ovlbench's
# start and the harness's work, and the layers' mounts and umounts; probe
# points run mntlock's attach and detach too. Generous next to the host
# wall time per point in results/reference (TCG, 2 vCPUs): a load point
# took 2.6 s for 2.5 s of warm-up and duration, a 1-layer teardown 0.37
# s for 0.25 s, a 500-layer one 4.5 s (its umount alone 8.1 s in
# longterm-serial), a probe point 1.5 times its load point.
POINT_S = 1.0
LAYER_S = 0.01
PROBE_FACTOR = 3
# A point of --ops N (census, coherence) has no warm-up and no sampled
# duration: ovlbench runs until the ops are done. Its ops, and mntlock's
# attach and detach when it has them, count OPS_POINT_S, once (the probe
# factor is the probe pass's, whose points sample for a duration). Host
# wall time per point (TCG, 2 vCPUs): a census point (10000 ops a task
# under mntlock) 3.7 s in all, a coherence point (1000 marked ops, icount
# and the plugin) 1 to 3 s.
OPS_POINT_S = 5.0
# ovlbench's own defaults, for a point whose arguments leave them out
OVLBENCH_WARMUP, OVLBENCH_DURATION = 1.0, 5.0
# A boot's default time limit (harness.flows.bench): its points' estimate times
# LIMIT_MARGIN plus LIMIT_BOOT_S for the boot, at least the hour every
# boot had before (the small plans keep it). The estimate already runs
# long (default plan, 2 vCPUs, TCG: 14.7 min estimated, 9.1 min
# measured, README "Benchmarks"); the margin covers a host twice as slow
# as that. Under TCG with more vCPUs than host cores, vm.time_limit
# scales it further.
LIMIT_MARGIN = 2.0
LIMIT_BOOT_S = 300.0
LIMIT_MIN_S = 3600.0


def _arg(p: Point, opt: str, default: float) -> float:
    """The last value of an ovlbench option in a point's arguments (a
    kind may override one it set before, as ovlbench takes it)."""
    v = default
    for i, a in enumerate(p.args[:-1]):
        if a == opt:
            v = float(p.args[i + 1])
    return v


def point_seconds(p: Point) -> float:
    """Rough guest time of one point (see POINT_S, OPS_POINT_S)."""
    if "--ops" in p.args:
        return POINT_S + OPS_POINT_S + LAYER_S * p.layers
    t = _arg(p, "--warmup", OVLBENCH_WARMUP) + \
        _arg(p, "--duration", OVLBENCH_DURATION) + POINT_S + \
        LAYER_S * p.layers
    return t * (PROBE_FACTOR if p.probe else 1)


def estimate_seconds(points: list[Point]) -> float:
    """Rough guest time of points, for the ETA and the time limits."""
    return sum(point_seconds(p) for p in points)


def time_limit(points: list[Point]) -> float:
    """The default guest time limit of a boot running these points."""
    return max(LIMIT_MIN_S,
               LIMIT_MARGIN * estimate_seconds(points) + LIMIT_BOOT_S)


def boots(points: list[Point], vcpus: int
          ) -> dict[tuple[str, int, str], list[Point]]:
    """The points of each boot, (clock, vCPUs, plugin) -> points in their
    order, the boots in the order of their first point (harness.flows.bench
    boots once per clock, guest size and QEMU plugin)."""
    out: dict[tuple[str, int, str], list[Point]] = {}
    for p in points:
        out.setdefault((p.clock, p.boot_cpus or vcpus, p.plugin),
                       []).append(p)
    return out


def needs(points: list[Point], vcpus: int) -> tuple[int, int, int]:
    """(vCPUs, tasks, layers): the most any boot of these points has,
    runs and mounts (what vm.mem_for sizes a guest by)."""
    return (max((p.boot_cpus or vcpus for p in points), default=vcpus),
            max((p.cpus for p in points), default=0),
            max((p.layers for p in points), default=0))
