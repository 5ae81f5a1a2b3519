"""The coherence model's rule and metrics (harness/run/linemodel.py) on
window documents made here, and its refusal of damaged ones. Host only:
the plugin's real windows are test_coherence's."""

from __future__ import annotations

import copy
import json
import tempfile
import unittest
from pathlib import Path

import jsonschema

from harness import errors
from harness.output.sections import coherence as coherence_out
from harness.paths import REPO
from harness.run import linemodel
from harness.run.kinds import coherence

SCHEMA = json.loads((REPO / "harness" / "schemas" /
                     "coherence.schema.json").read_text())


def use(vcpu, touch, write, tmask=0xff, wmask=None, gs=False):
    return {"vcpu": vcpu, "va": "0xffff888000001000", "ops_touch": touch,
            "ops_write": write, "loads": touch, "stores": write,
            "touch_mask": hex(tmask),
            "write_mask": hex(tmask if wmask is None else wmask), "gs": gs}


def doc(ops: dict[int, int], lines: list[list[dict]]) -> dict:
    return {"tool": "mntbench-coherence", "schema": 1, "window": 1,
            "line_size": 64,
            "vcpus": [{"vcpu": v, "ops": n, "loads": 0, "stores": 0,
                       "lines": 0} for v, n in ops.items()],
            "lines": [{"pa": hex(0x1000 + 64 * i), "vcpus": us,
                       "sites": [{"pc": "0xffffffff81000010", "loads": 1,
                                  "stores": 1}],
                       "other_sites": {"sites": 0, "loads": 0,
                                       "stores": 0}}
                      for i, us in enumerate(lines)]}


def window(ops, lines) -> linemodel.Window:
    d = doc(ops, lines)
    jsonschema.validate(d, SCHEMA)      # what the plugin writes
    return linemodel.load(d, "test")


class Rule(unittest.TestCase):
    def test_one_line_every_op_two_writers(self):
        w = window({0: 100, 1: 100}, [[use(0, 100, 100), use(1, 100, 100)]])
        self.assertEqual(len(w.fought), 1)
        self.assertEqual(w.per_op(), 1.0)
        self.assertEqual(w.per_op(false_only=True), 0.0)

    def test_read_only_sharing_is_not_a_fight(self):
        w = window({0: 100, 1: 100}, [[use(0, 100, 0), use(1, 100, 0)]])
        self.assertEqual(w.fought, [])
        self.assertEqual(w.per_op(), 0.0)

    def test_one_writer_and_readers_fight(self):
        # a per-CPU counter summed by the others: mnt_get_count()
        w = window({0: 100, 1: 100, 2: 100},
                   [[use(0, 100, 100), use(1, 100, 0), use(2, 100, 0)]])
        self.assertEqual(w.per_op(), 1.0)

    def test_thresholds_are_inclusive_at_one_percent(self):
        at = window({0: 100, 1: 100}, [[use(0, 1, 1), use(1, 1, 0)]])
        self.assertEqual(len(at.fought), 1)
        self.assertAlmostEqual(at.per_op(), 0.01)
        below = window({0: 1000, 1: 1000}, [[use(0, 9, 9), use(1, 9, 0)]])
        self.assertEqual(below.fought, [])
        # a writer below 1% of its ops does not make a fight
        w = window({0: 1000, 1: 1000}, [[use(0, 1000, 9), use(1, 1000, 0)]])
        self.assertEqual(w.fought, [])

    def test_disjoint_bytes_are_false_sharing(self):
        w = window({0: 10, 1: 10}, [[use(0, 10, 10, 0xff),
                                     use(1, 10, 10, 0xff00)]])
        self.assertEqual(w.per_op(false_only=True), 1.0)
        # one overlapping byte makes it true sharing
        w = window({0: 10, 1: 10}, [[use(0, 10, 10, 0x1ff),
                                     use(1, 10, 0, 0x100, 0)]])
        self.assertEqual(w.per_op(false_only=True), 0.0)
        self.assertEqual(w.per_op(), 1.0)

    def test_one_vcpu_has_nothing_to_fight(self):
        w = window({0: 10, 1: 0}, [[use(0, 10, 10), use(1, 0, 0)]])
        self.assertEqual(w.per_op(), 0.0)

    def test_per_op_is_the_mean_over_vcpus_with_ops(self):
        # 4 vCPUs; a line two of them write in every op: 2 touches per
        # 4 vCPUs' ops
        w = window({0: 10, 1: 10, 2: 10, 3: 10},
                   [[use(0, 10, 10), use(1, 10, 10)]])
        self.assertEqual(w.per_op(), 0.5)

    def test_own_lines_are_touched_in_most_ops(self):
        w = window({0: 100, 1: 100},
                   [[use(0, 100, 100), use(1, 100, 100)],
                    [use(0, 80, 80), use(1, 100, 100)],    # mean 0.9
                    [use(0, 10, 10), use(1, 10, 10)]])     # a tick's
        self.assertEqual(len(w.fought), 3)
        self.assertEqual(len(w.own), 2)
        self.assertEqual(w.per_op(), 2.0)

    def test_named_by_the_first_byte_written(self):
        # a lock at byte 8 of a line whose first word is read only
        w = window({0: 10, 1: 10}, [[use(0, 10, 10, 0xffff, 0xff00),
                                     use(1, 10, 10, 0xffff, 0xff00)]])
        self.assertEqual(w.fought[0].hot_va, 0xffff888000001008)

    def test_percpu_owner(self):
        w = window({0: 10, 1: 10}, [[use(0, 10, 10, gs=True),
                                     use(1, 10, 0)]])
        self.assertEqual(w.fought[0].percpu_of, 0)


