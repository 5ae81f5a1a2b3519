"""Tests of bench/ovlbench; run as root by `make -C bench test`.

Every test checks that the host's mount table is the same afterwards and
that no /tmp/ovlbench.* scratch directory is left behind.  No test
compares a measured time or rate with a fixed number.
"""

import contextlib
import glob
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import validate  # noqa: E402

BENCH = Path(__file__).resolve().parent.parent
OVLBENCH = str(BENCH / "ovlbench")
FAST = ["--warmup", "0", "--duration", "0.5", "--interval", "0.25"]
# Workloads that mount and umount (churn tasks): no --ops, latencies
CHURN = {"teardown", "bystander"}


def list_workloads():
    """The workloads, from ovlbench itself: the one list there is."""
    res = subprocess.run([OVLBENCH, "--list-workloads"], capture_output=True,
                         text=True, check=True)
    return res.stdout.splitlines()


def limits():
    """Its ranges and exit statuses, as the harness reads them
    (harness/run/ovlbench.py); TestLimits checks them against what it does."""
    res = subprocess.run([OVLBENCH, "--limits"], capture_output=True,
                         text=True, check=True)
    return json.loads(res.stdout)


WORKLOADS = list_workloads()
LIMITS = limits()
MAX_OPS = LIMITS["max_ops"]


def mountinfo(pid="self"):
    with open(f"/proc/{pid}/mountinfo") as f:
        return f.read().splitlines()


def scratch_dirs():
    return set(glob.glob("/tmp/ovlbench.*"))


def run(*args, env=None, timeout=120, prefix=()):
    return subprocess.run([*prefix, OVLBENCH, *args], capture_output=True,
                          text=True, env=env, timeout=timeout)


def poll(cond, what, timeout=20):
    """Wait for cond() to be true; a generous bound, not a measurement."""
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def overlay_of(pid):
    """The mount point of ovlbench's overlay in pid's namespace, or None."""
    try:
        lines = mountinfo(pid)
    except OSError:
        return None
    for line in lines:
        fields = line.split()
        sep = fields.index("-")
        if (fields[sep + 1] == "overlay"
                and fields[4].startswith("/tmp/ovlbench.")
                and fields[4].endswith("/m")):
            return fields[4]
    return None


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(c) for c in f.read().split()]
    except OSError:
        return []


def cpu_ticks(pid):
    """utime + stime of a process, in clock ticks (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def alive(pid):
    """Running, not a zombie waiting for a slow init to reap it."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@contextlib.contextmanager
def mounted(path, *args):
    """mount ARGS... path for the with block (before tearDown's check)."""
    subprocess.run(["mount", *args, path], check=True)
    try:
        yield path
    finally:
        subprocess.run(["umount", path], check=True)


def small_tmpfs(path, *opts):
    return mounted(path, "-t", "tmpfs", "-o", ",".join(("size=64k", *opts)),
                   "mntbench-test")


def one_line_error(test, res, code, prog, *values):
    """Exit status code, nothing on stdout, one line naming the values."""
    test.assertEqual(res.returncode, code, res.stderr)
    test.assertEqual(res.stdout, "")
    lines = res.stderr.splitlines()
    test.assertEqual(len(lines), 1, res.stderr)
    test.assertTrue(lines[0].startswith(f"{prog}: "), lines[0])
    for value in values:
        test.assertIn(value, lines[0])
    return lines[0]


def online_cpus():
    with open("/sys/devices/system/cpu/online") as f:
        cpus = []
        for part in f.read().strip().split(","):
            a, _, b = part.partition("-")
            cpus += range(int(a), int(b or a) + 1)
        return cpus


@unittest.skipUnless(os.geteuid() == 0, "ovlbench mounts: run as root")
class Base(unittest.TestCase):
    def setUp(self):
        self.mounts = mountinfo()
        self.dirs = scratch_dirs()

    def tearDown(self):
        self.assertEqual(mountinfo(), self.mounts,
                         "host mount table changed")
        self.assertEqual(scratch_dirs(), self.dirs,
                         "scratch directory left in /tmp")

    def start(self, *args):
        """Start ovlbench in its own process group, wait for its overlay."""
        proc = subprocess.Popen([OVLBENCH, *args], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True,
                                start_new_session=True)
        self.addCleanup(self.reap, proc)
        poll(lambda: overlay_of(proc.pid) or proc.poll() is not None,
             "the overlay")
        if proc.poll() is not None:
            self.fail(f"ovlbench exited {proc.returncode}: "
                      f"{proc.stderr.read()}")
        return proc

    @staticmethod
    def reap(proc):
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()

    def assert_valid(self, doc):
        self.assertEqual(validate.errors(doc), [])

    def bench(self, *args):
        """A short run to a file: the JSON, valid; one summary line."""
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "out.json")
            res = run(*FAST, "--output", out, *args)
            self.assertEqual(res.returncode, 0, res.stderr)
            self.assertEqual(os.listdir(tmp), ["out.json"])
            with open(out) as f:
                doc = json.load(f)
        self.assertEqual(res.stdout, "")
        summary = res.stderr.strip()
        self.assertTrue(summary.startswith("ovlbench: "), summary)
        self.assertNotIn("\n", summary)
        self.assert_valid(doc)
        return doc

    def assert_counts_positive(self, doc):
        for run_ in doc["runs"]:
            for row in run_["samples"]:
                self.assertTrue(all(n > 0 for n in row), row)
            self.assertGreater(run_["summary"]["ops_per_s"], 0)


