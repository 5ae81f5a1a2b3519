"""coherence: the cache lines an op fights over ([coherence]), per mode
and vCPU count, from the QEMU plugin in coherence/ (harness/linemodel.py
defines the rule and the metrics).

Each point runs in an icount boot of its own vCPU count with the plugin
loaded: N tasks pinned to the N vCPUs do exactly `ops` marked ops each
(ovlbench --coherence-marks). The footprint does not depend on the
interleaving, so one run per point is the measurement, an exact count.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from harness import (costmodel, errors, kparams, ksymbols, linemodel,
                     resultset, setcheck)
from harness.accel import ICOUNT
from harness.kinds import base, load
from harness.point import COHERENCE, Point

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
    f = resultset.window_file(sdir, p)
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


def _names(sdir: Path) -> dict[str, str]:
    f = names_file(sdir)
    if not f.exists():
        return {}       # named where the kernel was at hand, or never
    d = setcheck.read_json(sdir, NAME, f.name)
    if not isinstance(d, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in d.items()):
        raise errors.InputError(f"{f}: not an object of address -> name "
                                "strings")
    return d


def line_label(ln: linemodel.Line, names: dict[str, str]) -> str:
    """What the line is: a kernel symbol, a vCPU's per-CPU area, user
    memory, or heap (slab, page allocator: not named here)."""
    va = ln.hot_va
    if va >= linemodel.KERNEL_IMAGE:
        return names.get(hex(va), hex(va))
    if ln.percpu_of is not None:
        return f"per-cpu of cpu{ln.percpu_of}"
    if va < linemodel.USER_END:
        return "user"
    return "heap"


def code_label(pc: int, names: dict[str, str]) -> str:
    return names.get(hex(pc), hex(pc))


def addresses(ln: linemodel.Line) -> list[int]:
    """The addresses of a line that want names: its kernel-image
    address, and the code that touches it."""
    out = [s.pc for s in ln.sites if s.pc >= linemodel.KERNEL_IMAGE]
    return out + ([ln.hot_va] if ln.hot_va >= linemodel.KERNEL_IMAGE
                  else [])


def _points(rs) -> list[Point]:
    return [p for p in rs.points if p.kind == NAME and
            resultset.window_file(rs.path, p).is_file()]


def report(rs) -> list[str]:
    pts = _points(rs)
    if not pts:
        return []
    names = _names(rs.path)
    out = ["Cache lines fought over (coherence model, exact counts)", ""]
    out += textwrap.wrap(
        "Per op: the lines that 2 or more vCPUs each touch in at least "
        f"{linemodel.TOUCH_MIN:.0%} of their ops, one of them writing it "
        f"in at least {linemodel.WRITE_MIN:.0%}; the model's upper bound "
        "on line transfers per op with infinite caches (harness/"
        "linemodel.py). Not a cycle count. false: of them, lines whose "
        "vCPUs use disjoint bytes. Own lines: those touched in at least "
        f"{linemodel.OWN_MIN:.0%} of the ops, the op's own, without the "
        "timer tick's (under icount the tick comes once per 4 ms, HZ=250, "
        "of the instructions of all vCPUs: N times as often per op at N "
        "vCPUs). "
        "In the tables of lines: rd, the vCPUs "
        "that only read a line; wr, those that write it; touch and "
        "write, per op of a vCPU; the code that touches it most; a "
        "vCPU's own per-CPU lines of one kind on one row.", WIDTH) + [""]
    # (workload, layers) -> variant -> vCPUs -> window
    by: dict[tuple, dict[str, dict[int, linemodel.Window]]] = {}
    for p in sorted(pts, key=lambda p: (p.workload, p.layers, p.cpus)):
        by.setdefault((p.workload, p.layers), {}).setdefault(
            p.variant, {})[p.cpus] = window(rs.path, p)
    for (w, layers), modes in by.items():
        order = sorted(modes, key=lambda v: (v != kparams.DETACHED, v))
        cpus = sorted({n for per in modes.values() for n in per})
        out.append(f"{w}, {layers} layers: fought-over lines per op "
                   "(false-shared) [own lines]")
        out.append("  vCPUs " + "".join(f"{v:>24}" for v in order))
        for n in cpus:
            cells = []
            for v in order:
                w_ = modes[v].get(n)
                cells.append("-" if w_ is None else
                             f"{w_.per_op():.2f} "
                             f"({w_.per_op(false_only=True):.2f}) "
                             f"[{len(w_.own)}]")
            out.append(f"  {n:>5} " + "".join(f"{c:>24}" for c in cells))
        out.append("")
        shown = [n for n in cpus if n > 1][-1:]
        for v in order:
            for n in shown:
                if n in modes[v]:
                    out += _top_lines(v, n, modes[v][n], names)
    return out + costmodel.lines(rs)


def _top_lines(variant: str, n: int, w: linemodel.Window,
               names: dict[str, str]) -> list[str]:
    """perf c2c's shared-data table, per line: readers and writers,
    touches and writes per op, true or false sharing, the code."""
    fought = w.fought
    rows: list[list] = []       # [label, count, rd, wr, touch, ...]
    for ln in fought:
        us = ln.touchers
        row = [line_label(ln, names), 1,
               sum(1 for u in us if u.write_rate < linemodel.WRITE_MIN),
               len(ln.writers), sum(u.rate for u in us) / len(w.ops),
               sum(u.write_rate for u in us) / len(w.ops),
               "false" if ln.false_shared else "true",
               code_label(ln.sites[0].pc, names) if ln.sites else "-"]
        last = rows[-1] if rows else None
        if last and ln.percpu_of is not None and \
                last[0].startswith("per-cpu") and last[2:] == row[2:]:
            last[1] += 1
            last[0] = f"per-cpu x{last[1]}"
        else:
            rows.append(row)
    out = [f"  {variant}, {n} vCPUs: {len(fought)} lines, "
           f"{w.per_op():.2f} per op",
           f"    {'line':<20} {'rd':>3} {'wr':>3} {'touch':>5} "
           f"{'write':>5} share  code"]
    for label, _, rd, wr, touch, write, share, code in rows[:TOP_LINES]:
        out.append(f"    {label[:20]:<20} {rd:>3} {wr:>3} {touch:>5.2f} "
                   f"{write:>5.2f} {share:<5}  {code}")
    if len(rows) > TOP_LINES:
        out.append(f"    ... {len(rows) - TOP_LINES} more rows")
    return out + [""]


def after_boots(sdir: Path, kernel) -> None:
    name_set(sdir, kernel.dir / "System.map")


def name_set(sdir: Path, system_map: Path) -> None:
    """Write the names of the set's kernel addresses (lines in the
    kernel image, the code that touches lines) from the kernel's
    System.map, shifted by the guest's KASLR offset where a boot recorded
    its _text (run_points.py)."""
    syms = ksymbols.Symbols.from_file(system_map)
    want: dict[int, int] = {}      # address -> its boot's KASLR shift
    for p in setcheck.points(sdir):
        f = resultset.window_file(sdir, p)
        if p.kind != NAME or not f.is_file():
            continue
        shift = syms.shift(_boot_text(sdir, p))
        for ln in window(sdir, p).fought:
            for a in addresses(ln):
                want[a] = shift
    names = {hex(a): n for a, s in sorted(want.items())
             if (n := syms.name(a - s))}
    resultset.write_text(names_file(sdir), json.dumps(names, indent=1,
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


def plots(rs, out: Path) -> list[str]:
    from harness import plots as P
    made = []
    if P.lines_vs_vcpus(rs, out, kind=NAME, quantity="fought_lines_per_op"):
        made.append("coherence")
    if costmodel.plot(rs, out):
        made.append("coherence-predicted")
    return made


KIND = base.Kind(name=NAME, section=NAME, build=build, collect=collect,
                 metric=metric, reps=(("reps", 1),), validate=validate,
                 report=report, plots=plots, clock=ICOUNT, on_host=False,
                 after_boots=after_boots,
                 keys=("modes", "workloads", "layers", "vcpus", "ops",
                       "reps"))
