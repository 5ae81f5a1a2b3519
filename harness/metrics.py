"""What mntbench measures: one definition of each quantity (unit, which
direction is better, whether it is an exact count, its tolerance) and of
the metric names built from a point's fields.

A metric name says what was run, e.g. open-close.l2.c2.ops_per_s_per_task;
records carry the same parts as fields, and code selects by field, never
by parsing a name back.
"""

from __future__ import annotations

from dataclasses import dataclass

HIGHER, LOWER = "higher", "lower"
DIRECTIONS = (HIGHER, LOWER)

# Per-run statistics of a per-iteration quantity (latency): the gate and
# the report compare runs, never iterations (these are autocorrelated).
RUN_VALUE = "run"
LATENCY_STATS = ("median", "p90")


@dataclass(frozen=True)
class Quantity:
    name: str
    unit: str
    direction: str
    label: str
    exact: bool = False          # a count: no sampling error to test
    per_iteration: bool = False  # one record per iteration of a run
    # Changes within max(rel * |base|, abs) are no change. rel None: the
    # gate's threshold (default 2%); abs > 0 where a base of 0 is normal.
    rel: float | None = None
    abs: float = 0.0
    # its name in the report's tables, under the point it ran at (one
    # per quantity; names of icount quantities keep "insn" or "icount")
    short: str = ""


QUANTITIES = {q.name: q for q in (
    Quantity("ops_per_s_per_task", "ops/s", HIGHER, "ops/s per task",
             short="ops/s/task"),
    Quantity("load_ops_per_s_per_task", "ops/s", HIGHER,
             "open-close ops/s per load task beside churn",
             short="load ops/s/task"),
    Quantity("baseline_ops_per_s_per_task", "ops/s", HIGHER,
             "open-close ops/s per load task, same tasks without churn",
             short="nochurn ops/s/task"),
    Quantity("umounts_per_s", "1/s", HIGHER,
             "umounts per second of the churning task", short="umounts/s"),
    Quantity("gp_per_umount", "1/umount", LOWER,
             "synchronize_rcu() calls per umount (mntlock)",
             exact=True, rel=0.01, abs=0.01, short="gp/umount"),
    Quantity("gp_expedited_per_umount", "1/umount", LOWER,
             "synchronize_rcu_expedited() calls per umount (mntlock): "
             "each sends an IPI to every CPU",
             exact=True, rel=0.01, abs=0.01, short="gp exp/umount"),
    Quantity("umount_us", "us", LOWER, "umount latency", per_iteration=True,
             short="umount us"),
    Quantity("mount_us", "us", LOWER, "mount latency", per_iteration=True,
             short="mount us"),
    Quantity("slow_puts_per_op", "1/op", LOWER,
             "mntput slow path (mnt_ns NULL) on layer mounts per op",
             exact=True, rel=0.01, abs=0.001, short="slow puts/op"),
    Quantity("census_slow_puts_per_op", "1/op", LOWER,
             "mntput slow path (a mount without a namespace: mount_lock "
             "taken) on any mount, per op of the workload's tasks",
             exact=True, rel=0.01, abs=0.001, short="all slow puts/op"),
    Quantity("fast_puts_per_op", "1/op", HIGHER,
             "mntput fast path on layer mounts per op",
             exact=True, rel=0.01, abs=0.001, short="fast puts/op"),
    Quantity("lock_slowpath_per_op", "1/op", LOWER,
             "contended mount_lock acquisitions per op", abs=0.001,
             short="lock slowpath/op"),
    Quantity("lock_wait_ns_per_op", "ns/op", LOWER,
             "mount_lock wait (qspinlock slowpath) per op", abs=1.0,
             short="lock wait ns/op"),
    # The reader side (mntlock's path_walk): RCU path walks that failed
    # to legitimize their mounts after a mount_lock write and were redone
    Quantity("rcu_restarts_per_op", "1/op", LOWER,
             "opens redone in ref-walk mode after -ECHILD, per op",
             abs=0.001, short="open restarts/op"),
    Quantity("lookup_restarts_per_op", "1/op", LOWER,
             "lookups (stat) redone after -ECHILD, per op", abs=0.001,
             short="lookup restarts/op"),
    Quantity("legitimize_failed_per_op", "1/op", LOWER,
             "__legitimize_mnt() failures per op", abs=0.001,
             short="legit fails/op"),
    Quantity("unlazy_failed_per_op", "1/op", LOWER,
             "try_to_unlazy() failures per op", abs=0.001,
             short="unlazy fails/op"),
    Quantity("mount_lock_writes_per_op", "1/op", LOWER,
             "mount_lock write sections per op (system-wide)", abs=0.001,
             short="lock writes/op"),
    Quantity("restart_cost_ns", "ns", LOWER,
             "extra time of an open that restarted over one that did not",
             abs=10.0, short="restart ns"),
    # The collateral kind: tasks beside the overlay's aggressors
    Quantity("aggressor_ops_per_s_per_task", "ops/s", HIGHER,
             "overlay open-close ops/s per aggressor task",
             short="aggr ops/s/task"),
    Quantity("victim_stat_ops_per_s_per_task", "ops/s", HIGHER,
             "stat() ops/s per victim task on a plain tmpfs",
             short="victim stat ops/s"),
    Quantity("victim_open_ops_per_s_per_task", "ops/s", HIGHER,
             "open-close ops/s per victim task on a plain tmpfs",
             short="victim open ops/s"),
    Quantity("victim_stat_restarts_per_op", "1/op", LOWER,
             "victims' stat() lookups redone after -ECHILD, per op",
             abs=0.001, short="victim stat rst/op"),
    Quantity("victim_open_restarts_per_op", "1/op", LOWER,
             "victims' opens redone after -ECHILD, per op", abs=0.001,
             short="victim open rst/op"),
    Quantity("pair_ratio", "ratio", HIGHER,
             "throughput of mode B over mode A in alternating blocks of "
             "one run (geometric mean of the run's AB block ratios)",
             short="B/A ratio"),
    # Measured under QEMU -icount (harness/kernel/accel.py): guest time is
    # instructions (1 ns each), shared round-robin by the busy vCPUs, so
    # these are path lengths (x busy vCPUs), including logical effects
    # (walk restarts, spinning) but not cache-coherence cost. Never
    # wall-clock speed.
    Quantity("insn_ns_per_op", "insn/op", LOWER,
             "task CPU time per op on the icount clock: instructions per "
             "op times the busy vCPUs", short="insn ns/op"),
    Quantity("load_insn_ns_per_op", "insn/op", LOWER,
             "instructions per open-close op of load tasks beside churn "
             "(icount)", short="load insn ns/op"),
    Quantity("baseline_insn_ns_per_op", "insn/op", LOWER,
             "instructions per open-close op of the load tasks without "
             "churn (icount)", short="nochurn insn ns/op"),
    Quantity("umount_icount_us", "us", LOWER,
             "umount latency in icount guest time (instructions; idle "
             "jumps to the next timer)", per_iteration=True,
             short="umount icount us"),
    Quantity("mount_icount_us", "us", LOWER,
             "mount latency in icount guest time", per_iteration=True,
             short="mount icount us"),
    Quantity("lock_wait_icount_ns_per_op", "insn/op", LOWER,
             "mount_lock wait per op in icount guest time", abs=1.0,
             short="lock icount ns/op"),
    Quantity("aggressor_insn_ns_per_op", "insn/op", LOWER,
             "instructions per overlay open-close op of an aggressor "
             "(icount)", short="aggr insn ns/op"),
    Quantity("victim_stat_insn_ns_per_op", "insn/op", LOWER,
             "instructions per stat() of a victim (icount)",
             short="victim stat insn/op"),
    Quantity("victim_open_insn_ns_per_op", "insn/op", LOWER,
             "instructions per open-close of a victim (icount)",
             short="victim open insn/op"),
    # The coherence model (harness/run/linemodel.py): exact, from every
    # access under icount, the same on any host
    Quantity("fought_lines_per_op", "lines/op", LOWER,
             "cache lines an op fights over: touched by 2+ vCPUs, written "
             "by one (coherence model; upper bound on line transfers)",
             exact=True, rel=0.0, abs=0.01, short="fought lines/op"),
    Quantity("false_shared_lines_per_op", "lines/op", LOWER,
             "of the fought-over lines, those whose vCPUs use disjoint "
             "bytes (false sharing)", exact=True, rel=0.0, abs=0.01,
             short="false-shared/op"),
    Quantity("restart_cost_icount_ns", "insn", LOWER,
             "extra icount guest time of an open that restarted",
             abs=10.0, short="restart icount ns"),
)}

