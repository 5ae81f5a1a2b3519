"""collateral: what a detached mount costs everyone else ([collateral]).
Aggressor tasks run open-close on the overlay; victim tasks run stat()
and open-close on a plain tmpfs that no overlay touches (ovlbench -w
collateral). Per mode: the victims' ops/s (on icount, instructions per
op) and, in a probe pass that counts the victims only (their task name),
their path walks redone after a mount_lock write. Longterm is the
negative control: its victims never restart."""

from __future__ import annotations

from pathlib import Path


from harness import errors
from harness.point import Point
from harness.run import probes
from harness.run.kinds import base

NAME = "collateral"
VICTIM_COMM = "ovlb-victim"     # ovlbench names its victim tasks so
# role in ovlbench's task_roles -> the quantities of that role
ROLES = {"aggressor": ("aggressor_ops_per_s_per_task", None),
         "victim-stat": ("victim_stat_ops_per_s_per_task",
                         ("lookup_restarts", "victim_stat_restarts_per_op")),
         "victim-open-close": ("victim_open_ops_per_s_per_task",
                               ("rcu_restarts",
                                "victim_open_restarts_per_op"))}


def build(ctx: base.Context) -> list[Point]:
    sec = ctx.section(NAME)
    if ctx.vcpus < 2 or not sec.get("modes"):
        return []
    dur, interval = base.duration_args(ctx, sec)
    victims = ("--victims", str(sec["victims"])) if "victims" in sec \
        else ()
    out: list[Point] = []
    for rep in range(sec.get("reps", 1)):
        block = []
        for layers in sec.get("layers", [2]):
            for c in base.cpu_counts(sec.get("cpus", ["all"]), ctx.vcpus):
                if c < 2:
                    continue
                for m, v in base.modes(sec, ctx.has_switch):
                    for probe in (False, True) if ctx.probes else (False,):
                        block.append(Point(
                            id=f"{NAME}-l{layers}-c{c}-{v}"
                               f"{'-probe' if probe else ''}-r{rep}",
                            kind=NAME, workload=NAME, mode=m, variant=v,
                            layers=layers, cpus=c, rep=rep, probe=probe,
                            mntlock_args=("--path-walk",) if probe
                            else (), probe_comm=VICTIM_COMM,
                            args=("--workload", NAME, "--layers",
                                  str(layers), "--duration", dur,
                                  *victims, *base.common_args(ctx, c),
                                  *interval)))
        ctx.rng.shuffle(block)
        out += block
    return out


def validate(doc: dict, path: Path) -> None:
    v = doc.get(NAME, {}).get("victims", 1)
    if isinstance(v, bool) or not isinstance(v, int) or \
            not 1 <= v < base.MAX_TASKS:
        raise errors.InputError(
            f"plan {path}: [{NAME}] victims={v!r}; allowed: an integer "
            f"1..{base.MAX_TASKS - 1} (and below the tasks)")


def _by_role(run: dict, values: list[int]) -> dict[str, int]:
    out: dict[str, int] = {}
    for role, n in zip(run["task_roles"], values):
        out[role] = out.get(role, 0) + n
    return out


def collect(c, p: Point, boot: int, doc: dict, icount: bool,
            sdir: Path) -> None:
    run = base.run_of(doc)
    roles = run["task_roles"]
    ops = _by_role(run, run["task_totals"])
    if p.probe:
        mdoc = probes.load(sdir, p.id)
        if mdoc is None:
            return
        walk = mdoc.get("path_walk") or {}
        # the probe saw each victim's whole run
        life = _by_role(run, run["task_lifetime_ops"])
        for role, (_, restarts) in ROLES.items():
            if restarts and walk.get(restarts[0]) is not None \
                    and life.get(role):
                c.add(p, boot, restarts[1],
                      [walk[restarts[0]] / life[role]])
        return
    secs = sum(run["intervals_s"]) or 1.0
    cpu = _by_role(run, run["task_cpu_ns"])
    cpu_ops = _by_role(run, base.cpu_ops(run))
    for role, (q, _) in ROLES.items():
        n = roles.count(role)
        if not n or not ops.get(role):
            continue
        value = cpu[role] / max(cpu_ops.get(role, 0), 1) if icount \
            else ops[role] / secs / n
        c.add(p, boot, q, [value], icount=icount)


def metric(quantity: str, p: Point) -> str:
    return f"{NAME}.l{p.layers}.c{p.cpus}.{quantity}"


KIND = base.Kind(name=NAME, section=NAME, build=build, collect=collect,
                 metric=metric, validate=validate,
                 keys=("modes", "layers", "cpus", "duration", "reps",
                       "victims"))
