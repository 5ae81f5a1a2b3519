#!/usr/bin/python3
"""Guest checks of mntlock and the bpftrace scripts: run them around
exact workloads in each private_mounts mode, and write what they reported
to one JSON document for a host-side test to assert on (the test boots
a guest and runs this script in it).

Usage (in the guest, as root):
    bpf/tests/guest_checks.py OUTPUT.json [--ops N] [--layers L]

Needs bpf/mntlock and bench/ovlbench built.  Counts, not timings, are the
correctness signal here (TCG is noisy): every workload is ovlbench
open-close with --ops N, an exact number of open()+close() operations per
task, under task name "ovlbench", and mntlock counts that task name only
(--comm ovlbench).  ovlbench runs with --target on the overlay this script
mounted, so it mounts nothing itself (no namespace, no scratch tmpfs, no
layer clones of its own): what it does besides the N operations per task
is a few lookups and reads on mounts of the namespace, none on a layer
and none through mount_lock.  Imports nothing from outside bpf/.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
from bpf.btf import member_offset  # noqa: E402
from bpf.tests.layers import make_layers  # noqa: E402
from harness import kparams  # noqa: E402

BPF = REPO / "bpf"
MNTLOCK = BPF / "mntlock"
OVLBENCH = REPO / "bench" / "ovlbench"
# ovlbench's task name: its tasks (processes or threads) keep it
COMM = "ovlbench"
# The overlay's mode switch and its modes come from the command line:
# the host side (harness/tests/test_mntlock.py) passes harness/kparams.py's
SWITCH = Path("/nonexistent")
ROOT = Path("/tmp/mlt")
MNT = ROOT / "m"


def log(msg: str) -> None:
    print(f"guest_checks: {msg}", file=sys.stderr, flush=True)


def mount_cmd(lower: str) -> str:
    return f"mount -t overlay overlay -o lowerdir={lower} {MNT}"


def ovlbench(ops: int, tasks: int = 1, thread: bool = False,
             cpus: str | None = None,
             workload: str = "open-close") -> list[str]:
    """ovlbench open-close (or workload) on MNT/f: exactly ops
    operations per task, no warm-up; JSON on stdout, no summary."""
    return [str(OVLBENCH), "-w", workload, "--target", f"{MNT}/f",
            "--tasks", str(tasks), "--ops", str(ops), "-q",
            *(["--mode", "thread"] if thread else []),
            *(["--cpus", cpus] if cpus else [])]


def sh(argv: list[str]) -> str:
    return " ".join(argv)


# Seconds each mntlock or bpftrace run took, by its output's name: where
# the guest's time goes (the document's "seconds")
SECONDS: dict[str, float] = {}
# A run takes 3-75 s (beside another guest); one that has not ended after
# this stops the checks, naming the run and what the guest's tasks wait
# in (once, on 6.1 under MTTCG, a run kept both vCPUs busy for 10 min
# and more, and the guest ran into the test's limit of 30)
STEP_TIMEOUT = 600


def step(argv: list[str], what: str) -> subprocess.CompletedProcess:
    """Run argv; its seconds go to SECONDS[what]."""
    t0 = time.monotonic()
    try:
        return subprocess.run(argv, capture_output=True, text=True,
                              timeout=STEP_TIMEOUT)
    except subprocess.TimeoutExpired:
        ps = subprocess.run(["ps", "-eo", "pid,stat,wchan:24,comm"],
                            capture_output=True, text=True).stdout
        # STAT's first letter: S sleeping, I idle kernel thread
        log(f"{what}: no end after {STEP_TIMEOUT} s; stopping. Tasks not "
            "sleeping:\n" + "\n".join(
                ln for ln in ps.splitlines()[1:]
                if len(ln.split()) > 1 and ln.split()[1][0] not in "SI"))
        sys.exit(3)
    finally:
        SECONDS[what] = round(time.monotonic() - t0, 1)


def mntlock(args: list[str], out: Path) -> dict:
    """Run mntlock with -o out; its JSON, plus rc and stderr."""
    res = step([str(MNTLOCK), "-o", str(out), *args], out.stem)
    doc = json.loads(out.read_text()) if out.exists() else {}
    doc["_rc"] = res.returncode
    doc["_stderr"] = res.stderr
    if res.returncode != 0:
        log(f"mntlock {args} rc={res.returncode}: {res.stderr.strip()}")
    return doc


def summary(doc: dict) -> dict:
    """The parts of a mntlock document the tests look at."""
    if "mntput" not in doc:
        return {"rc": doc["_rc"], "stderr": doc["_stderr"]}
    mc = doc["mount_lock_contention"]
    td = doc["teardown"]
    return {
        "rc": doc["_rc"],
        "stderr": doc["_stderr"],
        "command_exit": (doc.get("command") or {}).get("exit_status"),
        "probe_types": {p["name"]: p["type"] for p in doc["probes"]},
        "probe_status": {p["name"]: p["status"] for p in doc["probes"]},
        "probe_hits": {p["name"]: p["hits"] for p in doc["probes"]},
        # the function each probe used, and those it could have (7.2
        # renamed or inlined some): mntlock says which it took
        "probe_targets": {p["name"]: p["target"] for p in doc["probes"]},
        "probe_candidates": {p["name"]: p.get("candidates")
                             for p in doc["probes"]},
        "fallback": doc["attach"]["fentry_fallback_to_kprobe"],
        "classified": doc["mntput"]["classified"],
        "slow_path": doc["mntput"]["slow_path"],
        "mntput_all": doc["mntput"]["all"],
        "mntput_layer": doc["mntput"]["layer"],
        "layers_tracked": doc["mntput"]["layers_tracked"],
        "latency_fast_count": doc["mntput"]["latency"]["fast"]["count"],
        "latency_slow_count": doc["mntput"]["latency"]["slow"]["count"],
        "latency_unpaired": doc["mntput"]["latency"]["unpaired"],
        "per_cpu_layer_slow": [c["mntput"]["slow_path"]["layer"]
                               for c in doc["per_cpu"]],
        "lock_slowpath": mc["slowpath"]["count"],
        "lock_wait": {k: mc["slowpath"]["wait"][k]
                      for k in ("count", "sum_ns", "max_ns")},
        "lock_unpaired": mc["slowpath"]["unpaired"],
        "tp_begin": mc["tracepoints"]["contention_begin"],
        "tp_end": mc["tracepoints"]["contention_end"],
        "mount_lock": doc["mount_lock"],
        "teardown_functions": td["functions"],
        "teardown_gp": td["gp"],
        "umounts": td["umounts"],
        "records": td["records"],
        "path_walk": doc.get("path_walk"),
        "attach": doc["attach"],
        "by_mount": doc.get("mntput_by_mount"),
    }


def ops_run(tag: str, cmd: str, res: Path, extra=()) -> dict:
    """mntlock --comm ovlbench around a shell command."""
    doc = mntlock(["--comm", COMM, *extra, "--", "/bin/sh", "-c", cmd],
                  res / f"mntlock-{tag}.json")
    return summary(doc)


def in_kallsyms(names) -> dict[str, bool]:
    """Which of these names /proc/kallsyms has"""
    want = set(names)
    with open("/proc/kallsyms") as f:
        have = {line.split()[2] for line in f} & want
    return {n: n in have for n in sorted(want)}


def backing_files() -> bool:
    """Whether overlay's real files are backing files holding the layer's
    path (6.6 on): then each close puts the private layer mount; before,
    the real file held the overlay's own path (open_with_fake_path())."""
    return in_kallsyms(["backing_file_open"])["backing_file_open"]