# What a quantity becomes when the point ran on the icount clock
ON_ICOUNT = {"ops_per_s_per_task": "insn_ns_per_op",
             "load_ops_per_s_per_task": "load_insn_ns_per_op",
             "baseline_ops_per_s_per_task": "baseline_insn_ns_per_op",
             "umount_us": "umount_icount_us",
             "mount_us": "mount_icount_us",
             "lock_wait_ns_per_op": "lock_wait_icount_ns_per_op",
             "restart_cost_ns": "restart_cost_icount_ns",
             "aggressor_ops_per_s_per_task": "aggressor_insn_ns_per_op",
             "victim_stat_ops_per_s_per_task": "victim_stat_insn_ns_per_op",
             "victim_open_ops_per_s_per_task":
             "victim_open_insn_ns_per_op"}


def quantity(name: str) -> Quantity:
    return QUANTITIES[name]


def short(name: str) -> str:
    """A quantity's name in the report's tables (its own where unknown)."""
    q = QUANTITIES.get(name)
    return q.short if q is not None and q.short else name


def point_part(metric: str, quantity: str) -> str | None:
    """What ran, of a metric name: every kind names a metric
    <what ran>.<quantity> (harness/run/kinds/*.py, metric()); None for a
    name that does not end in its quantity."""
    tail = "." + quantity
    if metric.endswith(tail) and len(metric) > len(tail):
        return metric[:-len(tail)]
    return None


@dataclass(frozen=True, order=True)
class Measure:
    """What the gate compares: a metric's run values, or one per-run
    statistic of a per-iteration metric."""
    metric: str
    stat: str = RUN_VALUE

    def __str__(self) -> str:
        return self.metric if self.stat == RUN_VALUE \
            else f"{self.metric}:{self.stat}"