class TestLayers(Base):
    """1, 2 and 500 layers; the file is read from the layer asked for."""

    def check(self, layers, file_layer, *args):
        res = run("--check", "--layers", ",".join(map(str, layers)),
                  "--file-layer", file_layer, *args)
        self.assertEqual(res.returncode, 0, res.stderr)
        lines = res.stdout.splitlines()
        self.assertEqual(len(lines), len(layers))
        for n, line in zip(layers, lines):
            fields = dict(f.split("=", 1) for f in line.split())
            want = {"upper": "upper", "top": "lower0",
                    "bottom": f"lower{n - 1}"}[file_layer]
            self.assertEqual(fields["layers"], str(n))
            self.assertEqual(fields["content"], want, line)
            self.assertTrue(fields["overlay_mode"], line)

    def test_with_upper(self):
        for file_layer in ("upper", "top", "bottom"):
            with self.subTest(file_layer=file_layer):
                self.check([1, 2, 500], file_layer, "--upper")

    def test_lower_only(self):
        for file_layer in ("top", "bottom"):
            with self.subTest(file_layer=file_layer):
                self.check([2, 500], file_layer)

    def test_legacy_mount_api(self):
        self.check([2, 500], "bottom", "--mount-api", "legacy")
        self.check([1, 500], "upper", "--upper", "--mount-api", "legacy")

    def test_overlay_mode_is_read_back(self):
        res = run("--check")
        mode = res.stdout.split("overlay_mode=")[1].split()[0]
        sysfs = "/sys/module/overlay/parameters/private_mounts"
        if os.path.exists(sysfs):
            self.assertIn(mode, ["longterm-array", "longterm-array-normal",
                                 "longterm-serial", "detached"])
        else:
            self.assertEqual(mode, "unpatched")


class TestWorkloads(Base):
    """Each workload briefly, in both modes; the JSON is valid."""

    def test_workloads(self):
        for workload in WORKLOADS:
            for mode in ("process", "thread"):
                with self.subTest(workload=workload, mode=mode):
                    doc = self.bench("--workload", workload, "--mode", mode,
                                     "--tasks", "2")
                    self.assertEqual(doc["params"]["workload"], workload)
                    self.assertEqual(doc["params"]["mode"], mode)
                    self.assert_counts_positive(doc)
                    # the clocks' own counts: each task's, read at them
                    self.assertTrue(all(
                        n > 0 for n in doc["runs"][0]["task_cpu_ops"]))
                    lat = doc["runs"][0]["latency"]
                    if workload in CHURN:
                        self.assertGreater(lat["mount_ns"]["count"], 0)
                        self.assertGreater(lat["umount_ns"]["count"], 0)
                    else:
                        self.assertIsNone(lat)

    def test_every_task_file_in_every_file_layer(self):
        for file_layer in ("upper", "top", "bottom"):
            with self.subTest(file_layer=file_layer):
                doc = self.bench("--workload", "open-read-close",
                                 "--read-size", "4096", "--tasks", "3",
                                 "--layers", "1,3", "--upper",
                                 "--file-layer", file_layer)
                self.assert_counts_positive(doc)

    def test_teardown_sweep(self):
        doc = self.bench("--workload", "teardown", "--layers", "1,2,5",
                         "--upper", "--tasks", "1")
        self.assertEqual([r["layers"] for r in doc["runs"]], [1, 2, 5])
        for run_ in doc["runs"]:
            raw = run_["latency"]["umount_ns"]["raw"]
            # The iteration in flight when the window closes is timed
            # (a 500-layer umount may outlast the window) but falls
            # after the last sample, so it is not in the totals.
            self.assertIn(len(raw[0]) - run_["task_totals"][0], (0, 1))

    def test_teardown_longer_than_window_is_timed(self):
        doc = self.bench("--workload", "teardown", "--layers", "50",
                         "--upper", "--tasks", "1", "--warmup", "0",
                         "--duration", "0.001", "--interval", "0.001")
        raw = doc["runs"][0]["latency"]["umount_ns"]["raw"]
        self.assertGreaterEqual(len(raw[0]), 1)

    def test_bystander_roles(self):
        doc = self.bench("--workload", "bystander", "--tasks", "3",
                         "--upper", "--file-layer", "upper")
        run_ = doc["runs"][0]
        self.assertEqual(run_["task_roles"], ["churn", "load", "load"])
        self.assertEqual(run_["summary"]["role"], "load")
        self.assertEqual(run_["summary"]["tasks"], 2)
        self.assert_counts_positive(doc)

    def test_pinning_round_robin(self):
        cpus = online_cpus()
        doc = self.bench("--cpus", str(cpus[0]), "--tasks", "2",
                         "--workload", "stat")
        self.assertEqual(doc["runs"][0]["task_cpus"], [cpus[0]] * 2)
        doc = self.bench("--workload", "stat")
        self.assertEqual(doc["params"]["tasks"], len(cpus))
        self.assertEqual(doc["runs"][0]["task_cpus"], cpus)

    def test_stdout_and_target(self):
        res = run(*FAST, "--target", "/proc/self/exe", "--tasks", "1",
                  "--quiet")
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual(res.stderr, "")
        doc = json.loads(res.stdout)
        self.assert_valid(doc)
        self.assertEqual(doc["overlay_mode"], "not-overlay")
        self.assertIsNone(doc["runs"][0]["layers"])

    def test_validator_catches_bad_totals(self):
        doc = self.bench("--workload", "stat", "--tasks", "1")
        doc["runs"][0]["task_totals"][0] += 1
        self.assertTrue(validate.errors(doc))
        del doc["runs"][0]["samples"]
        self.assertTrue(validate.errors(doc))


