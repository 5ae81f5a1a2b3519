"""coherence: the cache lines an op fights over ([coherence]), per mode
and vCPU count, from the QEMU plugin in coherence/ (harness/run/linemodel.py
defines the rule and the metrics).

Each point runs in an icount boot of its own vCPU count with the plugin
loaded: N tasks pinned to the N vCPUs do exactly `ops` marked ops each
(ovlbench --coherence-marks). The footprint does not depend on the
interleaving, so one run per point is the measurement, an exact count.
"""

from __future__ import annotations

import json
from pathlib import Path

from harness import errors, point, setcheck, setfiles
from harness.kernel import ksymbols
from harness.kernel.accel import ICOUNT
from harness.point import COHERENCE, Point
from harness.run import linemodel
from harness.run.kinds import base, load

NAME = "coherence"
MAX_VCPUS = 64
DEFAULT_VCPUS = [1, 2, 4, 8, 16]
DEFAULT_OPS = 1000
TOP_LINES = 8       # lines listed per mode and vCPU count in the report
WIDTH = 78


def build(ctx: base.Context) -> list[Point]:
    sec = ctx.section(NAME)
    ops = str(sec.get("ops", DEFAULT_OPS))
    out: list[Point] = []
    for rep in range(sec.get("reps", 1)):
        block = []
        for w in sec.get("workloads", ["open-close"]):
            for layers in sec.get("layers", [2]):
                for n in sec.get("vcpus", DEFAULT_VCPUS):
                    for m, v in base.modes(sec, ctx.has_switch):
                        block.append(Point(
                            id=f"{NAME}-{w}-l{layers}-v{n}-{v}-r{rep}",
                            kind=NAME, workload=w, mode=m, variant=v,
                            layers=layers, cpus=n, rep=rep,
                            plugin=COHERENCE,
                            args=("--workload", w, "--layers", str(layers),
                                  "--ops", ops, "--coherence-marks",
                                  "--tasks", str(n), "--cpus",
                                  f"0-{n - 1}", "--mode",
                                  ctx.doc.get("task_mode", "process"))))
        ctx.rng.shuffle(block)
        out += block
    return out


def window(sdir: Path, p: Point) -> linemodel.Window:
    f = setfiles.window_file(sdir, p)
    doc = setcheck.read_json(sdir, NAME, f.name)
    return linemodel.load(doc, str(f))


def collect(c, p: Point, boot: int, doc: dict, icount: bool,
            sdir: Path) -> None:
    w = window(sdir, p)
    c.add(p, boot, "fought_lines_per_op", [w.per_op()])
    c.add(p, boot, "false_shared_lines_per_op", [w.per_op(false_only=True)])
    # the path length of the same ops (icount; the plugin adds none)
    c.add(p, boot, "ops_per_s_per_task", [load.throughput(doc, True)],
          icount=True)


def metric(quantity: str, p: Point) -> str:
    return f"{NAME}.{p.workload}.l{p.layers}.v{p.cpus}.{quantity}"


# Names of the lines and code (written by name_set while the kernel is
# at hand, so that a set reports the same on any machine)
def names_file(sdir: Path) -> Path:
    return sdir / NAME / "names.json"


def addresses(ln: linemodel.Line) -> list[int]:
    """The addresses of a line that want names: its kernel-image
    address, and the code that touches it."""
    out = [s.pc for s in ln.sites if s.pc >= linemodel.KERNEL_IMAGE]
    return out + ([ln.hot_va] if ln.hot_va >= linemodel.KERNEL_IMAGE
                  else [])


def after_boots(sdir: Path, kernel) -> None:
    name_set(sdir, kernel.dir / "System.map")


def name_set(sdir: Path, system_map: Path) -> None:
    """Write the names of the set's kernel addresses (lines in the
    kernel image, the code that touches lines) from the kernel's
    System.map, shifted by the guest's KASLR offset where a boot recorded
    its _text (run_points.py)."""
    syms = ksymbols.Symbols.from_file(system_map)
    want: dict[int, int] = {}      # address -> its boot's KASLR shift
    for p in point.of_set(sdir):
        f = setfiles.window_file(sdir, p)
        if p.kind != NAME or not f.is_file():
            continue
        shift = syms.shift(_boot_text(sdir, p))
        for ln in window(sdir, p).fought:
            for a in addresses(ln):
                want[a] = shift
    names = {hex(a): n for a, s in sorted(want.items())
             if (n := syms.name(a - s))}
    setfiles.write_text(names_file(sdir), json.dumps(names, indent=1,
                                                      sort_keys=True) + "\n")


def _boot_text(sdir: Path, p: Point) -> int | None:
    try:
        doc = setcheck.read_json(sdir, "boots", f"{p.id}.json")
    except errors.InputError:
        return None
    t = doc.get("kernel_text") if isinstance(doc, dict) else None
    try:
        return int(t, 16) if isinstance(t, str) else None
    except ValueError:
        return None


def validate(doc: dict, path: Path) -> None:
    bad = [w for w in doc.get(NAME, {}).get("workloads", [])
           if w not in base.MARKED_WORKLOADS]
    if bad:
        raise errors.InputError(
            f"plan {path}: [{NAME}] workload {bad[0]!r}; allowed: "
            f"{', '.join(base.MARKED_WORKLOADS)} (ovlbench "
            "--coherence-marks)")


KIND = base.Kind(name=NAME, section=NAME, build=build, collect=collect,
                 metric=metric, reps=(("reps", 1),), validate=validate,
                 clock=ICOUNT, on_host=False,
                 after_boots=after_boots,
                 keys=("modes", "workloads", "layers", "vcpus", "ops",
                       "reps"))
