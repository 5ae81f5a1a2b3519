"""The coherence model in the guest: the plugin's counts on user-space controls
whose footprint is known exactly, the markers found nowhere else, and the 6.12
kernel's detached and longterm-array modes at 1-4 vCPUs through `make
coherence`'s code (harness.flows.bench with a fixture plan).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import unittest
from pathlib import Path

import jsonschema

from harness import kparams, point
from harness.analysis import resultset
from harness.kernel import accel, vm
from harness.output.sections import coherence as coherence_out
from harness.paths import REPO
from harness.run import linemodel
from harness.run.kinds import coherence
from harness.tests import common

FIXTURES = REPO / "harness" / "tests" / "fixtures"
CONTROLS = REPO / "coherence" / "coherence-controls"
MARKSCAN = REPO / "coherence" / "markscan"
SCHEMA = json.loads((REPO / "harness" / "schemas" /
                     "coherence.schema.json").read_text())
OPS = 1000
# (control, threads): each run once, in this order, in one boot; the
# first shared run at 2 threads is repeated last
RUNS = [("shared", 1), ("shared", 2), ("shared", 4), ("padded", 4),
        ("adjacent", 2), ("adjacent", 4), ("shared", 2)]


def _build() -> None:
    subprocess.run(["make", "-s", "-C", str(REPO / "coherence")],
                   check=True, stdout=subprocess.DEVNULL)


class Controls(unittest.TestCase):
    """coherence-controls in a 4-vCPU icount guest with the plugin."""

    @classmethod
    def setUpClass(cls):
        _build()
        cfg = common.vm_config("coherence-controls", cpus=4,
                               accel=accel.ICOUNT)
        cls.dir = cfg.results / "windows"
        cls.dir.mkdir()
        cfg.coherence = cls.dir
        cmd = "; ".join(
            f"{CONTROLS} --control {c} --threads {t} --ops {OPS} || exit 9"
            for c, t in RUNS)
        t0 = time.monotonic()
        cls.res = vm.run(cfg, cmd)
        print(f"\n[coherence-controls] {len(RUNS)} windows in "
              f"{time.monotonic() - t0:.0f} s", file=sys.stderr)
        cls.docs = [json.loads((cls.dir / f"window-{i}.json").read_text())
                    for i in range(1, len(RUNS) + 1)
                    if (cls.dir / f"window-{i}.json").is_file()]

    def window(self, i: int) -> linemodel.Window:
        return linemodel.load(self.docs[i], f"window-{i + 1}")

    def test_every_run_wrote_one_valid_window(self):
        self.assertEqual(self.res.rc, 0, self.res.console)
        self.assertEqual(len(self.docs), len(RUNS))
        self.assertFalse((self.dir / f"window-{len(RUNS) + 1}.json").exists())
        for d in self.docs:
            jsonschema.validate(d, SCHEMA)

    def test_each_thread_did_exactly_its_ops(self):
        for i, (c, t) in enumerate(RUNS):
            with self.subTest(control=c, threads=t):
                self.assertEqual(self.window(i).ops,
                                 {cpu: OPS for cpu in range(t)})

    def test_exact_counts(self):
        # (fought-over lines per op, of them falsely shared)
        want = {("shared", 1): (0, 0), ("shared", 2): (1, 0),
                ("shared", 4): (1, 0), ("padded", 4): (0, 0),
                ("adjacent", 2): (1, 1), ("adjacent", 4): (1, 1)}
        for i, (c, t) in enumerate(RUNS):
            w = self.window(i)
            with self.subTest(control=c, threads=t):
                self.assertEqual((w.per_op(), w.per_op(false_only=True)),
                                 want[(c, t)])
                self.assertEqual(len(w.fought), 1 if want[(c, t)][0] else 0)

    def test_shared_counter_is_written_by_every_thread_every_op(self):
        ln, = self.window(2).fought
        self.assertEqual(len(ln.uses), 4)
        for u in ln.uses:
            self.assertEqual((u.rate, u.write_rate), (1.0, 1.0))
            self.assertEqual(u.touch_mask, 0xff)    # one 8-byte counter

    def test_adjacent_words_are_disjoint_bytes(self):
        ln, = self.window(5).fought
        self.assertEqual(sorted(u.write_mask for u in ln.uses),
                         [0xff << (8 * i) for i in range(4)])

    def test_the_same_run_twice_gives_the_same_document(self):
        # but for the window's number, the vCPU that closed it (the main
        # thread, 0 ops, wherever the scheduler put it) and the physical
        # page a new process got
        a, b = (dict(d, window=0, vcpus=[v for v in d["vcpus"] if v["ops"]],
                     lines=[dict(ln, pa=0) for ln in d["lines"]])
                for d in (self.docs[1], self.docs[-1]))
        self.assertEqual(a, b)
        self.assertEqual(len(a["lines"]), 1)

    def test_markers_are_nowhere_else(self):
        """The marker bytes occur in the marked programs only: not in
        the kernel, nor in what else the guest runs."""
        files = [common.kernel().vmlinux,
                 *(Path(p).resolve() for p in ("/usr/bin/python3", "/bin/sh",
                                               "/usr/bin/bpftrace")),
                 REPO / "bench" / "tools" / "minloop",
                 REPO / "bpf" / "mntlock", REPO / "bench" / "ovlbench",
                 CONTROLS]
        out = subprocess.run([str(MARKSCAN), *map(str, files)],
                             capture_output=True, text=True,
                             check=True).stdout
        counts = {ln.rsplit(": ", 1)[0]: int(ln.rsplit(": ", 1)[1])
                  for ln in out.splitlines() if not ln.startswith(" ")}
        for f, n in counts.items():
            marked = f.endswith(("ovlbench", "coherence-controls"))
            with self.subTest(file=f):
                self.assertEqual(n > 0, marked, out)


class Modes(unittest.TestCase):
    """detached and longterm-array at 1, 2 and 4 vCPUs on the test
    kernel, through harness.flows.bench (fixtures/coherence.toml)."""

    @classmethod
    def setUpClass(cls):
        _build()
        cls.sdir = common.results_dir("coherence") / "set"
        env = dict(os.environ, PYTHONPATH=str(REPO))
        t0 = time.monotonic()
        p = subprocess.run(
            ["/usr/bin/python3", "-m", "harness.flows.bench", "--profile",
             str(FIXTURES / "coherence.toml"), "--cpus", "2", "--seed", "1",
             "--ksrc", common.kernel().info["ksrc"], "--out", str(cls.sdir)],
            cwd=REPO, env=env, stdin=subprocess.DEVNULL,
            capture_output=True, text=True)
        print(f"\n[coherence] set in {time.monotonic() - t0:.0f} s",
              file=sys.stderr)
        cls.rc, cls.err = p.returncode, p.stderr
        cls.names = json.loads(coherence.names_file(cls.sdir).read_text()) \
            if coherence.names_file(cls.sdir).is_file() else {}
        cls.switch = common.kernel().has_switch

    def windows(self, mode: str, rep: int = 0) -> dict[int, linemodel.Window]:
        out = {}
        for p in point.load(json.loads(
                (self.sdir / "points.json").read_text())):
            if p.variant == mode and p.rep == rep:
                out[p.cpus] = coherence.window(self.sdir, p)
        return out

    def labels(self, w: linemodel.Window) -> list[str]:
        return [coherence_out.line_label(ln, self.names) for ln in w.fought]

    def setUp(self):
        if not self.switch:
            self.skipTest("this kernel has no private_mounts switch")

    def test_set_complete(self):
        self.assertEqual(self.rc, 0, self.err[-3000:])
        self.assertEqual(resultset.validate(self.sdir), [])

    def test_one_task_fights_over_nothing(self):
        for m in (kparams.DETACHED, kparams.UPSTREAM):
            self.assertEqual(self.windows(m)[1].per_op(), 0.0, m)

    def test_mount_lock_is_detached_only(self):
        for n, w in self.windows(kparams.UPSTREAM).items():
            self.assertNotIn("mount_lock+0x0", self.labels(w), n)
        for n, w in self.windows(kparams.DETACHED).items():
            if n == 1:
                continue
            i = self.labels(w).index("mount_lock+0x0")
            ln = w.fought[i]
            # written by every vCPU in every op
            self.assertEqual(sorted(u.vcpu for u in ln.uses), list(range(n)))
            for u in ln.uses:
                self.assertEqual((u.rate, u.write_rate), (1.0, 1.0), n)

    def test_detached_grows_a_line_per_cpu_longterm_stays_flat(self):
        """Detached's own lines are longterm-array's plus mount_lock and
        one per-CPU count per vCPU; longterm-array's are as many at every
        count. (7.2 adds slab lines two vCPUs' new files share, where the
        allocator puts them: not asserted.)"""
        det, lt = self.windows(kparams.DETACHED), \
            self.windows(kparams.UPSTREAM)
        print(f"\nfought-over lines per op, vCPUs {sorted(det)}: detached "
              f"{[det[n].per_op() for n in sorted(det)]}, longterm-array "
              f"{[lt[n].per_op() for n in sorted(lt)]}; own lines "
              f"{[len(det[n].own) for n in sorted(det)]}, "
              f"{[len(lt[n].own) for n in sorted(lt)]}")
        for n in (2, 4):
            percpu = {ln.percpu_of for ln in det[n].own} - {None}
            self.assertEqual(percpu, set(range(n)), n)
            self.assertIn("mount_lock+0x0", [
                coherence_out.line_label(ln, self.names) for ln in det[n].own])
            self.assertEqual({ln.percpu_of for ln in lt[n].own} - {None},
                             set(), n)
        self.assertEqual(len({len(lt[n].own) for n in (2, 4)}), 1)

    def test_a_second_run_gives_the_same_counts(self):
        for m in (kparams.DETACHED, kparams.UPSTREAM):
            a, b = self.windows(m, 0)[2], self.windows(m, 1)[2]
            self.assertEqual(
                [(ln.per_op, ln.false_shared) for ln in a.fought],
                [(ln.per_op, ln.false_shared) for ln in b.fought], m)
            self.assertEqual(a.per_op(), b.per_op())


if __name__ == "__main__":
    unittest.main()


class Mttcg(unittest.TestCase):
    """The same ops under MTTCG, 2 vCPUs (6.1 cannot bring up a second
    vCPU under icount): the op's own lines (linemodel.OWN_MIN) are the
    counts icount gives, and on a kernel whose close puts no layer mount
    (6.1), detached's are longterm-array's. In `make smoke` too."""

    @classmethod
    def setUpClass(cls):
        _build()
        cfg = common.vm_config("coherence-mttcg", cpus=2, accel=accel.TCG)
        cls.dir = cfg.results / "windows"
        cls.dir.mkdir()
        cfg.coherence = cls.dir
        cls.modes = (kparams.UPSTREAM, kparams.DETACHED)
        cmd = "; ".join(
            f"echo {m} > {kparams.SWITCH} && {REPO}/bench/ovlbench "
            f"--coherence-marks --ops {OPS} --tasks 2 --cpus 0-1 -q "
            "-o /dev/null || exit 9" for m in cls.modes)
        t0 = time.monotonic()
        cls.res = vm.run(cfg, cmd)
        print(f"\n[coherence-mttcg] in {time.monotonic() - t0:.0f} s",
              file=sys.stderr)
        smap = (common.kernel().dir / "System.map").read_text()
        # 6.6 on, a regular file's close puts the layer mount (the
        # backing file holds its path): test_census, test_kernel_modes
        cls.backing = " backing_file_open\n" in smap
        cls.mount_lock = next(int(ln.split()[0], 16)
                              for ln in smap.splitlines()
                              if ln.endswith(" mount_lock"))

    def setUp(self):
        if not common.kernel().has_switch:
            self.skipTest("this kernel has no private_mounts switch")

    def windows(self) -> dict[str, linemodel.Window]:
        self.assertEqual(self.res.rc, 0, self.res.console)
        return {m: linemodel.load(json.loads(
            (self.dir / f"window-{i}.json").read_text()), m)
            for i, m in enumerate(self.modes, 1)}

    def test_own_lines(self):
        w = self.windows()
        lt, det = (w[m] for m in self.modes)
        print(f"\nMTTCG, 2 vCPUs: fought-over lines per op "
              f"{lt.per_op():.2f} / {det.per_op():.2f}, own lines "
              f"{len(lt.own)} / {len(det.own)} (longterm-array / detached)")
        for x in (lt, det):
            self.assertEqual(x.ops, {0: OPS, 1: OPS})
        own_lock = [ln for ln in det.own if ln.hot_va == self.mount_lock]
        percpu = {ln.percpu_of for ln in det.own} - {None}
        if self.backing:
            # icount's lines at 2 vCPUs (Modes): mount_lock and the two
            # vCPUs' per-CPU counts are detached's own
            self.assertEqual(len(own_lock), 1)
            self.assertEqual(percpu, {0, 1})
        else:
            self.assertEqual(len(det.own), len(lt.own))
            self.assertEqual(own_lock, [])
            self.assertEqual(percpu, set())
        self.assertEqual({ln.percpu_of for ln in lt.own} - {None}, set())
        self.assertFalse([ln for ln in lt.own if ln.hot_va == self.mount_lock])
