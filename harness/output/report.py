"""report.txt (<= 72 columns, LKP style), report.md and summary.json for a
result set: each mode against upstream's longterm-array, marked with the
gate's own verdicts, and the noise floor of each mode from its A/A copy
with the runs a 2% change needs.

Both reports open with a summary of at most SUMMARY_LINES lines that a
reviewer can paste whole: per mode, the exact facts against
longterm-array (slow mntputs, grace periods, path length, fought-over
lines: medians of runs), then the wall-clock changes the gate decided
with their CIs, and a count of those it left undecided, and why.

Exit status: 0; 1 when a plot failed (one line says why; report.txt,
report.md and summary.json are written all the same: the plots are a
view of them); 2 bad input, or a report that cannot be written."""

from __future__ import annotations

import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from harness import cli, errors, exitstatus, kparams, metrics, setfiles
from harness.analysis import gate, resultset, stats
from harness.kernel.accel import ICOUNT
from harness.output import sections
from harness.run import kinds, monitor

BASE_MODE = kparams.UPSTREAM
# The numbers are written but a plot failed (harness/exitstatus.py)
PLOTS_FAILED = exitstatus.FAILED
WIDTH = 72
POWER_CHANGE = 0.02     # the change the power line is computed for
# Marks of the LKP table: the gate's verdict on a gated measure
MARKS = {stats.REGRESSION: "*", stats.IMPROVED: "*",
         stats.EQUIVALENT: "=", stats.INCONCLUSIVE: "?",
         stats.NOT_GATEABLE: "?"}
LEGEND = ("* = gate: significant change beyond the threshold, "
          "= equivalent, ? = undecided; blank: not a gated metric")
SUMMARY_LINES = 20
NAME_COL = 46       # where an LKP row's name starts: its point above it
# The summary's exact facts: (what, its quantities, at one task only).
# Path length is instructions per op of one task: at N busy tasks an
# icount ns is N instructions' time (harness/metrics.py).
FACTS = (("slow mntputs", ("slow_puts_per_op", "census_slow_puts_per_op"),
          False),
         ("grace periods", ("gp_per_umount", "gp_expedited_per_umount"),
          False),
         ("path length", ("insn_ns_per_op",), True),
         ("fought-over lines", ("fought_lines_per_op",), False))


def _pct_sd(values) -> str:
    x = np.asarray(values, dtype=float)
    med = float(np.median(x))
    if med == 0 or x.size < 2:
        return "     "
    return f"±{min(99, round(100 * np.std(x, ddof=1) / abs(med))):2d}%"


def _num(x: float) -> str:
    return gate.fmt_num(x)


def aa_noise(rs: resultset.ResultSet) -> dict[str, dict[str, float]]:
    """mode -> {measure: relative run-to-run noise} for every mode that
    has an A/A copy (a variant of the same mode, such as mode#aa) in the
    set."""
    out: dict[str, dict[str, float]] = {}
    for (m, v), s in rs.series.items():
        if v == s.mode or not kinds.of(s.kind).compares_modes:
            continue
        twin = rs.series.get((m, s.mode))
        if twin is None or s.exact:
            continue
        out.setdefault(s.mode, {})[str(m)] = stats.noise(
            [twin.values, s.values])
    return out


def summary(rs: resultset.ResultSet) -> dict:
    out: dict = {"measures": {}, "noise": {}}
    for (m, v), s in sorted(rs.series.items()):
        e = stats.estimate(s.values)
        d = out["measures"].setdefault(str(m), {
            "unit": s.unit, "direction": s.direction, "exact": s.exact,
            "variants": {}})
        d["variants"][v] = {"median": e.median, "ci": [e.lo, e.hi],
                            "n_runs": e.n, "boots": len(set(s.boots)),
                            "stddev": e.stddev}
    for mode, per in aa_noise(rs).items():
        out["noise"][mode] = {
            name: {"noise_floor": n,
                   "runs_for_2pct": stats.reps_needed(n, POWER_CHANGE)}
            for name, n in sorted(per.items())}
    return out


def _pairs(rs: resultset.ResultSet) -> list[tuple[str, str]]:
    variants = sorted({s.variant for s in rs.series.values()
                       if kinds.of(s.kind).compares_modes})
    if not variants:
        return []
    base = BASE_MODE if BASE_MODE in variants else variants[0]
    keys = set(rs.series)

    def shared(v: str) -> bool:
        return any((m, base) in keys for m, w in keys if w == v)
    return [(base, v) for v in variants if v != base and shared(v)]


