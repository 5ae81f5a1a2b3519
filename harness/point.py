"""A point of a plan: one ovlbench invocation, as the plan builds it, the
guest runs it and collect reads its output (points.json holds a list).

Standard library only: the guest runner imports it too.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from pathlib import Path

from harness import errors, setcheck

# Variants of the overhead kind's two halves
PROBE_ON, PROBE_OFF = "probe-on", "probe-off"

# The QEMU plugin a point's boot loads (harness/kernel/vm.py): the coherence
# model of coherence/, writing the window of each marked point
COHERENCE = "coherence"

# A point whose workload this kernel lacks (ovlbench's exit status "na":
# harness/run/ovlbench.py) has the raw output {NA_KEY: reason}
NA_KEY = "not_applicable"


@dataclass(frozen=True)
class Point:
    id: str                 # unique in a set; names its files
    kind: str               # harness/run/kinds: which unit built it
    workload: str           # ovlbench --workload (or the kind's own)
    mode: str               # overlay mode to set (harness/kparams.py)
    variant: str            # what its records compare: the mode, an A/A
    #                         copy 'mode#aa', probe-on/off, 'B/A' of a pair
    layers: int
    cpus: int               # tasks
    rep: int                # repetition: the unit of analysis
    args: tuple[str, ...]   # ovlbench arguments
    probe: bool = False     # mntlock attached
    mntlock_args: tuple[str, ...] = ()
    probe_comm: str = "ovlbench"    # the task name mntlock counts
    pair: tuple[str, str] | None = None  # paired kind: modes A and B
    clock: str = ""         # accelerator it runs on (harness/kernel/accel.py)
    boot_cpus: int = 0      # vCPUs of the boot that runs it
    plugin: str = ""        # a QEMU plugin its boot loads: COHERENCE

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["args"] = list(self.args)
        d["mntlock_args"] = list(self.mntlock_args)
        if not self.plugin:     # sets from before plugins stay as they were
            del d["plugin"]
        if self.pair is None:
            del d["pair"]
        else:
            d["pair"] = list(self.pair)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Point":
        d = dict(d)
        if "variant" not in d:
            d.update(_old_variant(d))
        d["args"] = tuple(d["args"])
        d["mntlock_args"] = tuple(d.get("mntlock_args", ()))
        if d.get("pair") is not None:
            d["pair"] = tuple(d["pair"])
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


def _old_variant(d: dict) -> dict:
    """Sets written before points had a variant: the plan's tagged mode
    ('mode#aa') stood in `mode`, and the overhead and paired kinds named
    their variants from other fields."""
    if d["kind"] == "overhead":
        return {"variant": PROBE_ON if d["probe"] else PROBE_OFF}
    if d["kind"] == "paired":
        a, b = d["pair"]
        return {"variant": paired_variant(a, b)}
    return {"variant": d["mode"], "mode": d["mode"].split("#", 1)[0]}


def paired_variant(a: str, b: str) -> str:
    """The variant of a paired point: mode B relative to mode A."""
    return f"{b}/{a}"


def load(points_doc: list[dict], where: str = "points.json") -> list[Point]:
    """The points of a points.json document; InputError naming where
    and the field if it is not one (setcheck.check_points)."""
    setcheck.check_points(points_doc, where)
    return [Point.from_dict(d) for d in points_doc]


def dump(points: list[Point]) -> list[dict]:
    return [p.to_dict() for p in points]


def of_set(root: Path, known=None) -> list[Point]:
    """The points of a set's points.json, checked (check_points), each of
    a kind in known (harness/run/kinds' KINDS) unless known is None (a
    caller that keeps only its own kind's points)."""
    where = str(Path(root, "points.json"))
    out = load(setcheck.read_json(root, "points.json"), where)
    for i, p in enumerate(out):
        if known is not None and p.kind not in known:
            raise errors.InputError(
                f"{where}: point {i}: kind {p.kind!r}; allowed: "
                f"{', '.join(known)}")
    return out