def rdonly_cast() -> bool:
    """Whether the kernel has the kfunc bpf_rdonly_cast() (6.2 on), which
    mntput's fentry program calls"""
    return in_kallsyms(["bpf_rdonly_cast"])["bpf_rdonly_cast"]


# Functions that some lines lack (renamed, or inlined into all callers):
# 7.2 has do_file_open() for do_filp_open(), and mntput_no_expire()
# inlined, its slow path apart in mntput_no_expire_slowpath()
LINE_FUNCS = ("do_filp_open", "do_file_open", "mnt_get_count",
              "mntput_no_expire", "mntput_no_expire_slowpath")
# The slow path's own function, where the kernel has one
SLOWPATH_FUNC = "mntput_no_expire_slowpath"


# Set by main(): whether a close puts a layer mount (slow when detached)
BACKING = True


def one_mode(mode: str, layers: int, ops: int, res: Path,
             workloads: bool = True) -> dict:
    """A mode's runs: the workloads under mntlock (when workloads), then
    the overlay's teardown."""
    SWITCH.write_text(mode)
    lower = make_layers(ROOT, layers)
    out: dict = {}
    if not workloads:
        subprocess.run(mount_cmd(lower), shell=True, check=True)
        return teardown(mode, res, out)
    # The overlay is mounted under mntlock: its layer clones are tracked.
    # --latency: every mntput() classified and timed, and the slow-path
    # probe beside it, counting the same events.
    out["ops"] = ops_run(mode, f"{mount_cmd(lower)} && "
                         f"{sh(ovlbench(ops))}", res, ["--latency"])
    # The default: the slow-path probe alone
    out["lean"] = ops_run(f"{mode}-lean", sh(ovlbench(ops)), res)
    out["walk"] = path_walk(mode, ops, res)
    if mode == kparams.DETACHED:
        tasks = os.cpu_count() or 1
        out["ncpus"] = tasks
        out["kprobe"] = ops_run("detached-kprobe", sh(ovlbench(ops)), res,
                                ["--kprobe", "--latency", *WALK])
        # mount_lock contention: all vCPUs hammer one detached overlay,
        # then a single task for the baseline.
        # The vCPUs are host threads: on a loaded host they may seldom
        # run at the same time, and then no waiter is ever seen.  More
        # operations, up to 8x, until one is.
        n = ops
        for attempt in range(4):
            c = ops_run("contention", sh(ovlbench(n, tasks)), res)
            c.update(tasks=tasks, ops_per_task=n, attempts=attempt + 1)
            if c.get("lock_slowpath") or tasks < 2:
                break
            n *= 2
        out["contention"] = c
        out["single"] = ops_run("single", sh(ovlbench(ops)), res)
        # the slow put counted at the slow path's own function (7.2),
        # mntput-slowpath's second candidate
        if in_kallsyms([SLOWPATH_FUNC])[SLOWPATH_FUNC]:
            out["slowpath_func"] = ops_run(
                "slowpath-func", sh(ovlbench(ops)), res,
                [f"--slowput-func={SLOWPATH_FUNC}"])
        # a kernel that inlined two of the walk functions: warnings and
        # null fields, the other counts as ever
        out["walk_inlined"] = ops_run(
            "walk-inlined", sh(ovlbench(ops)), res,
            [*WALK, f"--probe-func=try_to_unlazy-exit={MISSING}",
             f"--probe-func=path_openat-exit={MISSING}"])
        out["bt_slowpath"], out["bt_lockwait"] = \
            bt_slowpath_and_lockwait(tasks, ops, res)
        out["misc"] = interval_and_filters(ops, res)
    return teardown(mode, res, out)