def verdicts(rs: resultset.ResultSet, base: str,
             cand: str) -> dict[metrics.Measure, gate.Verdict]:
    """The gate's verdicts on the plan's gated measures for this pair;
    empty when the plan declares none or the pair has none of them. A
    pattern the gate refuses is the set's fault: InputError (exit 2)."""
    if not gate.declares(rs):
        return {}
    try:
        vs = gate.evaluate(rs, rs, base, cand, gate.Options())
    except gate.NothingInCommon:
        return {}
    return {v.measure: v for v in vs}


def _rows(rs: resultset.ResultSet, base: str, cand: str):
    """(measure, base series, cand series, mark) of a pair."""
    marks = {m: MARKS[v.outcome] for m, v in
             verdicts(rs, base, cand).items()}
    for (m, v), sb in sorted(rs.series.items()):
        sc = rs.series.get((m, cand))
        if v == base and sc is not None:
            yield m, sb, sc, marks.get(m, " ")


def _change(b: float, c: float) -> str:
    if b > 0 and c > 0:
        return gate.fmt_ratio(c / b)
    return "0.0%" if b == c else ("new" if b == 0 else "n/a")


def mode_pairs(rs: resultset.ResultSet) -> list[tuple[str, str]]:
    """The summary's pairs: the tables' (_pairs), and those a kind
    outside them (census) has facts of, against the same base; an A/A
    copy of the base (longterm-array#aa) measures its noise, not a
    mode."""
    pairs = _pairs(rs)
    variants = {s.variant for s in rs.series.values()}
    base = pairs[0][0] if pairs else BASE_MODE
    if base not in variants:
        return []
    keys = set(rs.series)
    fact_q = {q for _, qs, _ in FACTS for q in qs}
    more = {v for (m, v), s in rs.series.items()
            if v != base and s.quantity in fact_q and (m, base) in keys}
    mode = {s.variant: s.mode for s in rs.series.values()}
    return [(base, c) for c in sorted({c for _, c in pairs} | more)
            if mode.get(c) != mode.get(base)]


@dataclass(frozen=True)
class Fact:
    """An exact fact of a mode against the base: a quantity at one
    workload and layer count, the medians of runs at each task count."""
    quantity: str
    label: str                  # what ran: workload (and layers)
    cpus: tuple[int, ...]
    cand: tuple[float, ...]
    base: tuple[float, ...]


def facts(rs: resultset.ResultSet, base: str, cand: str) -> list[Fact]:
    """The summary's FACTS the set holds for both modes, in FACTS' order."""
    out = []
    for _, quantities, one_task in FACTS:
        for q in quantities:
            at: dict[tuple, list] = {}
            for sb in rs.select(variant=base, quantity=q):
                sc = rs.series.get((sb.measure, cand))
                if sc is None or (one_task and sb.cpus != 1):
                    continue
                at.setdefault((sb.kind, sb.workload, sb.layers), []).append(
                    (sb.cpus, float(np.median(sb.values)),
                     float(np.median(sc.values))))
            labels = {k: f"{k[1]} l{k[2]}" if k[2] else k[1] for k in at}
            for k in sorted(at):
                label = labels[k]
                if list(labels.values()).count(label) > 1:
                    label = f"{k[0]} {label}"   # two kinds ran it
                cpus, b, c = zip(*sorted(at[k]))
                out.append(Fact(q, label, cpus, c, b))
    return out


def _fact_lines(f: Fact) -> list[str]:
    def vals(xs) -> str:
        return "/".join(_num(x) for x in xs)
    text = f"{f.label}: {vals(f.cand)} vs {vals(f.base)}"
    if len(f.cpus) == 1 and f.cand[0] > 0 and f.base[0] > 0:
        text += f" ({_change(f.base[0], f.cand[0])})"
    n = "/".join(map(str, f.cpus))
    tasks = f"{n} task{'' if f.cpus == (1,) else 's'}"
    return _wrap(f"{metrics.short(f.quantity):<16} " + _nobreak(text)
                 + ", " + _nobreak(tasks), "  ", "    ")