def mount_at(pid, path):
    """The mountinfo fields of the mount on path in pid's namespace:
    (major:minor, fstype), or None."""
    for line in mountinfo(pid):
        fields = line.split()
        if fields[4] == path:
            return fields[2], fields[fields.index("-") + 1]
    return None


def dev_of(path):
    st = os.stat(path)
    return f"{os.major(st.st_dev)}:{os.minor(st.st_dev)}"


def comms(pid, threads):
    """Task names of pid's tasks: its threads, or its child processes."""
    if threads:
        tids = [int(t) for t in os.listdir(f"/proc/{pid}/task")
                if int(t) != pid]
        paths = [f"/proc/{pid}/task/{t}/comm" for t in tids]
    else:
        paths = [f"/proc/{c}/comm" for c in children(pid)]
    names = []
    for path in paths:
        try:
            with open(path) as f:
                names.append(f.read().strip())
        except OSError:
            pass
    return sorted(names)


class TestCollateral(Base):
    """collateral: aggressors on the overlay, victims on a plain tmpfs."""

    def check(self, doc, roles):
        run_ = doc["runs"][0]
        victims = [t for t, r in enumerate(roles) if r.startswith("victim")]
        self.assertEqual(doc["params"]["workload"], "collateral")
        self.assertEqual(doc["params"]["victims"], len(victims))
        self.assertEqual(run_["task_roles"], roles)
        self.assertTrue(all(n > 0 for n in run_["task_totals"]),
                        run_["task_totals"])
        summ = run_["summary"]
        self.assertEqual(summ["role"], "victim")
        self.assertEqual(summ["tasks"], len(victims))
        self.assertEqual(summ["total_ops"],
                         sum(run_["task_totals"][t] for t in victims))
        self.assertEqual(summ["lifetime_ops"],
                         sum(run_["task_lifetime_ops"][t] for t in victims))
        self.assertIsNone(run_["latency"])
        # in the scratch tmpfs beside the overlay m, not below it
        vdir = run_["victim_dir"]
        self.assertRegex(vdir, r"^/tmp/ovlbench\.[^/]+/v$")
        overlay = os.path.join(os.path.dirname(vdir), "m")
        self.assertFalse(vdir.startswith(overlay + "/"))
        return run_

    def test_two_and_three_tasks(self):
        want = {2: ["aggressor", "victim-stat"],
                3: ["aggressor", "aggressor", "victim-stat"]}
        for tasks, roles in want.items():
            for mode in ("process", "thread"):
                with self.subTest(tasks=tasks, mode=mode):
                    doc = self.bench("--workload", "collateral", "--tasks",
                                     str(tasks), "--mode", mode)
                    self.check(doc, roles)
                    self.assert_counts_positive(doc)

    def test_victims_alternate(self):
        doc = self.bench("--workload", "collateral", "--tasks", "4",
                         "--victims", "3")
        self.check(doc, ["aggressor", "victim-stat", "victim-open-close",
                         "victim-stat"])
        doc = self.bench("--workload", "collateral", "--tasks", "4")
        self.check(doc, ["aggressor", "aggressor", "victim-stat",
                         "victim-open-close"])

    def test_ops(self):
        res = run("--workload", "collateral", "--ops", "1000", "--tasks",
                  "3", "--victims", "2", "--quiet")
        self.assertEqual(res.returncode, 0, res.stderr)
        doc = json.loads(res.stdout)
        self.assert_valid(doc)
        run_ = self.check(doc, ["aggressor", "victim-stat",
                                "victim-open-close"])
        self.assertEqual(run_["task_totals"], [1000] * 3)
        self.assertEqual(run_["task_lifetime_ops"], [1000] * 3)
        self.assertEqual(run_["summary"]["total_ops"], 2000)

    def test_victims_named_and_off_the_overlay(self):
        """While it runs: the victims' own tmpfs, their task names."""
        for mode in ("process", "thread"):
            with self.subTest(mode=mode):
                proc = self.start("--workload", "collateral", "--duration",
                                  "30", "--tasks", "3", "--victims", "2",
                                  "--mode", mode)
                mnt = overlay_of(proc.pid)
                root = os.path.dirname(mnt)
                vdir = f"{root}/v"
                seen = mount_at(proc.pid, vdir)
                self.assertIsNotNone(seen, "no mount on the victims' dir")
                self.assertEqual(seen[1], "tmpfs")
                ovl_dev = mount_at(proc.pid, mnt)[0]
                self.assertNotEqual(seen[0], ovl_dev)
                self.assertNotEqual(seen[0], mount_at(proc.pid, root)[0])
                # victim task 2's file is on that tmpfs
                ns = f"/proc/{proc.pid}/root"
                self.assertEqual(dev_of(f"{ns}{vdir}/f2"), seen[0])
                want = sorted(["ovlbench", "ovlb-victim", "ovlb-victim"])
                poll(lambda: comms(proc.pid, mode == "thread") == want,
                     f"task names {want}")
                with open(f"/proc/{proc.pid}/comm") as f:
                    self.assertEqual(f.read().strip(), "ovlbench")
                os.kill(proc.pid, signal.SIGTERM)
                _, err = proc.communicate()
                self.assertEqual(proc.returncode, 143, err)

    def test_validator_checks_victims(self):
        doc = self.bench("--workload", "collateral", "--tasks", "2")
        doc["params"]["victims"] = 2
        self.assertTrue(validate.errors(doc))
        doc["params"]["victims"] = 1
        run_ = doc["runs"][0]
        run_["task_lifetime_ops"][0] = run_["task_totals"][0] - 1
        self.assertTrue(validate.errors(doc))


