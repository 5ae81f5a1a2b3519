"""The detached cost on real hardware, predicted from exact counts: per op,
the path length (icount instructions) and the fought-over cache lines
(the coherence model), each times a cost taken from published ranges,
never fitted to the machine that measured them.

    time per op = instructions x NS_PER_INSN + lines x TRANSFER_NS

The path length is each mode's at one vCPU, where icount counts it
exactly: with more vCPUs sharing the instruction clock a task's icount
time is not its own path (turns, spinning, tasks that finish first), and
what contention adds is what the line transfers stand for. Walk restarts
need another CPU's mount_lock write, so they are left out of both terms
(mntlock counts them, costsplit.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from harness import kparams
from harness.output import costsplit

CAND, BASE = kparams.DETACHED, kparams.UPSTREAM

# ns per fought-over line transfer (a cache-to-cache "HITM" miss), low
# and high ends of published core-to-core latencies: tens of ns within a
# socket (Intel MLC's c2c latency, core-to-core charts of Xeon and EPYC
# parts: 40-100 ns), 100-300 ns across sockets
TRANSFER_NS = {"same-socket": (40.0, 100.0), "cross-socket": (100.0, 300.0)}
# ns per instruction of the open/close path: 0.67-2 instructions per
# cycle at 3 GHz
NS_PER_INSN = (0.17, 0.5)
ASSUMPTIONS = (
    "Each fought-over line an op touches costs one transfer at the "
    "published core-to-core latencies (the model's upper bound: full "
    "concurrency, infinite caches; no lock queueing, no bandwidth limit). "
    "The path is each mode's icount instructions per op at one vCPU, at "
    f"{NS_PER_INSN[0]}-{NS_PER_INSN[1]} ns each.")


@dataclass(frozen=True)
class Point:
    vcpus: int
    insn: dict[str, float]      # mode -> instructions per op
    lines: dict[str, float]     # mode -> fought-over lines per op

    def ns(self, mode: str, transfer: float, per_insn: float) -> float:
        return self.insn[mode] * per_insn + self.lines[mode] * transfer


def points(rs, workload: str = "open-close") -> list[Point]:
    """Per vCPU count of the coherence points: both modes' fought-over
    lines, and their path length at one vCPU."""
    one = dict(kind="coherence", workload=workload, cpus=1,
               quantity="insn_ns_per_op")
    insn = {m: costsplit.median(rs, m, **one) for m in (CAND, BASE)}
    if None in insn.values():
        return []
    out = []
    for n in sorted({s.cpus for s in rs.select(kind="coherence",
                                                workload=workload)}):
        at = dict(kind="coherence", workload=workload, cpus=n)
        lines = {m: costsplit.median(rs, m, quantity="fought_lines_per_op", **at)
                 for m in (CAND, BASE)}
        if None not in lines.values():
            out.append(Point(n, insn, lines))
    return out


def lines(rs) -> list[str]:
    pts = points(rs)
    if not pts:
        return []
    lo_i, hi_i = NS_PER_INSN
    out = ["Where the detached cost goes, from exact counts: open-close,",
           f"{CAND} - {BASE}, predicted per op on real hardware", ""]
    head = (f"  {'vCPUs':>5} {'insn/op':>8} {'lines/op':>8}   "
            + "   ".join(f"{k + ' ns/op':>20}" for k in TRANSFER_NS))
    out.append(head)
    for p in pts:
        di = p.insn[CAND] - p.insn[BASE]
        dl = p.lines[CAND] - p.lines[BASE]
        cells = []
        for lo_t, hi_t in TRANSFER_NS.values():
            lo = p.ns(CAND, lo_t, lo_i) - p.ns(BASE, lo_t, lo_i)
            hi = p.ns(CAND, hi_t, hi_i) - p.ns(BASE, hi_t, hi_i)
            cells.append(f"{min(lo, hi):+.0f} .. {max(lo, hi):+.0f}")
        out.append(f"  {p.vcpus:>5} {di:>+8.1f} {dl:>+8.2f}   "
                   + "   ".join(f"{c:>20}" for c in cells))
    out += ["", *_wrap(
        "Transfer costs: " + ", ".join(
            f"{k} {a:.0f}-{b:.0f} ns" for k, (a, b) in TRANSFER_NS.items())
        + " (harness/output/costmodel.py). " + ASSUMPTIONS), ""]
    return out


def _wrap(text: str) -> list[str]:
    import textwrap
    return textwrap.wrap(text, 78)


def plot(rs, out) -> bool:
    """Predicted ops/s per task against vCPUs, per mode, as a band over
    the same-socket transfer costs and instruction times."""
    from harness.output import plots as P
    pts = points(rs)
    if len(pts) < 2:
        return False
    fig, ax = P.plt.subplots(figsize=(6.4, 4.2))
    xs = [p.vcpus for p in pts]
    lo_t, hi_t = TRANSFER_NS["same-socket"]
    lo_i, hi_i = NS_PER_INSN
    for m in (CAND, BASE):
        fast = [1e9 / p.ns(m, lo_t, lo_i) for p in pts]
        slow = [1e9 / p.ns(m, hi_t, hi_i) for p in pts]
        mid = [1e9 / p.ns(m, (lo_t + hi_t) / 2, (lo_i + hi_i) / 2)
               for p in pts]
        line, = ax.plot(xs, mid, marker="o", label=m)
        ax.fill_between(xs, slow, fast, alpha=0.2, color=line.get_color())
    ax.set_xscale("log", base=2)
    ax.set_xticks(xs)
    ax.set_xticklabels([str(x) for x in xs])
    return P.finish(fig, ax, out, "coherence-predicted",
                    "open-close predicted on real hardware (same socket)",
                    "CPUs (one task each)",
                    "ops/s per task (model: path + line transfers)")
