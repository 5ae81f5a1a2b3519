"""The report section and plots of the coherence kind (its points and records:
harness/run/kinds/coherence.py)."""

from __future__ import annotations

import textwrap
from pathlib import Path
from harness import errors, kparams, setcheck, setfiles
from harness.output import costmodel
from harness.point import Point
from harness.run import linemodel
from harness.run.kinds.coherence import (NAME, names_file, TOP_LINES, WIDTH,
                                         window)


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


def _points(rs) -> list[Point]:
    return [p for p in rs.points if p.kind == NAME and
            setfiles.window_file(rs.path, p).is_file()]


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


def plots(rs, out: Path) -> list[str]:
    from harness.output import plots as P
    made = []
    if P.lines_vs_vcpus(rs, out, kind=NAME, quantity="fought_lines_per_op"):
        made.append("coherence")
    if costmodel.plot(rs, out):
        made.append("coherence-predicted")
    return made
