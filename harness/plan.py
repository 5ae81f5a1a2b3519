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
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from harness import errors, kinds, kparams
from harness.accel import ICOUNT, KVM, TCG
from harness.kinds.base import HOST, Context
from harness.paths import REPO
from harness.point import Point

PLANS = REPO / "harness" / "plans"
# The file workloads a plan's sections may run (the rest of ovlbench's
# workloads are kinds of their own: teardown, bystander)
WORKLOADS = ("open-close", "open-close-shared", "open-read-close", "stat")
CLOCKS = ("auto", ICOUNT)  # plan `clock`: the accelerator's, or icount


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
    allowed = kparams.MODES + (kparams.DEFAULT,)
    for sec in sorted({k.section for k in kinds.KINDS.values()}):
        d = doc.get(sec, {})
        for m in d.get("modes", []):
            if kparams.plan_mode(m) not in allowed:
                raise errors.InputError(
                    f"plan {path}: [{sec}] mode {m!r}; allowed: "
                    f"{', '.join(allowed)}")
        r = d.get("reps", 1)
        if isinstance(r, bool) or not isinstance(r, int) or r < 1:
            raise errors.InputError(
                f"plan {path}: [{sec}] reps={r!r}; allowed: an integer "
                ">= 1")
        for w in d.get("workloads", []):
            if w not in WORKLOADS:
                raise errors.InputError(
                    f"plan {path}: [{sec}] workload {w!r}; allowed: "
                    f"{', '.join(WORKLOADS)}")
    for k in kinds.KINDS.values():
        if k.validate:
            k.validate(doc, path)
    _validate_gate(doc.get("gate", {}), path)
    for key in ("all_puts", "path_walk"):
        v = doc.get("probes", {}).get(key, False)
        if not isinstance(v, bool):
            raise errors.InputError(
                f"plan {path}: [probes] {key}={v!r}; allowed: true, false")


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
           probes: bool = True, accel_name: str = TCG) -> list[Point]:
    """The ordered list of points for this many vCPUs (without the probe
    pass where the kernel cannot be traced), each with its clock."""
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
            for p in k.build(ctx)]
    return points


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


def estimate_seconds(plan: Plan, points: list[Point]) -> float:
    """Rough guest time, for the ETA before the first point finishes."""
    d = plan.doc
    per = d["warmup"] + d["duration"] + 1.0
    return sum(per * (3 if p.probe else 1) for p in points)