def clocks(rs: resultset.ResultSet):
    """series -> the clock it ran on: its points' (points.json); for a
    set without them, icount for icount quantities, else the set's
    accelerator."""
    by: dict[tuple, set[str]] = {}
    for p in rs.points:
        by.setdefault((p.kind, p.variant, p.workload, p.layers, p.cpus),
                      set()).add(p.clock)

    def clock(s) -> str:
        c = by.get((s.kind, s.variant, s.workload, s.layers, s.cpus),
                   set()) - {""}
        if len(c) == 1:
            return next(iter(c))
        return ICOUNT if s.quantity in metrics.ON_ICOUNT.values() \
            else str(rs.manifest.get("accel", ""))
    return clock


@dataclass
class WallClock:
    """The gate's verdicts on a set's wall-clock measures: each mode
    against the base, exact counts and icount measures aside."""
    decided: list[tuple[str, gate.Verdict]]     # (mode, verdict)
    equivalent: list[tuple[str, gate.Verdict]]
    undecided: list[tuple[str, gate.Verdict]]
    clocks: set[str]


def wall_clock(rs: resultset.ResultSet, verdicts_of: dict) -> WallClock:
    """verdicts_of: (base, cand) -> verdicts() of each mode pair."""
    clock = clocks(rs)
    out = WallClock([], [], [], set())
    for (base, cand), vs in verdicts_of.items():
        for m, v in sorted(vs.items()):
            c = clock(v.cand)
            if v.base.exact or c == ICOUNT:
                continue
            out.clocks.add(c)
            if v.outcome in (stats.REGRESSION, stats.IMPROVED):
                out.decided.append((cand, v))
            elif v.outcome == stats.EQUIVALENT:
                out.equivalent.append((cand, v))
            else:
                out.undecided.append((cand, v))
    return out


# Why the gate left a measure undecided: (one, several)
DISTURBED = ("host-disturbed", "host-disturbed")
FEW_RUNS = (f"under {stats.MIN_UNITS} runs a side",) * 2
SPANS_ZERO = ("CI spans 0", "CIs span 0")
IN_MARGIN = ("change within the margin", "changes within the margin")
HOLM = ("not significant after Holm",) * 2


def undecided_reason(v: gate.Verdict) -> tuple[str, str]:
    """Why the gate left a measure undecided, in a few words."""
    if v.base.disturbed or v.cand.disturbed:
        return DISTURBED
    if v.outcome == stats.NOT_GATEABLE:
        return FEW_RUNS
    t = v.test
    if t.lo <= 0 <= t.hi:
        return SPANS_ZERO
    if abs(t.diff) <= t.margin:
        return IN_MARGIN
    return HOLM


def _noise(rs: resultset.ResultSet, clock_names: set[str]) -> str:
    """Whose run-to-run noise the wall clock carries."""
    smp = (rs.manifest.get("vcpus") or 1) > 1
    names = {"tcg": "MTTCG" if smp else "TCG", "kvm": "KVM",
             "host": "host"}
    return "/".join(names.get(c, c) for c in sorted(clock_names)) + " noise"


def _row_name(m: metrics.Measure, s) -> str:
    part = metrics.point_part(m.metric, s.quantity)
    return f"{part} {short_name(m, s)}" if part else str(m)