class Refused(unittest.TestCase):
    """A damaged or foreign document: one line naming the field."""

    def check(self, mutate, field: str):
        d = doc({0: 10, 1: 10}, [[use(0, 10, 10), use(1, 10, 10)]])
        mutate(d)
        with self.assertRaises(errors.InputError) as cm:
            linemodel.load(d, "w.json")
        msg = str(cm.exception)
        self.assertNotIn("\n", msg)
        self.assertIn(field, msg)

    def test_fields(self):
        cases = [
            (lambda d: d.update(tool="other"), "tool"),
            (lambda d: d.update(line_size=128), "line_size"),
            (lambda d: d["vcpus"][0].update(ops=-1), "ops"),
            (lambda d: d["vcpus"][0].update(ops="10"), "ops"),
            (lambda d: d.update(lines={}), "lines"),
            (lambda d: d["lines"][0].update(pa="12"), "pa"),
            (lambda d: d["lines"][0]["vcpus"][0].update(ops_touch=11),
             "ops_touch"),
            (lambda d: d["lines"][0]["vcpus"][0].update(ops_write=True),
             "ops_write"),
            (lambda d: d["lines"][0]["vcpus"][1].update(
                touch_mask="0x1" + "0" * 16), "touch_mask"),
            (lambda d: d["lines"][0]["sites"][0].pop("pc"), "pc"),
        ]
        for mutate, field in cases:
            with self.subTest(field=field):
                self.check(mutate, field)

    def test_names_missing_or_damaged(self):
        """A set's names.json: absent is no names; damaged is refused."""
        with tempfile.TemporaryDirectory() as d:
            sdir = Path(d)
            self.assertEqual(coherence_out._names(sdir), {})
            f = coherence.names_file(sdir)
            f.parent.mkdir()
            for bad in ('{"0x1": ', '{"0x1": 3}', '[]'):
                f.write_text(bad)
                with self.assertRaises(errors.InputError) as cm:
                    coherence_out._names(sdir)
                self.assertNotIn("\n", str(cm.exception))

    def test_not_an_object(self):
        for bad in ([], None, "x", 3):
            with self.assertRaises(errors.InputError):
                linemodel.load(copy.deepcopy(bad), "w.json")


if __name__ == "__main__":
    unittest.main()
