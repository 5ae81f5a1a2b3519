"""Tests of ovlbench's census workloads, which mount no overlay: files on
the kernel's internal mounts (mqueue, memfd, memfd-hugetlb, pipe,
socket).  Real kernel, no mocks; run by `make -C bench test` (as root:
the mqueue listing mounts an mqueue file system in a mount namespace of
its own).

Every test checks that the host's mount table is the same afterwards,
that no /tmp/ovlbench.* directory appears and that no ovlbench message
queue is left.  No test compares a measured time or rate with a number.
"""

import json
import os
import signal
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import test_ovlbench as tob  # noqa: E402
import validate  # noqa: E402

# workload -> params.target (the internal mount its files are on)
CENSUS = {
    "mqueue": "internal:mqueue",
    "memfd": "internal:tmpfs",
    "memfd-hugetlb": "internal:hugetlbfs",
    "pipe": "internal:pipefs",
    "socket": "internal:sockfs",
}
EXIT_NA = tob.LIMITS["exit_statuses"]["na"]
# Lower than any --ops below: a descriptor leaked per op ends in EMFILE
NOFILE = 32


def filesystems():
    with open("/proc/filesystems") as f:
        return {line.split()[-1] for line in f if line.strip()}


def available(workload):
    """What the kernel says, independently of ovlbench's own probe."""
    need = {"mqueue": "mqueue", "memfd-hugetlb": "hugetlbfs"}.get(workload)
    return need is None or need in filesystems()


def mqueues():
    """The names of the IPC namespace's message queues: an mqueue file
    system mounted in a mount namespace of its own shows them all."""
    with tempfile.TemporaryDirectory() as tmp:
        res = subprocess.run(
            ["unshare", "--mount", "sh", "-c",
             f'mount -t mqueue mntbench-test "{tmp}" && ls -A "{tmp}"'],
            capture_output=True, text=True, timeout=30)
    if res.returncode:
        raise AssertionError(f"listing message queues: {res.stderr}")
    return set(res.stdout.split())


def ovlbench_queues():
    return {q for q in mqueues() if q.startswith("ovlbench.")}


@unittest.skipUnless(os.geteuid() == 0,
                     "lists message queues with an mqueue mount: as root")
class Base(unittest.TestCase):
    def setUp(self):
        self.mounts = tob.mountinfo()
        self.dirs = tob.scratch_dirs()
        self.queues = ovlbench_queues()

    def tearDown(self):
        self.assertEqual(tob.mountinfo(), self.mounts,
                         "host mount table changed")
        self.assertEqual(tob.scratch_dirs(), self.dirs,
                         "scratch directory left in /tmp")
        self.assertEqual(ovlbench_queues(), self.queues,
                         "message queue left behind")

    def ops(self, workload, n, *args, prefix=()):
        """--ops n, quiet, to stdout: the JSON, valid."""
        res = tob.run("--workload", workload, "--ops", str(n), "--quiet",
                      *args, prefix=prefix)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual(res.stderr, "")
        doc = json.loads(res.stdout)
        self.assertEqual(validate.errors(doc), [])
        return doc


class TestList(unittest.TestCase):
    def test_listed_and_in_schema(self):
        self.assertLessEqual(set(CENSUS), set(tob.WORKLOADS))
        self.assertEqual(set(CENSUS),
                         set(tob.LIMITS["no_overlay_workloads"]))
        schema = validate.load_schema()
        enum = schema["definitions"]["params"]["properties"]["workload"]
        self.assertLessEqual(set(CENSUS), set(enum["enum"]))
        help_ = tob.run("--help").stdout
        self.assertIn(f"{EXIT_NA} n/a", help_)


class TestCounts(Base):
    """--ops N: exactly N ops per task, and no descriptor kept per op."""

    def check(self, workload, n, tasks, mode):
        doc = self.ops(workload, n, "--tasks", str(tasks), "--mode", mode,
                       prefix=("prlimit", f"--nofile={NOFILE}:{NOFILE}"))
        params = doc["params"]
        self.assertEqual(params["workload"], workload)
        self.assertEqual(params["ops"], n)
        self.assertEqual(params["tasks"], tasks)
        self.assertEqual(params["target"], CENSUS[workload])
        self.assertEqual(params["layers"], [])
        self.assertEqual(doc["overlay_mode"], "not-overlay")
        self.assertEqual(doc["mount_api"], "none")
        self.assertEqual(len(doc["runs"]), 1)
        run_ = doc["runs"][0]
        self.assertIsNone(run_["layers"])
        self.assertEqual(run_["task_roles"], ["load"] * tasks)
        self.assertEqual(run_["samples"], [[n] * tasks])
        self.assertEqual(run_["task_totals"], [n] * tasks)
        self.assertEqual(run_["task_lifetime_ops"], [n] * tasks)
        self.assertEqual(run_["summary"]["total_ops"], n * tasks)
        self.assertEqual(run_["summary"]["lifetime_ops"], n * tasks)
        # n = 1: about one run in 60 on the host reads 0 ns for a task
        # (open-close too): a clock read, not a count, so not asserted
        if n > 1:
            self.assertTrue(all(ns > 0 for ns in run_["task_cpu_ns"]),
                            run_["task_cpu_ns"])

    def test_one_and_two_tasks(self):
        for workload in CENSUS:
            if not available(workload):
                continue
            for tasks in (1, 2):
                for mode in ("process", "thread"):
                    with self.subTest(workload=workload, tasks=tasks,
                                      mode=mode):
                        self.check(workload, 1000, tasks, mode)

    def test_one_op(self):
        for workload in CENSUS:
            if available(workload):
                with self.subTest(workload=workload):
                    self.check(workload, 1, 2, "process")

    def test_limit_applies(self):
        """What makes a leak fail: the limit reaches the program (a leak
        of one descriptor per op then ends in EMFILE, exit 10)."""
        res = subprocess.run(["prlimit", f"--nofile={NOFILE}:{NOFILE}",
                              "cat", "/proc/self/limits"],
                             capture_output=True, text=True, check=True)
        line = [x for x in res.stdout.splitlines()
                if x.startswith("Max open files")][0]
        self.assertEqual(line.split()[3:5], [str(NOFILE)] * 2)

    def test_without_root(self):
        for workload in CENSUS:
            if available(workload):
                with self.subTest(workload=workload):
                    self.ops(workload, 100, "--tasks", "2", prefix=(
                        "setpriv", "--reuid=65534", "--regid=65534",
                        "--clear-groups"))

    def test_time_based(self):
        for workload in CENSUS:
            if available(workload):
                with self.subTest(workload=workload):
                    res = tob.run("--workload", workload, *tob.FAST,
                                  "--tasks", "2", "--quiet")
                    self.assertEqual(res.returncode, 0, res.stderr)
                    doc = json.loads(res.stdout)
                    self.assertEqual(validate.errors(doc), [])
                    self.assertTrue(all(n > 0 for n in
                                        doc["runs"][0]["task_totals"]))


