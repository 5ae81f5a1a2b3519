"""report.txt (<= 72 columns, LKP style), report.md and summary.json for a
result set: each mode against upstream's longterm-array, marked with the
gate's own verdicts, and the noise floor of each mode from its A/A copy
with the runs a 2% change needs."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import numpy as np

from harness import (cli, errors, gate, kinds, kparams, metrics, monitor,
                     resultset, stats)
from harness.accel import ICOUNT

BASE_MODE = kparams.UPSTREAM
WIDTH = 72
POWER_CHANGE = 0.02     # the change the power line is computed for
# Marks of the LKP table: the gate's verdict on a gated measure
MARKS = {stats.REGRESSION: "*", stats.IMPROVED: "*",
         stats.EQUIVALENT: "=", stats.INCONCLUSIVE: "?",
         stats.NOT_GATEABLE: "?"}
LEGEND = ("* = gate: significant change beyond the threshold, "
          "= equivalent, ? = undecided; blank: not a gated metric")


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
    empty when the plan declares none."""
    try:
        vs = gate.evaluate(rs, rs, base, cand, gate.Options())
    except errors.InputError:
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


def lkp_table(rs: resultset.ResultSet, base: str, cand: str) -> list[str]:
    lines = [f"{base:>16}  {'':>8}  {cand}"[:WIDTH],
             f"{'-' * 16}  {'-' * 8}  {'-' * 16}",
             f"{'%stddev':>16}  {'%change':>8}  {'%stddev':>16}"]
    for m, sb, sc, mark in _rows(rs, base, cand):
        b, c = float(np.median(sb.values)), float(np.median(sc.values))
        left = f"{_num(b):>10} {_pct_sd(sb.values)}"
        right = f"{_num(c):>10} {_pct_sd(sc.values)}"
        row = f"{left:>16}  {_change(b, c):>7}{mark}  {right:>16}  "
        if len(row) + len(str(m)) <= WIDTH:
            lines.append(row + str(m))
        else:
            lines.append(row.rstrip())
            lines.append(f"{'':4}{m}"[:WIDTH])
    return lines


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
        return (f"PYTHONPATH=. /usr/bin/python3 -m harness.run --host "
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
    out = ["mntbench report", "=" * 15, ""]
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
    for base, cand in pairs:
        out += [f"{cand} vs {base}", ""]
        out += lkp_table(rs, base, cand)
        out.append("")
    for k in kinds.KINDS.values():
        if k.report:
            out += k.report(rs)
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
    out += ["```", *brief_manifest(rs), "```", "",
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


def write_all(rs: resultset.ResultSet) -> None:
    from harness import plots
    summ = summary(rs)
    resultset.write_json(rs.path / "summary.json", summ)
    try:
        plots.make_all(rs)
    except Exception as e:  # a plot must not lose the run's numbers
        print(f"report: plots failed: {e}", file=sys.stderr)
    resultset.write_text(rs.path / "report.txt", text_report(rs, summ))
    resultset.write_text(rs.path / "report.md", md_report(rs, summ))


def _rewrite(sdir: Path) -> int:
    rs = resultset.load(sdir)
    try:
        write_all(rs)
    except OSError as e:  # a full or read-only disk: one line
        raise errors.InputError(f"{sdir}: cannot write the report: {e}") \
            from e
    print((rs.path / "report.txt").read_text(), end="")
    return 0


def main(argv: list[str] | None = None) -> int:
    return cli.on_set("mntbench-report", "Write a set's report.txt, "
                      "report.md, summary.json and plots/.", _rewrite, argv)


if __name__ == "__main__":
    sys.exit(main())