def teardown(mode: str, res: Path, out: dict) -> dict:
    """The mounted overlay's umount under mntlock (the umount task only),
    and in longterm-serial under umount-latency.bt too: both tools see
    the one umount, and the two start together (see
    bt_slowpath_and_lockwait); out, with them."""
    umount = ["/bin/umount", str(MNT)]
    bt = None
    if mode == kparams.SERIAL:
        bt = BtBackground(BPF / "umount-latency.bt", [], res, "^Tracing")
        umount = ["/bin/sh", "-c", f"{bt.wait_cmd()}; exec /bin/umount {MNT}"]
    try:
        doc = mntlock(["--comm", "umount", "--", *umount],
                      res / f"mntlock-{mode}-umount.json")
    finally:
        if bt:
            out["bt_umount"] = bt_umount(*bt.stop())
    out["umount"] = summary(doc)
    subprocess.run(["umount", str(ROOT)], check=True)
    return out


# The reader side, counts and do_filp_open() timing
WALK = ["--restart-cost"]
# A function no kernel has
MISSING = "no_such_func_xyz"
# Detached, 2 tasks: runs until one restarts this fraction of its opens.
# Under MTTCG runs fall into two clusters and stay in theirs: 6-39 % of
# opens restart, or 0.3-0.8 % (10 runs in 24, bpf/BENCHMARKS.md), so 8
# runs all stay low with a chance below 1e-3.
RESTART_FRACTION = 0.01
RESTART_ATTEMPTS = 8


