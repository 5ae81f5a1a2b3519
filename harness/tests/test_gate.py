"""The regression gate on altered copies of results/reference and on
simulated families (host only: no kernel, no QEMU).

The copies keep each run's first THIN iterations of a per-iteration
metric (teardown's and bystander's): 2k records, not 32k, so that an
altered copy is written and read in a tenth of a second, not two; every
measure, variant, boot and run is there. The simulations of the gate's
error rates (SimulationTest, SequentialSimulationTest: hundreds of
seeded families, seconds to a minute of statistics) are the slow host
tier's (Makefile: HOST_SLOW); loading the module, as make unit does,
leaves them out.
"""

from __future__ import annotations

import contextlib
import functools
import io
import gc
import json
import math
import os
import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path
from unittest import mock

import numpy as np

from harness import metrics
from harness.analysis import gate, power, resultset, samples, sequential
from harness.paths import REPO
from harness.run import plan
from harness.tests import common

REFERENCE = common.REFERENCE


def run_gate(*args: str) -> subprocess.CompletedProcess:
    """The gate's main() in this process (a fresh interpreter per call
    would cost a second each): its status and what it printed. A crash
    in it raises here, which fails the test."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = gate.main(list(args))
        except SystemExit as e:     # argparse's usage errors
            rc = e.code if isinstance(e.code, int) else 2
    return subprocess.CompletedProcess(args, rc, out.getvalue(),
                                       err.getvalue())


def run_gate_process(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run(["/usr/bin/python3", "-m", "harness.analysis.gate",
                           *args],
                          capture_output=True, text=True, env=env)


THIN = 20


@functools.cache
def samples_text() -> str:
    """The reference's samples.json with iterations THIN and later of
    each run left out (the module's docstring says why)."""
    doc = json.loads((REFERENCE / "samples.json").read_text())
    doc["records"] = [r for r in doc["records"]
                      if r.get("iteration") is None or r["iteration"] < THIN]
    return json.dumps(doc)


class SetFactory:
    """Copies of the reference set's manifest and (thinned) samples,
    altered."""

    def __init__(self) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="mntbench-gate-"))

    def make(self, name: str, records=None, manifest=None) -> Path:
        """records(list of dicts) -> list of dicts; manifest(dict) ->
        anything JSON."""
        d = self.tmp / name
        d.mkdir()
        man = json.loads((REFERENCE / "manifest.json").read_text())
        if records:
            doc = json.loads(samples_text())
            doc["records"] = records(doc["records"])
            (d / "samples.json").write_text(json.dumps(doc))
        else:
            (d / "samples.json").write_text(samples_text())
        if manifest:
            man = manifest(man)
        (d / "manifest.json").write_text(json.dumps(man))
        return d

    def raw(self, name: str, samples_text: str) -> Path:
        d = self.make(name)
        (d / "samples.json").write_text(samples_text)
        return d

    def cleanup(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)


def scale(factor: float, workloads=("open-close", "stat")):
    def f(recs):
        for r in recs:
            if r["kind"] == "load" and r["workload"] in workloads:
                r["value"] *= factor
        return recs
    return f


def first(pred, change):
    """Apply change to the first record matching pred."""
    def f(recs):
        for r in recs:
            if pred(r):
                change(r)
                break
        return recs
    return f