class TestMqueue(Base):
    """The queues exist while the tasks run, one per task, and are gone
    however the run ends."""

    def start(self, *args):
        proc = subprocess.Popen([tob.OVLBENCH, "--workload", "mqueue",
                                 "--duration", "30", *args],
                                stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True,
                                start_new_session=True)
        self.addCleanup(tob.Base.reap, proc)
        want = {f"ovlbench.{proc.pid}.{t}" for t in (0, 1)}
        tob.poll(lambda: want <= ovlbench_queues()
                 or proc.poll() is not None, "the queues")
        if proc.poll() is not None:
            self.fail(f"ovlbench exited {proc.returncode}: "
                      f"{proc.stderr.read()}")
        self.assertEqual(ovlbench_queues() - self.queues, want)
        # no namespace or mount of its own: nothing is mounted
        self.assertEqual(os.readlink(f"/proc/{proc.pid}/ns/mnt"),
                         os.readlink("/proc/self/ns/mnt"))
        return proc

    def test_sigterm(self):
        for mode in ("process", "thread"):
            with self.subTest(mode=mode):
                proc = self.start("--tasks", "2", "--mode", mode)
                os.kill(proc.pid, signal.SIGTERM)
                _, err = proc.communicate(timeout=60)
                self.assertEqual(proc.returncode, 143, err)
                self.assertEqual(ovlbench_queues(), self.queues)

    def test_task_killed(self):
        """A task that cannot remove its queue: the parent does."""
        proc = self.start("--tasks", "2", "--mode", "process")
        tob.poll(lambda: len(tob.children(proc.pid)) == 2, "the tasks")
        os.kill(tob.children(proc.pid)[1], signal.SIGKILL)
        _, err = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 10, err)
        self.assertIn("task 1", err)
        self.assertIn("signal 9", err)
        self.assertEqual(ovlbench_queues(), self.queues)


class TestErrors(Base):
    """One line naming the bad value, and the documented status."""

    def test_bad_ops(self):
        cases = [("0", "--ops=0"), (str(tob.MAX_OPS + 1), "1..1000000000"),
                 ("1e3", "--ops=1e3"), ("-1", "--ops=-1"), ("", "--ops="),
                 ("x", "--ops=x")]
        for workload in CENSUS:
            for value, want in cases:
                with self.subTest(workload=workload, ops=value):
                    res = tob.run("--workload", workload, f"--ops={value}")
                    line = tob.one_line_error(self, res, 2, "ovlbench",
                                              want)
                    self.assertIn("must be an integer 1..1000000000", line)

    def test_ops_with_time(self):
        res = tob.run("--workload", "pipe", "--ops", "10", "--duration",
                      "1")
        tob.one_line_error(self, res, 2, "ovlbench", "--ops=10",
                           "--duration")

    def test_no_overlay_options(self):
        for opt in (["--layers", "3"], ["--upper"], ["--check"],
                    ["--target", "/etc/hostname"]):
            for workload in CENSUS:
                with self.subTest(workload=workload, opt=opt):
                    res = tob.run("--workload", workload, *opt)
                    tob.one_line_error(self, res, 2, "ovlbench",
                                       f"--workload={workload}", opt[0],
                                       CENSUS[workload])

    def test_hugetlb_na(self):
        """A huge page size no architecture has (2^63 bytes): the kernel
        refuses memfd_create(MFD_HUGETLB) with ENODEV, as it does every
        size without CONFIG_HUGETLBFS (ENOSYS).  Exit 11, no output."""
        env = dict(os.environ, OVLBENCH_HUGE_LOG="63")
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "out.json")
            res = tob.run("--workload", "memfd-hugetlb", "--ops", "10",
                          "--output", out, env=env)
            line = tob.one_line_error(self, res, EXIT_NA, "ovlbench",
                                      "memfd-hugetlb", "n/a",
                                      "memfd_create(MFD_HUGETLB)")
            self.assertIn(os.strerror(19), line)    # ENODEV
            self.assertEqual(os.listdir(tmp), [])


if __name__ == "__main__":
    unittest.main()