def summary_lines(rs: resultset.ResultSet,
                  verdicts_of: dict | None = None) -> list[str]:
    """The report's opening: at most SUMMARY_LINES lines, <= WIDTH
    columns. verdicts_of: (base, cand) -> verdicts() of the mode pairs
    (computed when not given)."""
    pairs = mode_pairs(rs)
    if verdicts_of is None:
        verdicts_of = {p: verdicts(rs, *p) for p in pairs}
    if not pairs:
        return ["Summary: no two modes to compare in this set"]
    base = pairs[0][0]
    head = [f"Summary: each mode vs {base}, exact facts (medians of runs)"]
    blocks: list[list[str]] = []
    bare, seen = [], set()
    for b, c in pairs:
        fs = facts(rs, b, c)
        seen |= {f.quantity for f in fs}
        if fs:
            blocks.append([f"{c}:"] + [ln for f in fs
                                       for ln in _fact_lines(f)])
        else:
            bare.append(c)
    tail = []
    if bare:
        tail += _wrap(", ".join(bare) + ": no exact counts in this set")
    missing = [what for what, qs, _ in FACTS if not seen & set(qs)]
    if missing:
        tail += _wrap("Not in this set: " + ", ".join(missing) + ".")
    wc = wall_clock(rs, {p: verdicts_of.get(p, {}) for p in pairs})
    nv = len(wc.decided) + len(wc.equivalent) + len(wc.undecided)
    if not nv:
        clock = clocks(rs)
        cands = {c for _, c in pairs}
        timed = any(s.variant in cands and not s.exact and
                    clock(s) != ICOUNT for s in rs.series.values())
        tail.append("Wall clock: no measure of it gated in this set."
                    if timed else "Wall clock: none in this set (icount "
                    "and exact counts only).")
        return _fit(head + [ln for bl in blocks for ln in bl] + tail, [],
                    [])
    eq = f", {len(wc.equivalent)} equivalent" if wc.equivalent else ""
    tail.append("Wall clock, the gate's decided changes (estimate, 95% "
                f"CI){eq}:" if wc.decided else
                f"Wall clock: no change decided by the gate{eq}.")
    items: list[tuple[str, list[str]]] = []
    for mode, v in wc.decided:
        unit = v.base.unit
        items.append((mode, _wrap(
            _nobreak(_row_name(v.measure, v.base)) + "  " + _nobreak(
                f"{gate.fmt_change(v.test, unit)} {gate._ci(v.test, unit)}"),
            "    ", "      ")))
    n = len(wc.undecided)
    why: dict[tuple[str, str], int] = {}
    for _, v in wc.undecided:
        r = undecided_reason(v)
        why[r] = why.get(r, 0) + 1
    reasons = ", ".join(
        (f"{k} " if len(why) > 1 else "") + r[k > 1]
        for r, k in sorted(why.items(), key=lambda x: -x[1]))
    last = _wrap(f"{n} wall-clock change{'' if n == 1 else 's'} "
                 "undecided" + (f": {reasons} ("
                                f"{_noise(rs, wc.clocks)})" if n else ""))
    facts_part = head + [ln for bl in blocks for ln in bl]
    return _fit(facts_part + tail, items, last)


def _fit(top: list[str], items: list[tuple[str, list[str]]],
         last: list[str]) -> list[str]:
    """top, the decided items under their modes, and last, in at most
    SUMMARY_LINES lines: items that do not fit are counted instead."""
    def body(k: int) -> list[str]:
        out, mode = [], None
        for m, lines in items[:k]:
            if m != mode:
                out.append(f"  {m}:")
                mode = m
            out += lines
        if k < len(items):
            out.append(f"    +{len(items) - k} more decided: * rows "
                       "in the tables")
        return out
    k = len(items)
    while k > 0 and len(top) + len(body(k)) + len(last) > SUMMARY_LINES:
        k -= 1
    out = top + body(k) + last
    if len(out) > SUMMARY_LINES:    # facts beyond the budget: cut, said
        out = out[:SUMMARY_LINES - 1] + ["  (more in the tables below)"]
    return out


def short_name(m: metrics.Measure, s) -> str:
    """A row's name under its point: the quantity's short name, and the
    per-run statistic of a latency."""
    name = metrics.short(s.quantity)
    return name if m.stat == metrics.RUN_VALUE else f"{name}:{m.stat}"


def lkp_table(rs: resultset.ResultSet, base: str, cand: str) -> list[str]:
    """The LKP table of a pair: rows grouped under the point they ran at
    (the metric name up to its quantity), each named by its quantity's
    short name (legend())."""
    lines = [f"{base:>16}  {'':>8}  {cand}"[:WIDTH],
             f"{'-' * 16}  {'-' * 8}  {'-' * 16}",
             f"{'%stddev':>16}  {'%change':>8}  {'%stddev':>16}"]
    rows = sorted(_rows(rs, base, cand), key=lambda r: (
        metrics.point_part(r[0].metric, r[1].quantity) or r[0].metric,
        r[0]))
    point = None
    for m, sb, sc, mark in rows:
        b, c = float(np.median(sb.values)), float(np.median(sc.values))
        left = f"{_num(b):>10} {_pct_sd(sb.values)}"
        right = f"{_num(c):>10} {_pct_sd(sc.values)}"
        row = f"{left:>16}  {_change(b, c):>7}{mark}  {right:>16}  "
        part = metrics.point_part(m.metric, sb.quantity)
        if part is not None:
            if part != point:
                lines.append(f"{'':{NAME_COL}}{part}"
                             if NAME_COL + len(part) <= WIDTH
                             else f"{part:>{WIDTH}}")
            point = part
            lines.append(f"{row}  {short_name(m, sb)}".rstrip()[:WIDTH])
            continue
        point = None
        if len(row) + len(str(m)) <= WIDTH:
            lines.append(row + str(m))
        else:
            lines.append(row.rstrip())
            lines.append(f"{'':4}{m}"[:WIDTH])
    return lines