class TestOps(Base):
    """--ops N: each task does exactly N ops, in one interval."""

    def ops(self, n, *args):
        res = run("--ops", str(n), "--quiet", *args)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual(res.stderr, "")
        doc = json.loads(res.stdout)
        self.assert_valid(doc)
        params = doc["params"]
        self.assertEqual(params["ops"], n)
        self.assertEqual(params["warmup_s"], 0)
        self.assertIsNone(params["duration_s"])
        self.assertIsNone(params["interval_s"])
        self.assertEqual(params["intervals"], 1)
        tasks = params["tasks"]
        for run_ in doc["runs"]:
            self.assertEqual(run_["samples"], [[n] * tasks])
            self.assertEqual(run_["task_totals"], [n] * tasks)
            self.assertEqual(run_["task_lifetime_ops"], [n] * tasks)
            # over the summary's tasks: all but collateral's aggressors
            summ = run_["summary"]
            self.assertEqual(summ["total_ops"], n * summ["tasks"])
            self.assertEqual(summ["lifetime_ops"], n * summ["tasks"])
            self.assertEqual(len(run_["intervals_s"]), 1)
            self.assertGreater(run_["intervals_s"][0], 0)
            self.assertTrue(all(ns > 0 for ns in run_["task_cpu_ns"]))
            self.assertEqual(run_["task_cpu_ops"], [n] * tasks)
        return doc

    def test_every_workload(self):
        for workload in WORKLOADS:
            for mode in ("process", "thread"):
                with self.subTest(workload=workload, mode=mode):
                    if workload in CHURN:
                        res = run("--ops", "10", "--workload", workload,
                                  "--mode", mode)
                        self.assertEqual(res.returncode, 2, res.stderr)
                        self.assertIn(f"workload {workload}", res.stderr)
                        continue
                    doc = self.ops(1000, "--workload", workload, "--mode",
                                   mode, "--tasks", "3")
                    self.assertEqual(doc["params"]["workload"], workload)

    def test_counts(self):
        for n in (1, 2, 50000):
            with self.subTest(ops=n):
                self.ops(n, "--tasks", "2")

    def test_layer_list_and_target(self):
        doc = self.ops(100, "--layers", "2,5", "--upper", "--tasks", "1")
        self.assertEqual([r["layers"] for r in doc["runs"]], [2, 5])
        doc = self.ops(100, "--target", "/proc/self/exe", "--tasks", "2")
        self.assertIsNone(doc["runs"][0]["layers"])

    def test_validator_checks_counts(self):
        doc = self.ops(10, "--tasks", "2")
        run_ = doc["runs"][0]
        run_["samples"][0][1] += 1
        run_["task_totals"][1] += 1
        run_["summary"]["total_ops"] += 1
        self.assertTrue(validate.errors(doc))