class BadInputTest(unittest.TestCase):
    """Each bad input: exit 2 and one line naming what is wrong."""

    @classmethod
    def setUpClass(cls):
        common.freeze_heap(cls)

    def setUp(self):
        self.f = SetFactory()
        self.addCleanup(self.f.cleanup)
        self.base = self.f.make("base")

    def bad(self, cand: Path, *words: str, args=()) -> None:
        p = run_gate(str(self.base), str(cand), *args)
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertNotIn("Traceback", p.stderr)
        line = p.stderr.strip()
        self.assertEqual(len(line.splitlines()), 1, line)
        for w in words:
            self.assertIn(w, line)

    def load_record(self, r):
        return r["kind"] == "load" and r["variant"] == "detached"

    def set_value(self, value):
        return self.f.make("c", records=first(
            self.load_record, lambda r: r.update(value=value)))

    def test_nan_inf_bool_string_values(self):
        for i, v in enumerate((float("nan"), float("inf"), True, "12")):
            with self.subTest(value=v):
                d = self.f.make(f"c{i}", records=first(
                    self.load_record, lambda r, v=v: r.update(value=v)))
                self.bad(d, "samples.json", "metric 'stat.l2.c1.",
                         "variant 'detached'", repr(v))

    def test_no_records_or_wrong_shape(self):
        self.bad(self.f.raw("e", json.dumps(
            {"schema": samples.SCHEMA, "records": []})), "no records")
        self.bad(self.f.raw("m", json.dumps(
            {"schema": samples.SCHEMA, "metrics": []})),
            "'records' is not a list")
        self.bad(self.f.raw("o", json.dumps(
            {"schema": "mntbench.samples/1", "metrics": {}})),
            "mntbench.samples/1", "harness.analysis.collect")

    def test_manifest_not_an_object(self):
        self.bad(self.f.make("c", manifest=lambda m: []),
                 "manifest.json holds a list")

    def test_bad_metrics_regex(self):
        self.bad(self.f.make("c"), "--metrics '('",
                 "not a regular expression", args=("--metrics", "("))

    def test_metric_missing_in_candidate(self):
        gone = "open-close.l2.c2.ops_per_s_per_task"
        d = self.f.make("c", records=lambda rs: [
            r for r in rs if r["metric"] != gone])
        self.bad(d, gone, "missing in the candidate", "--allow-missing")
        p = run_gate(str(self.base), str(d), "--allow-missing",
                     r"^open-close\.l2\.c2\.")
        self.assertNotEqual(p.returncode, 2, p.stderr)

    def test_variant_missing_in_candidate(self):
        d = self.f.make("c", records=lambda rs: [
            r for r in rs if r["variant"] != "detached"])
        self.bad(d, "[detached]", "missing in the candidate")

    def test_candidate_keeping_one_metric(self):
        keep = "stat.l2.c1.ops_per_s_per_task"
        d = self.f.make("c", records=lambda rs: [
            r for r in rs if r["metric"] == keep])
        self.bad(d, "missing in the candidate")

    def test_direction_exact_unit_must_agree(self):
        name = "open-close.l2.c2.ops_per_s_per_task"
        for key, value in (("direction", "lower"), ("exact", True),
                           ("unit", "kops/s")):
            with self.subTest(key=key):
                def flip(rs, key=key, value=value):
                    for r in rs:
                        if r["metric"] == name:
                            r[key] = value
                    return rs
                self.bad(self.f.make(f"c-{key}", records=flip), name, key)

    def test_plan_settings_must_match(self):
        for key, value in (("duration", 3.0), ("warmup", 0.1),
                           ("task_mode", "thread")):
            with self.subTest(key=key):
                d = self.f.make(f"c-{key}", manifest=lambda m, k=key, v=value:
                                {**m, "plan": {**m["plan"], k: v}})
                self.bad(d, "plans do not match")

    def test_internal_error_is_2_not_1(self):
        err = io.StringIO()
        with mock.patch.object(gate, "evaluate",
                               side_effect=RuntimeError("boom")), \
                contextlib.redirect_stderr(err), \
                contextlib.redirect_stdout(io.StringIO()):
            rc = gate.main([str(self.base), str(self.f.make("c"))])
        self.assertEqual(rc, 2)
        self.assertIn("boom", err.getvalue())
        self.assertIn("--debug", err.getvalue())

    def test_bad_threshold(self):
        self.bad(self.f.make("c"), "x=abc",
                 args=("--metric-threshold", "x=abc"))

    def test_command_line_status(self):
        # the real command: status 2 and one line, no traceback
        p = run_gate_process(str(self.base), str(self.f.make("c")),
                             "--metric-threshold", "x=abc")
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertNotIn("Traceback", p.stderr)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)


class VerdictTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        common.freeze_heap(cls)

    def setUp(self):
        self.f = SetFactory()
        self.addCleanup(self.f.cleanup)
        self.base = self.f.make("base")

    def test_halved_throughput_is_a_regression(self):
        p = run_gate(str(self.base), str(self.f.make("half",
                                                      records=scale(0.5))))
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertRegex(p.stdout, r"REGRESSION +open-close\.l2\.c1\."
                                   r"ops_per_s_per_task \[longterm-array\]")

    def test_a_disturbed_run_is_never_decided(self):
        """Halved throughput regresses, unless a run of that measure was
        disturbed by the host: then it is inconclusive, and says why."""
        name = "open-close.l2.c1.ops_per_s_per_task"

        def halve_and_disturb(recs):
            recs = scale(0.5)(recs)
            for r in recs:
                if r["metric"] == name and r["run"] == 0:
                    r["disturbed"] = True
            return recs
        d = self.f.make("hog", records=halve_and_disturb)
        p = run_gate(str(self.base), str(d), "--metrics",
                     rf"^{name.replace('.', '[.]')}$")
        self.assertEqual(p.returncode, 3, p.stdout + p.stderr)
        self.assertNotIn("REGRESSION", p.stdout)
        self.assertIn("disturbed by the host: not decided", p.stdout)

    def test_identical_copy_passes_or_is_inconclusive(self):
        p = run_gate(str(self.base), str(self.f.make("same")))
        self.assertIn(p.returncode, (0, 3), p.stdout + p.stderr)
        self.assertNotIn("REGRESSION", p.stdout)
        if p.returncode == 3:
            self.assertIn("gate: inconclusive: ", p.stdout)

    def test_kernels_differing_beyond_the_patch_are_named(self):
        """One warning line, not a failure: a point release, another
        line, another config; none for the same kernel."""
        def kernel(release, config):
            def f(m):
                m["kernel"] = dict(m["kernel"], release=release,
                                   config_hash=config)
                return m
            return f
        ref = json.loads((REFERENCE / "manifest.json").read_text())
        same = ref["kernel"]["config_hash"]
        for name, rel, cfg, want in (
                ("point", "6.12.118+", same,
                 "a point release: 6.12.117+ -> 6.12.118+"),
                ("line", "7.2.13+", same,
                 "another kernel line: 6.12.117+ -> 7.2.13+"),
                ("cfg", "6.12.117+", "0" * 64,
                 f"config {same[:12]} -> 000000000000")):
            with self.subTest(name):
                p = run_gate(str(self.base), str(self.f.make(
                    name, manifest=kernel(rel, cfg))))
                self.assertIn(p.returncode, (0, 3), p.stdout + p.stderr)
                warn = [ln for ln in p.stdout.splitlines()
                        if ln.startswith("gate: warning: the kernels")]
                self.assertEqual(len(warn), 1, p.stdout)
                self.assertIn(want, warn[0])
        p = run_gate(str(self.base), str(self.f.make("same")))
        self.assertNotIn("gate: warning: the kernels", p.stdout)

    def test_two_halves_of_one_teardown_run_do_not_regress(self):
        """The first and second half of one run's iterations, as base and
        candidate: one run per side is not a replicate, so never 1."""
        rs = resultset.load(REFERENCE)
        key = ("teardown.l10.umount_us", "longterm-array")
        runs = sorted({r.run for r in rs.records if
                       (r.metric, r.variant) == key})

        def half(which):
            def f(recs):
                run = [r for r in recs if (r["metric"], r["variant"]) == key
                       and r["run"] == runs[0]]
                n = len(run)
                return [r for r in run
                        if (r["iteration"] < n // 2) == (which == 0)]
            return f
        a = self.f.make("a", records=half(0))
        b = self.f.make("b", records=half(1))
        p = run_gate(str(a), str(b), "--metrics", "^teardown")
        self.assertNotEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("not gateable", p.stdout)

    def exact_pair(self, base_value: float, cand_value: float):
        def put(v):
            def f(recs):
                for r in recs:
                    if r["quantity"] == "slow_puts_per_op":
                        r["value"] = v
                return recs
            return f
        tag = f"{base_value}-{cand_value}"
        return (self.f.make(f"b{tag}", records=put(base_value)),
                self.f.make(f"c{tag}", records=put(cand_value)))

    def test_internal_mount_turned_detached_fails(self):
        # the census's exact counts under the full plan's gate: memfd's
        # tmpfs mount losing MNT_NS_INTERNAL is 0 -> 1 slow put per op
        def census(v):
            def f(recs):
                one = next(r["metric"] for r in recs
                           if r["quantity"] == "slow_puts_per_op")
                tmpl = [r for r in recs if r["metric"] == one
                        and r["variant"] == "detached"]
                return recs + [{
                    **r, "metric": "census.memfd.c1.census_slow_puts_per_op",
                    "quantity": "census_slow_puts_per_op", "kind": "census",
                    "workload": "memfd", "variant": "default", "mode":
                    "default", "layers": 0, "cpus": 1, "value": v}
                    for r in tmpl]
            return f
        full = plan.load("full").doc["gate"]["metrics"]
        regex = next(m for m in full if "census" in m)
        b = self.f.make("census-b", records=census(0.0))
        for v, rc in ((0.0, 0), (1.0, 1)):
            c = self.f.make(f"census-c{v}", records=census(v))
            p = run_gate(str(b), str(c), "--metrics", regex)
            self.assertEqual(p.returncode, rc, p.stdout + p.stderr)
            self.assertIn("census.memfd.c1.census_slow_puts_per_op",
                          p.stdout)

    def test_exact_count_tolerance(self):
        # 3.4e-6 -> 0.009 slow puts per op is beyond max(1%, 0.001)
        b, c = self.exact_pair(3.4e-6, 0.009)
        p = run_gate(str(b), str(c), "--metrics", "slow_puts")
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("x2.65e+03", p.stdout)
        # within the absolute tolerance: equivalent, and from a base of 0
        b, c = self.exact_pair(0.0, 0.0005)
        p = run_gate(str(b), str(c), "--metrics", "slow_puts")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        b, c = self.exact_pair(0.0, 1.0)
        p = run_gate(str(b), str(c), "--metrics", "slow_puts")
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("+1 1/op", p.stdout)

    def test_improvement_is_not_a_regression(self):
        p = run_gate(str(self.base), str(self.f.make("fast",
                                                      records=scale(2.0))),
                     "--metrics", r"^open-close\.")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("improved", p.stdout)

    def test_family_is_the_plans_declaration(self):
        rs = resultset.load(REFERENCE)
        vs = gate.evaluate(rs, rs, None, None, gate.Options())
        declared = rs.manifest["plan"]["gate"]["metrics"]
        import re
        for v in vs:
            self.assertTrue(any(re.search(p, str(v.measure))
                                for p in declared), v.measure)
        self.assertFalse(any(v.measure.metric.startswith("overhead.")
                             for v in vs))


def _records(variant: str, value_of, boots: int, runs: int,
             metric_names) -> list[samples.Record]:
    out = []
    for name in metric_names:
        for b in range(boots):
            for r in range(runs):
                out.append(samples.Record(
                    metric=name, variant=variant, boot=b, run=b * runs + r,
                    value=value_of(name, b, r), unit="ops/s",
                    direction=metrics.HIGHER, exact=False, kind="load",
                    mode=variant, workload=name.split(".")[0], layers=2,
                    cpus=1, quantity="ops_per_s_per_task"))
    return out


class SimulationTest(unittest.TestCase):
    """Seeded families with boot-to-boot variation (2% sd) and run noise
    (4% sd), 4 boots x 3 runs per side, 4 gated measures."""
    FAMILIES = 300
    NAMES = [f"w{i}.l2.c1.ops_per_s_per_task" for i in range(4)]

    @classmethod
    def setUpClass(cls):
        # statsmodels' Holm calls gc.collect() on every call; with the
        # interpreter's objects frozen it is cheap, and the simulation
        # takes seconds instead of minutes
        gc.freeze()

    @classmethod
    def tearDownClass(cls):
        gc.unfreeze()

    @classmethod
    def family(cls, rng, shift: float) -> list[gate.Verdict]:
        def side(mult):
            be = {n: rng.normal(0, 0.02, 4) for n in cls.NAMES}
            return _records(
                "m", lambda n, b, r: 1e5 * mult(n) * math.exp(
                    be[n][b] + rng.normal(0, 0.04)), 4, 3, cls.NAMES)
        manifest = {"plan": {"gate": {"metrics": ["."]}}}
        base = resultset.ResultSet(Path("/sim/base"), manifest,
                                   side(lambda n: 1.0))
        cand = resultset.ResultSet(
            Path("/sim/cand"), manifest,
            side(lambda n: 1 + shift if n == cls.NAMES[0] else 1.0))
        return gate.evaluate(base, cand, None, None, gate.Options())

    def test_false_alarm_rate_and_power(self):
        rng = np.random.default_rng(20261125)
        alarms = sum(any(v.outcome == "regression" for v in
                         self.family(rng, 0.0))
                     for _ in range(self.FAMILIES))
        hits = sum(any(v.outcome == "regression" and
                       v.measure.metric == self.NAMES[0]
                       for v in self.family(rng, -0.10))
                   for _ in range(self.FAMILIES))
        fa, pw = alarms / self.FAMILIES, hits / self.FAMILIES
        print(f"\nsimulated A/A false-alarm rate {fa:.3f}, power at -10% "
              f"{pw:.3f} ({self.FAMILIES} families)")
        self.assertGreaterEqual(fa, 0.01)
        self.assertLessEqual(fa, 0.08)
        self.assertGreaterEqual(pw, 0.80)


class BootUnitsTest(unittest.TestCase):
    """One of SimulationTest's families: the gate's unit is the boot."""

    def test_units_are_boot_means(self):
        v = SimulationTest.family(np.random.default_rng(1), 0.0)[0]
        self.assertEqual(v.test.unit, "boot")
        self.assertEqual((v.test.n_base, v.test.n_cand), (4, 4))


class SequentialSimulationTest(unittest.TestCase):
    """harness/flows/ab.py's sequential rule on seeded boots
    (harness/analysis/power.py): 2 gated throughput measures, boot sd 3.6%,
    looks from 3 to 10 boots per kernel, threshold 1%."""
    RUNS = 300
    SIMS = [power.Sim(f"w{i}.l2.c1.ops_per_s_per_task", 0.036, True)
            for i in range(2)]
    DESIGN = sequential.Design(3, 10)

    @classmethod
    def setUpClass(cls):
        gc.freeze()     # see SimulationTest

    @classmethod
    def tearDownClass(cls):
        gc.unfreeze()

    def run_once(self, rng, shift: float, spend: bool = True):
        return power.run_once(self.SIMS, self.DESIGN, rng, 1.0, shift,
                              self.SIMS[0].name, spend)

    def test_spending_bounds_false_alarms_and_keeps_power(self):
        rng = np.random.default_rng(20261126)
        aa = [self.run_once(rng, 0.0) for _ in range(self.RUNS)]
        naive = [self.run_once(rng, 0.0, spend=False)
                 for _ in range(self.RUNS)]
        hit = [self.run_once(rng, 0.08) for _ in range(self.RUNS)]
        fa = sum(w == "regression" for w, _, _ in aa) / self.RUNS
        fa_naive = sum(w == "regression" for w, _, _ in naive) / self.RUNS
        pw = sum(w == "regression" for w, _, _ in hit) / self.RUNS
        boots = np.mean([n for _, n, _ in hit])
        print(f"\nsequential (3..10 boots, Pocock-type spending): A/A "
              f"false alarms {fa:.3f} (every look at 0.05: {fa_naive:.3f}),"
              f" power at +8% cost {pw:.3f}, mean boots {boots:.1f} "
              f"({self.RUNS} runs)")
        self.assertLessEqual(fa, 0.06)
        self.assertGreater(fa_naive, fa)
        self.assertGreaterEqual(pw, 0.80)
        self.assertLess(boots, self.DESIGN.most)


class SpendingTest(unittest.TestCase):
    """The sequential rule's alpha spending (SequentialSimulationTest's
    design)."""

    def test_spending_adds_up_to_alpha(self):
        d = SequentialSimulationTest.DESIGN
        total = sum(d.alpha_at(n) for n in range(d.first, d.most + 1))
        self.assertAlmostEqual(total, sequential.ALPHA, places=12)
        self.assertAlmostEqual(sequential.Design(4, 4).alpha_at(4),
                               sequential.ALPHA, places=12)
        with self.assertRaises(ValueError):
            d.alpha_at(2)


def load_tests(loader, tests, pattern):
    """The module without the slow tier's classes, which make test runs
    by name."""
    return common.leave_out(tests, SimulationTest, SequentialSimulationTest)


if __name__ == "__main__":
    unittest.main()