def legend(rs: resultset.ResultSet, pairs) -> list[str]:
    """The short names the tables use, each with its quantity."""
    used = sorted({s.quantity for base, cand in pairs
                   for m, s, _, _ in _rows(rs, base, cand)
                   if metrics.point_part(m.metric, s.quantity)})
    if not used:
        return []
    return _wrap(
        "A row is named by its quantity under the point it ran at (the "
        "metric is <point>.<quantity>): " + "; ".join(
            _nobreak(f"{metrics.short(q)} = {q}") for q in used) + ".") \
        + [""]


def _nobreak(text: str) -> str:
    """Text _wrap() keeps on one line."""
    return text.replace(" ", "\xa0")


def _wrap(text: str, indent: str = "", more: str = "") -> list[str]:
    return [ln.replace("\xa0", " ") for ln in textwrap.wrap(
        text, WIDTH, initial_indent=indent, subsequent_indent=more,
        break_on_hyphens=False)]


def brief_manifest(rs: resultset.ResultSet) -> list[str]:
    m = rs.manifest
    k = m.get("kernel", {})
    series = ", ".join(k.get("series") or []) or (
        "none (switch in the tree)" if m.get("switch")
        else "none (the kernel's fixed mode)")
    rows = [
        f"set:      {rs.path.name} ({m.get('status')})",
        f"kernel:   {k.get('release')} src {str(k.get('source_id'))[:12]}",
        f"series:   {series}"[:WIDTH],
        f"config:   {str(k.get('config_hash'))[:12]}  "
        f"series {str(k.get('series_hash'))[:12]}",
        f"machine:  {m.get('accel')}, {m.get('vcpus')} vCPUs, "
        f"{m.get('host_cpu')}"[:WIDTH],
        f"plan:     {m.get('plan_name')} seed {m.get('seed')}",
    ]
    qemu = m.get("tools", {}).get("qemu", "")
    if qemu:
        rows.append(f"qemu:     {qemu}"[:WIDTH])
    if m.get("knobs"):
        rows.append(f"knobs:    {kparams.format_knobs(m['knobs'])} "
                    "(calibration: injected cost)"[:WIDTH])
    return rows


def reproduce(rs: resultset.ResultSet) -> str:
    m = rs.manifest
    if m.get("accel") == "host":
        return (f"PYTHONPATH=. /usr/bin/python3 -m harness.flows.bench --host "
                f"--profile {m.get('plan_name')} --seed {m.get('seed')} "
                f"--cpus {m.get('vcpus')}")
    return (f"make bench PROFILE={m.get('plan_name')} "
            f"SEED={m.get('seed')} CPUS={m.get('vcpus')}")


def disturbance_line(rs: resultset.ResultSet) -> str:
    """One line on how much the host let the vCPUs run."""
    docs = [d for f in sorted((rs.path / "host").glob("*.json"))
            if (d := monitor.read(rs.path, f.stem))]
    wall = [d for d in docs if d.get("clock") != ICOUNT]
    if not wall:
        return "host:     no wall-clock points watched"
    bad = [d for d in wall if d.get("disturbed")]
    shares = [d.get("runnable_share", d["vcpu_share"]) for d in wall]
    loads = [d["load1"] for d in wall]
    return (f"host:     {len(bad)} of {len(wall)} points disturbed "
            f"(runnable >= {min(shares):.2f}, load1 <= {max(loads):.1f})")