class TestOutput(Base):
    """-o FILE: a regular file or a new path is written via FILE.tmp and
    renamed; a device, a FIFO or a symlink is written in place and stays
    what it was (ovlbench -o /dev/null must not replace /dev/null)."""

    ARGS = ("--ops", "100", "--tasks", "1", "--quiet")

    def setUp(self):
        super().setUp()
        self.tmp = tempfile.mkdtemp(prefix="ovlbench-out-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def path(self, name):
        return os.path.join(self.tmp, name)

    def test_character_device_stays(self):
        null = self.path("null")
        os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        res = run(*self.ARGS, "--output", null)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertTrue(stat.S_ISCHR(os.lstat(null).st_mode))
        self.assertEqual(sorted(os.listdir(self.tmp)), ["null"])

    def test_fifo_is_written_and_stays(self):
        fifo = self.path("fifo")
        os.mkfifo(fifo)
        got = []
        reader = threading.Thread(
            target=lambda: got.append(open(fifo).read()))
        reader.start()
        res = run(*self.ARGS, "--output", fifo)
        reader.join(30)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertTrue(stat.S_ISFIFO(os.lstat(fifo).st_mode))
        self.assertEqual(json.loads(got[0])["params"]["ops"], 100)
        self.assertEqual(sorted(os.listdir(self.tmp)), ["fifo"])

    def test_symlink_is_written_through(self):
        link, real = self.path("link"), self.path("real.json")
        open(real, "w").close()
        os.symlink(real, link)
        res = run(*self.ARGS, "--output", link)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertTrue(os.path.islink(link))
        with open(real) as f:
            self.assertEqual(json.load(f)["params"]["ops"], 100)

    def test_regular_file_replaced_whole(self):
        out = self.path("out.json")
        with open(out, "w") as f:
            f.write("old")
        ino = os.stat(out).st_ino
        res = run(*self.ARGS, "--output", out)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertNotEqual(os.stat(out).st_ino, ino)   # renamed over
        self.assertEqual(sorted(os.listdir(self.tmp)), ["out.json"])

    def test_stale_tmp_replaced(self):
        out = self.path("out.json")
        with open(out + ".tmp", "w") as f:
            f.write("left by a crash")
        res = run(*self.ARGS, "--output", out)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual(sorted(os.listdir(self.tmp)), ["out.json"])
        with open(out) as f:
            self.assertEqual(json.load(f)["params"]["ops"], 100)

    def test_unwritable_fails_before_the_run(self):
        """Checked at start: exit 2, not 1 after a 30 s run; no file."""
        ro = self.path("ro")
        os.mkdir(ro)
        os.mkdir(self.path("dir"))
        cases = [
            (self.path("missing/out.json"), "No such file or directory"),
            (os.path.join(ro, "out.json"), "Read-only file system"),
            (self.path("dir"), "Is a directory"),
        ]
        with small_tmpfs(ro, "ro"):
            for out, why in cases:
                with self.subTest(out=out):
                    res = run("--duration", "30", "--output", out)
                    one_line_error(self, res, 2, "ovlbench",
                                   f"--output={out}", why)
                    self.assertEqual(os.listdir(ro), [])
                    self.assertEqual(sorted(os.listdir(self.tmp)),
                                     ["dir", "ro"])
                    self.assertEqual(os.listdir(self.path("dir")), [])

    def test_write_error_leaves_no_tmp(self):
        full = self.path("full")
        os.mkdir(full)
        out = os.path.join(full, "out.json")
        with small_tmpfs(full):
            try:
                with open(os.path.join(full, "fill"), "wb") as f:
                    while True:
                        f.write(b"\0" * 4096)
                        f.flush()
            except OSError:
                pass
            # an empty file needs no block: the check at start passes
            res = run(*self.ARGS, "--output", out)
            one_line_error(self, res, 1, "ovlbench", out,
                           "No space left on device")
            self.assertEqual(os.listdir(full), ["fill"])

    def test_rename_error_leaves_no_tmp(self):
        """A mount point cannot be renamed over: EBUSY at the end."""
        out, other = self.path("out.json"), self.path("other")
        for name in (out, other):
            with open(name, "w") as f:
                f.write("old")
        with mounted(out, "--bind", other):
            res = run(*self.ARGS, "--output", out)
            one_line_error(self, res, 1, "ovlbench", out,
                           "Device or resource busy")
            self.assertEqual(sorted(os.listdir(self.tmp)),
                             ["other", "out.json"])
        with open(out) as f:
            self.assertEqual(f.read(), "old")


MNTLOCK = BENCH.parent / "bpf" / "mntlock"


@unittest.skipUnless(MNTLOCK.exists(), "bpf/mntlock not built")
class TestMntlockOptions(unittest.TestCase):
    """mntlock checks its options, -o FILE too, before it loads any BPF:
    these run on a host where BPF cannot."""

    def mntlock(self, *args):
        return subprocess.run([str(MNTLOCK), *args], capture_output=True,
                              text=True, timeout=60)

    @unittest.skipUnless(os.geteuid() == 0, "mounts a read-only tmpfs")
    def test_unwritable_output(self):
        with tempfile.TemporaryDirectory() as tmp:
            ro = os.path.join(tmp, "ro")
            os.mkdir(ro)
            with small_tmpfs(ro, "ro"):
                for out, why in ((os.path.join(tmp, "missing/x.json"),
                                  "No such file or directory"),
                                 (os.path.join(ro, "x.json"),
                                  "Read-only file system")):
                    with self.subTest(out=out):
                        res = self.mntlock("-d", "0", "-o", out)
                        one_line_error(self, res, 2, "mntlock",
                                       f"--output={out}", why)
                self.assertEqual(os.listdir(ro), [])

    def test_numeric_ranges(self):
        cases = [
            (["-d", "1e9"], "--duration=1e9", "0..1000000"),
            (["-d", "-1"], "--duration=-1", "0..1000000"),
            (["-d", "nan"], "--duration=nan", "0..1000000"),
            (["-p", "0"], "--pid=0", "1..1073741823"),
            (["-p", "1073741824"], "--pid=1073741824", "1..1073741823"),
            (["--bogus"], "--bogus", "unknown option"),
            (["-d"], "-d", "needs a value"),
        ]
        for args, value, allowed in cases:
            with self.subTest(args=args):
                one_line_error(self, self.mntlock(*args), 2, "mntlock",
                               value, allowed)


class TestWorkloadList(unittest.TestCase):
    """--list-workloads is the list; the schema and its text agree."""

    def test_format(self):
        self.assertTrue(WORKLOADS)
        self.assertEqual(len(set(WORKLOADS)), len(WORKLOADS))
        for name in WORKLOADS:
            self.assertRegex(name, r"^[a-z][a-z0-9-]*$")
        help_ = subprocess.run([OVLBENCH, "--help"], capture_output=True,
                               text=True, check=True).stdout
        for name in WORKLOADS:
            self.assertRegex(help_, rf"\n    {name} ")

    def test_schema_json_enum(self):
        schema = validate.load_schema()
        enum = schema["definitions"]["params"]["properties"]["workload"]
        self.assertEqual(sorted(enum["enum"]), sorted(WORKLOADS))

    def test_schema_md_names_each(self):
        text = (BENCH / "SCHEMA.md").read_text()
        for name in WORKLOADS:
            self.assertTrue(f"`{name}`" in text, f"SCHEMA.md lacks {name}")

    def test_unknown_workload_lists_them(self):
        res = run("--workload", "nope")
        self.assertEqual(res.returncode, 6)
        self.assertIn(", ".join(WORKLOADS), res.stderr)


class TestLimits(unittest.TestCase):
    """--limits says what ovlbench does: each range is the one it refuses
    beyond, each list of workloads the one an option takes, each exit
    status the one it exits with.  No test here mounts anything."""

    def refused(self, args, status, *values):
        return one_line_error(self, run(*args), LIMITS["exit_statuses"][
            status], "ovlbench", *values)

    def test_document(self):
        self.assertEqual(LIMITS["schema"], "mntbench.ovlbench-limits/1")
        self.assertEqual(LIMITS["workloads"], WORKLOADS)
        for key in ("max_seconds", "min_interval", "max_pair_interval"):
            self.assertIsInstance(LIMITS[key], float, key)

    def test_ranges(self):
        lim = LIMITS
        top = lim["max_seconds"]
        self.refused(["--layers", str(lim["max_layers"] + 1)], "layers",
                     f"1..{lim['max_layers']}")
        self.refused(["--layers", ",".join(["2"] * (lim["max_layer_runs"]
                                                    + 1))], "layers",
                     f"up to {lim['max_layer_runs']}")
        self.refused(["--tasks", str(lim["max_tasks"] + 1)], "usage",
                     f"1..{lim['max_tasks']}")
        self.refused(["--cpus", str(lim["max_cpu"] + 1)], "cpu",
                     f"0..{lim['max_cpu']}")
        self.refused(["--duration", f"{top * 2:.0f}"], "time",
                     f"<= {top:.0f}")
        self.refused(["--warmup", f"{top * 2:.0f}"], "time", f"<= {top:.0f}")
        self.refused(["--interval", f"{lim['min_interval'] * 0.9:g}"],
                     "time", f">= {lim['min_interval']:g}")
        most = lim["max_intervals"] * lim["min_interval"]
        self.refused(["--interval", f"{lim['min_interval']:g}",
                      "--duration", f"{most * 2:g}"], "time",
                     f"more than {lim['max_intervals']} intervals")
        self.refused(["--ops", str(lim["max_ops"] + 1)], "usage",
                     f"1..{lim['max_ops']}")
        self.refused(["--read-size", str(lim["max_read_size"] + 1)],
                     "usage", f"1..{lim['max_read_size']}")
        self.refused(["--ovl-opt", "x"] * (lim["max_ovl_opts"] + 1),
                     "usage", f"at most {lim['max_ovl_opts']} times")
        self.refused(["--mode", "fork"], "usage",
                     ", ".join(lim["task_modes"]))

    def test_workloads_an_option_takes(self):
        pair = ["--pair-modes", "longterm-array,detached", "--tasks", "2",
                "--duration", "1",
                "--interval", f"{LIMITS['max_pair_interval'] + 0.01:g}"]
        marks = ["--coherence-marks", "--ops", "10"]
        for w in WORKLOADS:
            with self.subTest(workload=w):
                if w in LIMITS["pair_workloads"]:   # on to the interval
                    self.refused(["-w", w, *pair], "time", "blocks of "
                                 f"--pair-modes must be <= "
                                 f"{LIMITS['max_pair_interval']:g} s")
                else:
                    self.refused(["-w", w, *pair], "usage", "--pair-modes")
                if w in LIMITS["marked_workloads"]:  # on to --file-layer
                    self.refused(["-w", w, *marks, "--file-layer", "upper"],
                                 "usage", "--file-layer=upper")
                else:
                    self.refused(["-w", w, *marks], "usage",
                                 ", ".join(LIMITS["marked_workloads"]))
                # no overlay: a layer count is refused, not a bad one
                if w in LIMITS["no_overlay_workloads"]:
                    self.refused(["-w", w, "--layers", "3"], "usage",
                                 "it uses no overlay")

    def test_exit_statuses(self):
        ex = LIMITS["exit_statuses"]
        self.assertEqual(ex["success"], 0)
        self.refused(["--bogus"], "usage", "--bogus")
        self.refused(["--layers", "0"], "layers", "--layers=0")
        self.refused(["--cpus", "0-"], "cpu", "--cpus=0-")
        self.refused(["--duration", "0"], "time", "--duration=0")
        self.refused(["--workload", "nope"], "workload", "--workload=nope")
        help_ = run("--help").stdout
        for name, text in (("internal", "internal error"),
                           ("root", "not root"), ("no_overlay", "no overlay"),
                           ("mount", "mount failure"), ("task", "a task "
                           "failed"), ("na", "n/a")):
            self.assertRegex(help_, rf"\b{ex[name]} {text}", name)
        self.assertIn(f"{ex['signal']}+N signal N", help_)


class TestCleanup(Base):
    """Nothing leaks onto the host, however ovlbench ends."""

    def test_mounts_invisible_while_running(self):
        proc = self.start("--duration", "30")
        self.assertEqual(mountinfo(), self.mounts)
        self.assertNotEqual(mountinfo(proc.pid), self.mounts)
        os.kill(proc.pid, signal.SIGTERM)
        proc.communicate()

    def sigkill(self, whole_group):
        proc = self.start("--duration", "30", "--mode", "process",
                          "--tasks", "2")
        scratch = os.path.dirname(overlay_of(proc.pid))
        poll(lambda: len(children(proc.pid)) == 2, "the tasks")
        tasks = children(proc.pid)
        if whole_group:
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            os.kill(proc.pid, signal.SIGKILL)
        proc.communicate()
        self.assertEqual(proc.returncode, -signal.SIGKILL)
        poll(lambda: not any(map(alive, tasks)), "the tasks to die")
        self.assertEqual(mountinfo(), self.mounts)
        # SIGKILL leaves the empty mount point directory; nothing else
        self.assertEqual(os.listdir(scratch), [])
        os.rmdir(scratch)

    def test_sigkill_process_group(self):
        self.sigkill(whole_group=True)

    def test_sigkill_parent_only(self):
        self.sigkill(whole_group=False)

    def test_sigterm_sigint_write_nothing(self):
        for sig in (signal.SIGTERM, signal.SIGINT):
            for mode in ("process", "thread"):
                with self.subTest(sig=sig.name, mode=mode), \
                        tempfile.TemporaryDirectory() as tmp:
                    out = os.path.join(tmp, "out.json")
                    proc = self.start("--duration", "30", "--mode", mode,
                                      "--output", out)
                    os.kill(proc.pid, sig)
                    _, err = proc.communicate()
                    self.assertEqual(proc.returncode, 128 + sig, err)
                    self.assertIn("no output written", err)
                    self.assertEqual(os.listdir(tmp), [])


class TestStoppedTask(Base):
    """A SIGSTOPped task process: the run's end SIGKILLs it after a
    deadline, and SIGINT or SIGTERM end the run at once."""

    def stop_one(self, out):
        proc = self.start("--mode", "process", "--tasks", "2",
                          "--warmup", "0", "--duration", "1",
                          "--interval", "0.5", "--output", out)
        poll(lambda: len(children(proc.pid)) == 2, "the tasks")
        other, stopped = children(proc.pid)
        # stop it once both are past the start barrier (using CPU): a
        # task stopped before it would hold the other at the barrier
        poll(lambda: min(cpu_ticks(other), cpu_ticks(stopped)) >= 2,
             "the tasks to start")
        os.kill(stopped, signal.SIGSTOP)
        return proc, other, stopped

    def finish(self, proc, stopped, tmp):
        _, err = proc.communicate(timeout=60)
        poll(lambda: not alive(stopped), "the stopped task to die")
        self.assertEqual(os.listdir(tmp), [])
        return err

    def test_killed_at_the_deadline(self):
        with tempfile.TemporaryDirectory() as tmp:
            proc, _, stopped = self.stop_one(os.path.join(tmp, "out.json"))
            err = self.finish(proc, stopped, tmp)
        self.assertEqual(proc.returncode, 10, err)
        self.assertIn("task 1 (CPU", err)
        self.assertIn("did not stop within", err)
        self.assertIn("no output written", err)

    def test_signal_while_waiting(self):
        for sig in (signal.SIGTERM, signal.SIGINT):
            with self.subTest(sig=sig.name), \
                    tempfile.TemporaryDirectory() as tmp:
                proc, other, stopped = self.stop_one(
                    os.path.join(tmp, "out.json"))
                # The other task has ended and is reaped: the run is
                # over, ovlbench waits for the stopped one
                poll(lambda: not alive(other), "the other task to end")
                self.assertIsNone(proc.poll())
                os.kill(proc.pid, sig)
                err = self.finish(proc, stopped, tmp)
                self.assertEqual(proc.returncode, 128 + sig, err)
                self.assertIn("no output written", err)
                self.assertNotIn("did not stop", err)


class TestErrors(Base):
    """Each bad input: one line naming the value, and its exit status."""

    def expect(self, args, code, value, **kw):
        res = run(*args, **kw)
        self.assertEqual(res.returncode, code, res.stderr)
        self.assertEqual(res.stdout, "")
        lines = res.stderr.splitlines()
        self.assertEqual(len(lines), 1, res.stderr)
        self.assertTrue(lines[0].startswith("ovlbench: "), lines[0])
        self.assertIn(value, lines[0])
        return lines[0]

    def test_bad_inputs(self):
        offline = max(online_cpus()) + 1
        cases = [
            (["--bogus"], 2, "--bogus"),
            (["-x"], 2, "-x"),
            (["--layers"], 2, "--layers"),
            (["stray"], 2, "stray"),
            (["--tasks", "0"], 2, "--tasks=0"),
            (["--tasks", "1025"], 2, "1..1024"),
            (["--mode", "fork"], 2, "--mode=fork"),
            (["--file-layer", "middle"], 2, "middle"),
            (["--file-layer", "upper"], 2, "--upper"),
            (["--workload", "bystander", "--tasks", "1"], 2, "--tasks=1"),
            (["--workload", "collateral", "--tasks", "1"], 2, "--tasks=1"),
            (["--workload", "collateral", "--tasks", "2", "--victims", "2"],
             2, "--victims=2: must be 1..1"),
            (["--workload", "collateral", "--tasks", "3", "--victims", "0"],
             2, "--victims=0"),
            (["--workload", "collateral", "--victims", "x"], 2,
             "--victims=x"),
            (["--victims", "1"], 2, "--victims=1: only with"),
            (["--target", "/etc/hostname", "--workload", "collateral"], 2,
             "collateral"),
            (["--read-size", "4097"], 2, "--read-size=4097"),
            (["--mount-api", "old"], 2, "--mount-api=old"),
            (["--output", "/nonexistent/x.json"], 2, "/nonexistent"),
            (["--target", "/nonexistent"], 2, "/nonexistent"),
            (["--target", "/etc/hostname", "--workload", "teardown"], 2,
             "teardown"),
            (["--layers", "0"], 3, "--layers=0"),
            (["--layers", "501"], 3, "--layers=501"),
            (["--layers", "2,x"], 3, "--layers=2,x"),
            (["--layers", "1"], 3, "--upper"),
            (["--cpus", str(offline)], 4, f"CPU {offline} is not online"),
            (["--cpus", "0-"], 4, "--cpus=0-"),
            (["--cpus", "0,0"], 4, "--cpus=0,0"),
            (["--cpus", "4096"], 4, "0..4095"),
            (["--duration", "0"], 5, "--duration=0"),
            (["--duration", "1e9"], 5, "--duration=1e9: must be a number "
             "of seconds > 0 and <= 1000000"),
            (["--interval", "0.0001"], 5, ">= 0.001 and <= 1000000"),
            (["--interval", "1e7"], 5, ">= 0.001 and <= 1000000"),
            (["--warmup", "1e7"], 5, ">= 0 and <= 1000000"),
            (["--duration", "nan"], 5, "--duration=nan"),
            (["--interval", "-1"], 5, "--interval=-1"),
            (["--warmup", "-0.5"], 5, "--warmup=-0.5"),
            (["--duration", "1", "--interval", "2"], 5, "--interval=2"),
            (["--workload", "nope"], 6, "--workload=nope"),
            (["--ops", "0"], 2, "--ops=0"),
            (["--ops", str(MAX_OPS + 1)], 2, f"1..{MAX_OPS}"),
            (["--ops", "1e3"], 2, "--ops=1e3"),
            (["--ops", "10", "--duration", "1"], 2, "--duration"),
            (["--ops", "10", "--warmup", "0"], 2, "--warmup"),
            (["--ops", "10", "--interval", "0.5"], 2, "--interval"),
            (["--ops", "10", "--workload", "teardown"], 2, "teardown"),
            (["--ops", "10", "--workload", "bystander"], 2, "bystander"),
            (["--ops", "10", "--pair-modes", "detached,longterm-array"], 2,
             "--pair-modes"),
            (["--ops", "10", "--check"], 2, "--check"),
            (["--ovl-opt", "nosuchopt"], 9, "nosuchopt"),
            (["--mount-api", "legacy", "--layers", "500", "--ovl-opt",
              "x=" + "y" * 2000], 9, "more than one page"),
        ]
        for args, code, value in cases:
            with self.subTest(args=args):
                self.expect(args, code, value)

    def test_not_root(self):
        line = self.expect([], 7, "root", prefix=(
            "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"))
        self.assertIn("65534", line)

    def test_no_overlay(self):
        with tempfile.NamedTemporaryFile("w") as fake:
            fake.write("nodev\ttmpfs\n\text4\n")
            fake.flush()
            env = dict(os.environ, OVLBENCH_PROC_FILESYSTEMS=fake.name)
            self.expect([], 8, "overlay", env=env)

    def test_task_killed(self):
        proc = self.start("--duration", "30", "--mode", "process",
                          "--tasks", "2")
        poll(lambda: len(children(proc.pid)) == 2, "the tasks")
        victim = children(proc.pid)[1]
        os.kill(victim, signal.SIGKILL)
        _, err = proc.communicate()
        self.assertEqual(proc.returncode, 10, err)
        self.assertIn("task 1", err)
        self.assertIn("signal 9", err)

    def test_task_error(self):
        for mode in ("thread", "process"):
            with self.subTest(mode=mode):
                proc = self.start("--duration", "30", "--mode", mode,
                                  "--tasks", "2", "--upper",
                                  "--file-layer", "upper")
                mnt = overlay_of(proc.pid)
                # Through the overlay: leaves a whiteout, open gets ENOENT
                os.unlink(f"/proc/{proc.pid}/root{mnt}/f1")
                _, err = proc.communicate()
                self.assertEqual(proc.returncode, 10, err)
                self.assertIn("task 1", err)
                self.assertIn("No such file or directory", err)


if __name__ == "__main__":
    unittest.main()