def path_walk(mode: str, ops: int, res: Path) -> dict:
    """Path walks redone after -ECHILD: open-close at 1 task and at 2
    tasks (processes, one file, CPUs 0 and 1), and a stat() task beside
    an open-close task (the lookup side); the same in every mode."""
    out: dict = {"t1": ops_run(f"{mode}-walk-t1", sh(ovlbench(ops)), res,
                               WALK)}
    if (os.cpu_count() or 1) < 2:
        return out
    attempts = []
    # restarts follow write sections of mount_lock: slow puts, which
    # need backing files
    tries = RESTART_ATTEMPTS if mode == kparams.DETACHED and BACKING else 1
    for attempt in range(tries):
        t2 = ops_run(f"{mode}-walk-t2-{attempt}",
                     sh(ovlbench(ops, 2, cpus="0-1")), res, WALK)
        w = t2.get("path_walk") or {}
        attempts.append({k: w.get(k) for k in
                         ("opens", "path_openat", "rcu_restarts",
                          "restart_cost_ns")})
        if (w.get("rcu_restarts") or 0) >= RESTART_FRACTION * \
                (w.get("opens") or 0):
            break
    out["t2"] = t2
    out["t2_attempts"] = attempts
    both = (f"{sh(ovlbench(ops, cpus='0'))} >/dev/null & p=$!; "
            f"{sh(ovlbench(ops, cpus='1', workload='stat'))} >/dev/null "
            "&& wait $p")
    out["stat"] = ops_run(f"{mode}-walk-stat", both, res, WALK)
    return out


def bpftrace(args: list[str], wrapper: str, res: Path) -> tuple[int, str]:
    """bpftrace -c splits its command on blanks: run a wrapper script."""
    script = res / "bt-wrapper.sh"
    script.write_text(f"#!/bin/sh\n{wrapper}\n")
    r = step(["bpftrace", "-c", f"/bin/sh {script}", *args],
             Path(args[0]).stem)
    if r.returncode:
        log(f"bpftrace {args}: rc={r.returncode} {r.stderr.strip()}")
    return r.returncode, r.stdout + r.stderr


def bt_maps(text: str) -> dict[str, int]:
    """'@name: N' and '@name[k]: N' lines of bpftrace's text output."""
    maps: dict[str, int] = {}
    for m in re.finditer(r"^(@\w+(?:\[[^\]]*\])?): (-?\d+)$", text, re.M):
        maps[m.group(1)] = int(m.group(2))
    return maps