def text_report(rs: resultset.ResultSet, summ: dict) -> str:
    out = summary_lines(rs) + ["", "mntbench report", "=" * 15, ""]
    out += brief_manifest(rs)
    out.append(disturbance_line(rs))
    out += ["", "Reproduce with:"]
    out += textwrap.wrap(reproduce(rs), WIDTH - 2, initial_indent="  ",
                         subsequent_indent="    ", break_on_hyphens=False)
    out.append("")
    pairs = _pairs(rs)
    icount = {s.quantity for s in rs.series.values()} & set(
        metrics.ON_ICOUNT.values())
    if icount:
        out += textwrap.wrap(
            "Metrics named *insn* or *icount* ran on QEMU's icount clock ("
            f"{rs.manifest.get('icount') or 'shift=0'}): guest time "
            "counts instructions, 1 ns each, shared by the busy vCPUs (at "
            "2 tasks an op's icount ns are twice its instructions). They "
            "measure path length per op, walk restarts and spinning "
            "included; not wall-clock speed, and not cache-coherence "
            "cost.", WIDTH) + [""]
    if rs.manifest.get("icount_single_task_only"):
        out += textwrap.wrap(
            f"icount: {rs.manifest['icount_single_task_only']}.", WIDTH) + [""]
    if pairs:
        out += textwrap.wrap(
            "Each mode against " + pairs[0][0] + ": median of runs "
            "(latency: of each run's median, and its p90), run-to-run "
            "%stddev. " + LEGEND + ".", WIDTH) + [""]
        out += legend(rs, pairs)
    for base, cand in pairs:
        out += [f"{cand} vs {base}", ""]
        out += lkp_table(rs, base, cand)
        out.append("")
    out += sections.report(rs)
    for mode, per in summ["noise"].items():
        copies = ", ".join(sorted({
            s.variant for s in rs.series.values()
            if s.mode == mode and s.variant != mode
            and kinds.of(s.kind).compares_modes}))
        out += [f"Noise floor of {mode} (run-to-run sd, from its A/A",
                f"copy {copies}) and runs per side for a "
                f"{100 * POWER_CHANGE:.0f}% change",
                "at 80% power (one-sided t-test, alpha 0.05):", ""]
        for name, d in per.items():
            out.append(f"  {100 * d['noise_floor']:6.2f}%  "
                       f"n={d['runs_for_2pct']:<5} {name}"[:WIDTH])
        out.append("")
    failed = rs.manifest.get("failed_points") or []
    if failed:
        out += [f"Failed points ({len(failed)}):"]
        out += [f"  {f}"[:WIDTH] for f in failed]
    return "\n".join(out).rstrip("\n") + "\n"


def md_report(rs: resultset.ResultSet, summ: dict) -> str:
    out = [f"# mntbench report: {rs.path.name}", ""]
    out += ["```", *summary_lines(rs), "```", ""]
    out += ["## The set", "", "```", *brief_manifest(rs), "```", "",
            f"Reproduce: `{reproduce(rs)}`", "", LEGEND + ".", ""]
    for base, cand in _pairs(rs):
        out += [f"## {cand} vs {base}", "",
                "| metric | " + base + " | change | " + cand + " | gate |",
                "| --- | ---: | ---: | ---: | :---: |"]
        for m, sb, sc, mark in _rows(rs, base, cand):
            b, c = float(np.median(sb.values)), float(np.median(sc.values))
            out.append(f"| {m} | {_num(b)} {_pct_sd(sb.values)} | "
                       f"{_change(b, c)} | {_num(c)} "
                       f"{_pct_sd(sc.values)} | {mark.strip()} |")
        out.append("")
    plots = sorted((rs.path / "plots").glob("*.png"))
    for p in plots:
        out += [f"![{p.stem}](plots/{p.name})", ""]
    return "\n".join(out)


def write_all(rs: resultset.ResultSet) -> str | None:
    """summary.json, plots/, report.txt and report.md; None, or why the
    plots failed (said in one line on stderr): the numbers are written
    all the same."""
    summ = summary(rs)
    setfiles.write_json(rs.path / "summary.json", summ)
    failed = None
    try:
        sections.make_plots(rs)
    except Exception as e:  # a plot must not lose the run's numbers
        why = (str(e).splitlines() or [""])[0][:200]
        failed = f"{type(e).__name__}: {why}"
        print(f"report: plots failed: {failed}", file=sys.stderr)
    setfiles.write_text(rs.path / "report.txt", text_report(rs, summ))
    setfiles.write_text(rs.path / "report.md", md_report(rs, summ))
    return failed


def _rewrite(sdir: Path) -> int:
    rs = resultset.load(sdir)
    try:
        failed = write_all(rs)
    except OSError as e:  # a full or read-only disk: one line
        raise errors.InputError(f"{sdir}: cannot write the report: {e}") \
            from e
    print((rs.path / "report.txt").read_text(), end="")
    if failed:
        # not 0: a script must not take the plots for drawn
        print(f"mntbench-report: {sdir}: plots failed; report.txt, "
              "report.md and summary.json are written", file=sys.stderr)
        return PLOTS_FAILED
    return 0


def main(argv: list[str] | None = None) -> int:
    return cli.on_set("mntbench-report", "Write a set's report.txt, "
                      "report.md, summary.json and plots/.", _rewrite, argv)


if __name__ == "__main__":
    sys.exit(main())
