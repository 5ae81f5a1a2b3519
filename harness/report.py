"""report.txt (<= 72 columns, LKP style), report.md and summary.json for a
result set: each mode against upstream's longterm-array, with the noise
floor and a power line per metric."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

from harness import overhead, resultset, stats

BASE_MODE = "longterm-array"
WIDTH = 72
POWER_CHANGE = 0.02     # the change the power line is computed for


def _pct_sd(e: stats.Estimate) -> str:
    if e.median == 0 or e.n < 2:
        return "     "
    return f"±{min(99, round(100 * e.stddev / abs(e.median))):2d}%"


def _num(x: float) -> str:
    if x == 0:
        return "0"
    if abs(x) >= 1e5 or abs(x) < 1e-2:
        return f"{x:.3g}"
    return f"{x:.4g}" if abs(x) < 100 else f"{x:.0f}"


def summary(rs: resultset.ResultSet) -> dict:
    out = {}
    for name, m in rs.metrics.items():
        per = {}
        for v, xs in m.variants.items():
            if xs:
                e = stats.estimate(xs)
                per[v] = {"median": e.median, "ci": [e.lo, e.hi], "n": e.n,
                          "stddev": e.stddev}
        noise = stats.noise_floor(m.variants.values())
        out[name] = {"unit": m.unit, "direction": m.direction,
                     "label": m.label, "variants": per,
                     "noise_floor": noise,
                     "reps_for_2pct": stats.reps_needed(noise, POWER_CHANGE)
                     if noise > 0 else None}
    return out


def _pairs(rs: resultset.ResultSet) -> list[tuple[str, str]]:
    variants = sorted({v for m in rs.metrics.values() for v in m.variants})
    base = BASE_MODE if BASE_MODE in variants else (
        "probe-off" if "probe-off" in variants else variants[0]
        if variants else None)
    def shared(v: str) -> bool:
        return any(base in m.variants and v in m.variants
                   for m in rs.metrics.values())
    return [(base, v) for v in variants if v != base and shared(v)] \
        if base else []


def overhead_lines(rs: resultset.ResultSet) -> list[str]:
    """Throughput with the probe attached / without, same boot, per mode
    and CPU count."""
    out = []
    for (mode, cpus), c in overhead.comparisons(rs.metrics).items():
        where = f"{mode} c{cpus}" if mode else f"c{cpus}"
        out.append(f"  {where}: with/without = {c.ratio:.3f} "
                   f"[{c.lo:.3f}, {c.hi:.3f}], n={c.n_base}+{c.n_cand}")
    return out


def lkp_table(rs: resultset.ResultSet, base: str, cand: str) -> list[str]:
    lines = [f"{base:>16}  {'':>8}  {cand}",
             f"{'-' * 16}  {'-' * 8}  {'-' * 16}",
             f"{'%stddev':>16}  {'%change':>8}  {'%stddev':>16}"]
    for name, m in sorted(rs.metrics.items()):
        xs, ys = m.variants.get(base), m.variants.get(cand)
        if not xs or not ys:
            continue
        b, c = stats.estimate(xs), stats.estimate(ys)
        if b.median:
            ch = f"{100 * (c.median / b.median - 1):+.1f}%"
            p = stats.p_value(xs, ys)
            mark = "*" if p < 0.05 else " "
        else:
            ch, mark = ("0.0%" if c.median == 0 else "new"), " "
        left = f"{_num(b.median):>10} {_pct_sd(b)}"
        right = f"{_num(c.median):>10} {_pct_sd(c)}"
        row = f"{left:>16}  {ch:>7}{mark}  {right:>16}  "
        if len(row) + len(name) <= WIDTH:
            lines.append(row + name)
        else:
            lines.append(row.rstrip())
            lines.append(f"{'':4}{name}"[:WIDTH])
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
    return rows


def reproduce(rs: resultset.ResultSet) -> str:
    m = rs.manifest
    if m.get("accel") == "host":
        return (f"PYTHONPATH=. /usr/bin/python3 -m harness.run --host "
                f"--profile {m.get('plan_name')} --seed {m.get('seed')} "
                f"--cpus {m.get('vcpus')}")
    return (f"make bench PROFILE={m.get('plan_name')} "
            f"SEED={m.get('seed')} CPUS={m.get('vcpus')}")


def text_report(rs: resultset.ResultSet, summ: dict) -> str:
    out = ["mntbench report", "=" * 15, ""]
    out += brief_manifest(rs)
    out += ["", "Reproduce with:"]
    out += textwrap.wrap(reproduce(rs), WIDTH - 2, initial_indent="  ",
                         subsequent_indent="    ", break_on_hyphens=False)
    out.append("")
    for base, cand in _pairs(rs):
        out += [f"{cand} vs {base} (* = Mann-Whitney p < 0.05)", ""]
        out += lkp_table(rs, base, cand)
        out.append("")
    oh = overhead_lines(rs)
    if oh:
        out += ["Probe overhead (open-close throughput with mntlock",
                "attached / without, same boot, 95% CI):", *oh, ""]
    out += ["Noise floor (A/A spread within a mode) and repetitions for",
            f"a {100 * POWER_CHANGE:.0f}% change at 80% power:", ""]
    for name, s in sorted(summ.items()):
        if s["noise_floor"] > 0:
            row = (f"  {100 * s['noise_floor']:5.1f}%  n={s['reps_for_2pct']}"
                   f"  {name}")
            out.append(row[:WIDTH])
    failed = rs.manifest.get("failed_points") or []
    if failed:
        out += ["", f"Failed points ({len(failed)}):"]
        out += [f"  {f}"[:WIDTH] for f in failed]
    return "\n".join(out) + "\n"


def md_report(rs: resultset.ResultSet, summ: dict) -> str:
    out = [f"# mntbench report: {rs.path.name}", ""]
    out += ["```", *brief_manifest(rs), "```", "",
            f"Reproduce: `{reproduce(rs)}`", ""]
    for base, cand in _pairs(rs):
        out += [f"## {cand} vs {base}", "",
                "| metric | " + base + " | change | " + cand + " | p |",
                "| --- | ---: | ---: | ---: | ---: |"]
        for name, m in sorted(rs.metrics.items()):
            xs, ys = m.variants.get(base), m.variants.get(cand)
            if not xs or not ys:
                continue
            b, c = stats.estimate(xs), stats.estimate(ys)
            ch = (f"{100 * (c.median / b.median - 1):+.1f}%"
                  if b.median else "n/a")
            out.append(f"| {name} | {_num(b.median)} {_pct_sd(b)} | {ch} | "
                       f"{_num(c.median)} {_pct_sd(c)} | "
                       f"{stats.p_value(xs, ys):.3g} |")
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


def main(argv: list[str] | None = None) -> int:
    import argparse
    ap = argparse.ArgumentParser(prog="mntbench-report")
    ap.add_argument("set", type=Path)
    args = ap.parse_args(argv)
    try:
        rs = resultset.load(args.set)
    except Exception as e:
        print(f"mntbench-report: error: {e}", file=sys.stderr)
        return 2
    write_all(rs)
    print((rs.path / "report.txt").read_text(), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