class BtBackground:
    """A bpftrace script running until stop(), its output in a file.
    Its first line matching ready says that its probes are attached:
    wait_cmd() is the shell loop that waits for it, for the command of a
    tool started beside it.  A bpftrace start is 10-15 s of TCG alone and
    70 s beside another guest, mostly waiting: two tools that start
    together save one of those.

    It runs with -c, a child that waits for a file, and ends as bpftrace
    ends with -c: when the child has: it reads the events left, prints its
    maps and exits 0.  Not by SIGINT: bpftrace 0.17 leaves its loop only
    when the signal interrupts epoll_wait(), so one that lands between
    two waits is lost (CI met it: the run went on to the step limit); it
    drops the events it reads after the signal; and a second SIGINT
    during its exit kills it (CI met that too, when it was repeated)."""

    def __init__(self, script: Path, args: list[str], res: Path,
                 ready: str):
        self.name = script.stem
        self.ready = ready
        self.out = res / f"bt-{self.name}.out"
        self.done = res / f"bt-{self.name}.done"
        waiter = res / f"bt-{self.name}.wait.sh"
        # -c splits its command on blanks: paths without any
        waiter.write_text(f"until [ -e {self.done} ]; do sleep 0.2; done\n")
        self.t0 = time.monotonic()
        with open(self.out, "w") as f:
            self.p = subprocess.Popen(
                ["bpftrace", "-c", f"/bin/sh {waiter}", str(script), *args],
                stdout=f, stderr=subprocess.STDOUT)

    def wait_cmd(self) -> str:
        return (f"until grep -q '{self.ready}' {self.out}; do "
                f"kill -0 {self.p.pid} || exit 1; sleep 0.2; done")

    def stop(self) -> tuple[int, str]:
        """Ends the child: bpftrace prints its maps and ends with
        status 0 (killed after STEP_TIMEOUT)."""
        self.done.touch()
        try:
            rc = self.p.wait(timeout=STEP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.p.kill()
            rc = self.p.wait()
        SECONDS[self.name] = round(time.monotonic() - self.t0, 1)
        if rc:
            log(f"bpftrace {self.name}: rc={rc}")
        return rc, self.out.read_text()


def bt_slowpath_and_lockwait(tasks: int, ops: int,
                             res: Path) -> tuple[dict, dict]:
    """mntput-slowpath.bt and mount-lock-wait.bt over one workload, tasks
    processes of ops operations each, the two started together.  The
    workload starts once mount-lock-wait.bt printed the lock's address
    (its probes are attached), after the overlay is remounted:
    mntput-slowpath.bt must see its layer clones."""
    off = member_offset("/sys/kernel/btf/vmlinux", "mount", "mnt")
    lower = ":".join(str(p) for p in sorted(
        (p for p in ROOT.iterdir() if p.name.isdigit()),
        key=lambda p: int(p.name)))
    lw = BtBackground(BPF / "mount-lock-wait.bt", [], res,
                      "mount_lock.lock at")
    try:
        rc, text = bpftrace(
            [str(BPF / "mntput-slowpath.bt"), str(off), COMM],
            f"{lw.wait_cmd()}; umount {MNT} && {mount_cmd(lower)} && "
            f"{sh(ovlbench(ops, tasks))}", res)
    finally:
        lw_rc, wtext = lw.stop()
    slow = {"rc": rc, "tasks": tasks, "maps": bt_maps(text),
            "text": text[-2000:]}
    m = re.search(r"mount_lock\.lock at (0x[0-9a-f]+)", wtext)
    wait = {"rc": lw_rc, "lock": m.group(1) if m else None,
            "maps": bt_maps(wtext), "text": wtext[-2000:]}
    return slow, wait


def bt_umount(rc: int, text: str) -> dict:
    """umount-latency.bt's record of the one umount it saw."""
    m = re.search(r"in_ovl_free_fs: sync_rcu=(\d+) \(\d+ us\) "
                  r"sync_rcu_exp=(\d+)", text)
    o = re.search(r"outside: +sync_rcu=(\d+) \(\d+ us\) "
                  r"sync_rcu_exp=(\d+)", text)
    return {"rc": rc, "text": text[-2000:],
            "in_rcu": int(m.group(1)) if m else None,
            "in_exp": int(m.group(2)) if m else None,
            "out_rcu": int(o.group(1)) if o else None,
            "out_exp": int(o.group(2)) if o else None}


# pipe2()+close() pairs of the pipe check
PIPES = 1000


def pipes(res: Path) -> dict:
    """mntput() of pipefs, a kern_mount(): each pipe's two files put the
    internal mount once each on close."""
    code = (f"import os\nfor i in range({PIPES}):\n"
            "    r, w = os.pipe()\n    os.close(r)\n    os.close(w)\n")
    doc = mntlock(["--all-puts", "--comm", "pipes", "--", "/usr/bin/python3",
                   "-c", f"import ctypes\nctypes.CDLL(None).prctl(15, "
                   f"b'pipes')\n{code}"], res / "mntlock-pipes.json")
    out = summary(doc)
    out["pipes"] = PIPES
    return out


def failures(res: Path) -> dict:
    """Documented errors: a required probe on a missing function, and a
    kernel without BTF (simulated with --btf)."""
    out = {}
    for tag, args in (("missing_func", ["--slowput-func=no_such_func_xyz"]),
                      ("missing_func_all_puts",
                       ["--all-puts", "--mntput-func=no_such_func_xyz"]),
                      ("no_btf", ["--btf=/nonexistent"]),
                      ("usage", ["--duration=-1"])):
        r = subprocess.run([str(MNTLOCK), "-d", "0", *args],
                           capture_output=True, text=True)
        out[tag] = {"rc": r.returncode, "stderr": r.stderr,
                    "stdout": r.stdout}
    return out


def interval_and_filters(ops: int, res: Path) -> dict:
    """SIGINT ends the interval; JSON on stdout; --pid counts one
    process only.  Needs the detached overlay of one_mode() mounted."""
    out: dict = {}
    # SIGINT: the normal way to end an open-ended run
    p = subprocess.Popen([str(MNTLOCK), "--comm", COMM],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    ready = p.stderr.readline()     # "mntlock: N probes attached ..."
    subprocess.run(ovlbench(ops), check=True, capture_output=True)
    p.send_signal(signal.SIGINT)
    stdout, stderr = p.communicate(timeout=60)
    stderr = ready + stderr
    try:
        doc = json.loads(stdout)
        out["sigint"] = {"rc": p.returncode, "stderr": stderr,
                         "ended_by": doc["interval"]["ended_by"],
                         "layer_slow":
                         doc["mntput"]["slow_path"]["layer"]}
    except ValueError:
        out["sigint"] = {"rc": p.returncode, "stderr": stderr,
                         "stdout": stdout[-2000:]}
    # --pid: a process started before mntlock is counted, the command's
    # ovlbench is not.  --pid matches the thread group: ovlbench's task
    # is a thread of it (--mode thread), not a child process.  The
    # process waits on a FIFO until mntlock has attached, and is done
    # before it detaches: under TCG, patching mntput() while another vCPU
    # runs it hot can crash the guest.
    fifo = Path("/tmp/mlt-go")
    if not fifo.exists():
        os.mkfifo(fifo)
    bg = subprocess.Popen(["/bin/sh", "-c", f"read x < {fifo}; exec "
                           f"{sh(ovlbench(ops, thread=True))}"],
                          stdout=subprocess.DEVNULL)
    doc = mntlock(["--pid", str(bg.pid), "--", "/bin/sh", "-c",
                   f"echo go > {fifo}; while kill -0 {bg.pid} 2>/dev/null;"
                   f" do [ -e /proc/{bg.pid}/stat ] && grep -q ' Z ' "
                   f"/proc/{bg.pid}/stat && break; sleep 0.1; done"],
                  res / "pid.json")
    bg.wait()
    out["pid_match"] = summary(doc)
    doc = mntlock(["--pid", "1", "--", *ovlbench(ops, thread=True)],
                  res / "pid-other.json")
    out["pid_other"] = summary(doc)
    # perfstat.sh: TCG has no PMU, the command still runs
    r = subprocess.run([str(BPF / "perfstat.sh"), "-o", str(res / "perf"),
                        *ovlbench(100)], capture_output=True, text=True)
    out["perfstat"] = {"rc": r.returncode, "stdout": r.stdout,
                       "stderr": r.stderr}
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("output", type=Path)
    ap.add_argument("--ops", type=int, default=20000)
    ap.add_argument("--layers", type=int, default=100)
    ap.add_argument("--switch", type=Path, required=True,
                    help="the overlay's mode parameter")
    ap.add_argument("--modes", required=True, help="its modes, a,b,...")
    ap.add_argument("--workload-modes",
                    help="the modes whose workloads run (default: all); "
                    "the others' overlays are only torn down")
    args = ap.parse_args()
    global SWITCH, BACKING
    SWITCH = args.switch
    BACKING = backing_files()
    modes = args.modes.split(",")
    worked = args.workload_modes.split(",") if args.workload_modes \
        else modes
    res = args.output.parent / "guest"
    res.mkdir(parents=True, exist_ok=True)
    doc: dict = {"release": os.uname().release, "ops": args.ops,
                 "layers": args.layers, "ncpus": os.cpu_count(),
                 "workload": sh(ovlbench(args.ops)),
                 "backing_files": BACKING, "rdonly_cast": rdonly_cast(),
                 "kallsyms": in_kallsyms(LINE_FUNCS),
                 "modes": {}}
    doc["failures"] = failures(res)
    doc["pipes"] = pipes(res)
    for mode in modes:
        log(f"mode {mode}")
        t0 = time.monotonic()
        doc["modes"][mode] = one_mode(mode, args.layers, args.ops, res,
                                      mode in worked)
        SECONDS[f"mode {mode}"] = round(time.monotonic() - t0, 1)
    SWITCH.write_text(modes[0])
    doc["seconds"] = SECONDS
    tmp = args.output.with_suffix(".tmp")
    tmp.write_text(json.dumps(doc, indent=1) + "\n")
    tmp.rename(args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
