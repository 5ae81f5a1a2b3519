"""Run plans: a small TOML file expanded into an ordered list of points.

Each point is one ovlbench invocation (optionally with mntlock attached, in
a marked probe pass). Within each repetition the order of points, and so of
modes, is shuffled with a recorded seed, so that drift does not pass for a
difference between modes.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import random
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from harness import errors
from harness.accel import ICOUNT, KVM, TCG
from harness.paths import REPO

HOST = "host"       # no VM: the running kernel

PLANS = REPO / "harness" / "plans"
MODES = ("longterm-array", "longterm-array-normal", "longterm-serial",
         "detached")
WORKLOADS = ("open-close", "open-close-shared", "open-read-close", "stat")
CLOCKS = ("auto", ICOUNT)  # plan `clock`: the accelerator's, or icount
FIXED = "fixed"     # the one mode of a kernel without the switch
DEFAULT = "default"  # leave the switch alone: the kernel's own default


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


def base_mode(variant: str) -> str:
    """'longterm-array#aa' -> 'longterm-array': a tagged copy of a mode is
    an A/A control, run interleaved with the mode itself."""
    return variant.split("#", 1)[0]


def _validate(doc: dict, path: Path) -> None:
    for key in ("reps", "warmup", "duration", "interval"):
        v = doc.get(key)
        if not isinstance(v, (int, float)) or v < 0 or (
                key != "warmup" and v <= 0):
            raise errors.InputError(f"plan {path}: {key}={v!r} must be > 0")
    clock = doc.get("clock", "auto")
    if clock not in CLOCKS:
        raise errors.InputError(
            f"plan {path}: clock={clock!r}; allowed: {', '.join(CLOCKS)}")
    if clock == ICOUNT and doc.get("pathlen", {}).get("modes"):
        raise errors.InputError(
            f"plan {path}: [pathlen] with clock='icount'; allowed: one of "
            "them (load points already run on icount)")
    for pair in doc.get("paired", {}).get("pairs", []):
        if not (isinstance(pair, list) and len(pair) == 2
                and all(m in MODES for m in pair) and pair[0] != pair[1]):
            raise errors.InputError(
                f"plan {path}: [paired] pair {pair!r}; allowed: two "
                f"different modes of {', '.join(MODES)}")
    for sec in ("load", "pathlen", "teardown", "bystander", "probes"):
        for m in doc.get(sec, {}).get("modes", []):
            if base_mode(m) not in MODES + (DEFAULT,):
                raise errors.InputError(
                    f"plan {path}: [{sec}] mode {m!r}; allowed: "
                    f"{', '.join(MODES + (DEFAULT,))}")
    for sec in ("pathlen", "teardown", "bystander", "probes", "paired"):
        r = doc.get(sec, {}).get("reps", 1)
        if isinstance(r, bool) or not isinstance(r, int) or r < 1:
            raise errors.InputError(
                f"plan {path}: [{sec}] reps={r!r}; allowed: an integer "
                ">= 1")
    _validate_gate(doc.get("gate", {}), path)
    ap = doc.get("probes", {}).get("all_puts", False)
    if not isinstance(ap, bool):
        raise errors.InputError(
            f"plan {path}: [probes] all_puts={ap!r}; allowed: true, false")
    for sec in ("load", "pathlen", "probes", "paired"):
        for w in doc.get(sec, {}).get("workloads", []):
            if w not in WORKLOADS:
                raise errors.InputError(
                    f"plan {path}: [{sec}] workload {w!r}; allowed: "
                    f"{', '.join(WORKLOADS)}")


def _validate_gate(gate: dict, path: Path) -> None:
    """[gate] metrics: regexes naming the gated measures (the family of
    the gate's multiple-comparison correction); threshold: percent."""
    ms = gate.get("metrics", [])
    if not isinstance(ms, list) or not all(isinstance(m, str) for m in ms):
        raise errors.InputError(
            f"plan {path}: [gate] metrics={ms!r}; allowed: a list of "
            "regular expressions")
    for m in ms:
        try:
            re.compile(m)
        except re.error as e:
            raise errors.InputError(
                f"plan {path}: [gate] metric {m!r}: {e}; allowed: a "
                "regular expression") from None
    th = gate.get("threshold", 2.0)
    if isinstance(th, bool) or not isinstance(th, (int, float)) or th < 0:
        raise errors.InputError(
            f"plan {path}: [gate] threshold={th!r}; allowed: a percentage "
            ">= 0")


def cpu_counts(spec, vcpus: int) -> list[int]:
    """'powers' -> 1, 2, 4, ... vcpus; a list may hold 'all'."""
    if spec == "powers":
        out, n = [], 1
        while n < vcpus:
            out.append(n)
            n *= 2
        return out + [vcpus]
    out = []
    for c in spec:
        n = vcpus if c == "all" else int(c)
        if n < 1 or n > vcpus:
            raise errors.InputError(
                f"plan cpus {c!r}: must be 1..{vcpus} or 'all'")
        if n not in out:
            out.append(n)
    return out


def _common(plan: Plan, cpus: int) -> list[str]:
    d = plan.doc
    return ["--tasks", str(cpus), "--cpus", f"0-{cpus - 1}",
            "--mode", d.get("task_mode", "process"),
            "--warmup", str(d["warmup"]), "--interval", str(d["interval"])]


def _modes(sec: dict, has_switch: bool) -> list[str]:
    modes = list(sec.get("modes", []))
    return modes if has_switch or not modes else [FIXED]


def clock_of(p: dict, plan_clock: str, accel_name: str) -> str:
    """The clock a point runs on: path-length points always on icount;
    with plan clock 'icount', every point unless KVM works; else the
    set's accelerator (icount too when the user forces it)."""
    if accel_name in (HOST, ICOUNT):
        return accel_name
    if p["kind"] == "pathlen" or (plan_clock == ICOUNT
                                  and accel_name != KVM):
        return ICOUNT
    return accel_name


def _workload_points(plan: Plan, kind: str, sec: dict, vcpus: int,
                     has_switch: bool, rng: random.Random, reps: int,
                     **extra) -> list[dict]:
    """Points running a file workload per mode and CPU count: load,
    pathlen (the same on the icount clock: instructions per op) and
    probe (with mntlock attached: extra carries its fields)."""
    d = plan.doc
    dur = str(sec.get("duration", d["duration"]))
    # a section's own shorter duration is one interval long
    interval = (["--interval", dur]
                if float(dur) < d["interval"] else [])
    out = []
    for rep in range(sec.get("reps", reps)):
        block = []
        for w in sec.get("workloads", []):
            for layers in sec.get("layers", [2]):
                for c in cpu_counts(sec.get("cpus", "powers"), vcpus):
                    for m in _modes(sec, has_switch):
                        block.append({
                            "id": f"{kind}-{w}-l{layers}-c{c}-{m}-r{rep}",
                            "kind": kind, "workload": w, "mode": m,
                            "layers": layers, "cpus": c, "rep": rep,
                            "probe": False, **extra,
                            "args": ["--workload", w, "--layers", str(layers),
                                     "--duration", dur, *_common(plan, c),
                                     *interval]})
        rng.shuffle(block)
        out += block
    return out


def expand(plan: Plan, vcpus: int, seed: int, has_switch: bool = True,
           probes: bool = True, accel_name: str = TCG) -> list[dict]:
    """The ordered list of points for this many vCPUs (without the probe
    pass where the kernel cannot be traced), each with its clock."""
    rng = random.Random(seed)
    d = plan.doc
    dur = str(d["duration"])
    points = _workload_points(plan, "load", plan.section("load"), vcpus,
                              has_switch, rng, d["reps"])
    if accel_name != HOST:     # no icount clock on the host
        points += _workload_points(plan, "pathlen", plan.section("pathlen"),
                                   vcpus, has_switch, rng, d["reps"])

    pa = plan.section("paired") if has_switch else {}
    for rep in range(pa.get("reps", 1)):
        block = []
        for a, b in pa.get("pairs", []):
            for w in pa.get("workloads", ["open-close"]):
                for layers in pa.get("layers", [2]):
                    for c in cpu_counts(pa.get("cpus", "powers"), vcpus):
                        block.append({
                            "id": f"paired-{w}-l{layers}-c{c}-{b}-vs-{a}"
                                  f"-r{rep}",
                            # ovlbench sets the switch for each overlay
                            "kind": "paired", "workload": w,
                            "mode": DEFAULT, "pair": [a, b],
                            "layers": layers, "cpus": c, "rep": rep,
                            "probe": False,
                            "args": ["--workload", w, "--layers",
                                     str(layers), "--duration", dur,
                                     *_common(plan, c), "--interval",
                                     str(pa.get("interval", 0.25)),
                                     "--pair-modes", f"{a},{b}"]})
        rng.shuffle(block)
        points += block

    td = plan.section("teardown")
    tdur = str(td.get("duration", 1.0))
    for rep in range(td.get("reps", 1)):
        block = []
        for layers in td.get("layers", []):
            for m in _modes(td, has_switch):
                block.append({
                    "id": f"teardown-l{layers}-{m}-r{rep}",
                    "kind": "teardown", "workload": "teardown", "mode": m,
                    "layers": layers, "cpus": 1, "rep": rep,
                    "probe": False,
                    "args": ["--workload", "teardown", "--upper",
                             "--layers", str(layers), "--tasks", "1",
                             "--cpus", "0", "--warmup", "0",
                             "--duration", tdur, "--interval", tdur]})
        rng.shuffle(block)
        points += block

    by = plan.section("bystander")
    if vcpus >= 2:
        for rep in range(by.get("reps", 1)):
            block = []
            for layers in by.get("layers", []):
                for m in _modes(by, has_switch):
                    block.append({
                        "id": f"bystander-l{layers}-{m}-r{rep}",
                        "kind": "bystander", "workload": "bystander",
                        "mode": m, "layers": layers,
                        "cpus": vcpus, "rep": rep, "probe": False,
                        "args": ["--workload", "bystander", "--upper",
                                 "--layers", str(layers), "--duration", dur,
                                 *_common(plan, vcpus)]})
            rng.shuffle(block)
            points += block

    pr = plan.section("probes") if probes else {}
    # mntlock's own options: the overhead pairs measure the tool as the
    # probe pass runs it
    margs = ["--all-puts"] if pr.get("all_puts") else []
    points += _workload_points(plan, "probe", pr, vcpus, has_switch, rng, 1,
                               probe=True, mntlock_args=margs)
    # Overhead: the same open-close run with and without the tool, in
    # alternating pairs in the same boot, for every mode and CPU count
    # of the probe pass.
    block = []
    for rep in range(pr.get("overhead_reps", 0)):
        for m in _modes(pr, has_switch):
            for c in cpu_counts(pr.get("cpus", "powers"), vcpus):
                for on in rng.sample([False, True], 2):
                    block.append({
                        "id": f"overhead-{m}-c{c}-{'on' if on else 'off'}"
                              f"-r{rep}",
                        "kind": "overhead", "workload": "open-close",
                        "mode": m, "layers": 2, "cpus": c, "rep": rep,
                        "probe": on, "mntlock_args": margs if on else [],
                        "args": ["--workload", "open-close", "--layers",
                                 "2", "--duration", dur,
                                 *_common(plan, c)]})
    points += block
    clock = d.get("clock", "auto")
    for p in points:
        p["clock"] = clock_of(p, clock, accel_name)
        # On icount a guest has as many vCPUs as the point has tasks: an
        # idle vCPU's own work (timers, the harness) takes the shared
        # instruction clock and shows as 0.2-0.4% noise at 1 task.
        p["boot_cpus"] = p["cpus"] if p["clock"] == ICOUNT else vcpus
    return points


# Sections with repetitions, and their count when the plan gives none
_REPS_DEFAULT = {"load": None, "pathlen": None, "paired": 1, "teardown": 1,
                 "bystander": 1, "probes": 1}


def for_boots(plan: Plan, first: int, most: int) -> Plan:
    """The plan of an A/B run of up to `most` boots per kernel, looked at
    from `first` boots on (harness/ab.py): each boot runs ceil(R / first)
    repetitions of a kind whose plan says R, so the first look has about
    the plan's repetitions; boot k runs repetitions r with r % most == k
    (run_points.py --part)."""
    doc = copy.deepcopy(plan.doc)

    def scaled(r: int) -> int:
        return math.ceil(r / first) * most
    top = doc["reps"]
    doc["reps"] = scaled(top)
    for sec, default in _REPS_DEFAULT.items():
        if sec in doc:
            doc[sec]["reps"] = scaled(doc[sec].get("reps", default or top))
    if doc.get("probes", {}).get("overhead_reps"):
        doc["probes"]["overhead_reps"] = scaled(
            doc["probes"]["overhead_reps"])
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


def points_hash(points: list[dict]) -> str:
    ids = sorted(p["id"] for p in points)
    return hashlib.sha256(json.dumps(ids).encode()).hexdigest()[:16]


def estimate_seconds(plan: Plan, points: list[dict]) -> float:
    """Rough guest time, for the ETA before the first point finishes."""
    d = plan.doc
    per = d["warmup"] + d["duration"] + 1.0
    return sum(per * (3 if p["probe"] else 1) for p in points)
