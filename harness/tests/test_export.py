"""harness.output.export on the reference set and on made-up sets: each format
parsed back, its required fields and the metrics' directions checked.
Host only."""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import re
import shutil
import tempfile
import unittest
from datetime import datetime
from pathlib import Path
from unittest import mock

import jsonschema

from harness import metrics
from harness.analysis import resultset, stats
from harness.output.export import cli, kcidb, otava_csv
from harness.tests import tmpfs
from harness.tests.test_history import (FLAT_METRIC, made_up_set, REFERENCE,
                                        run_main, STEP_METRIC)

# https://bencher.dev/docs/reference/bencher-metric-format/ (JSON Schema)
BMF_SCHEMA = {
    "type": "object",
    "patternProperties": {".+": {
        "type": "object",
        "patternProperties": {".+": {
            "type": "object",
            "properties": {"value": {"type": "number"},
                           "lower_value": {"type": "number"},
                           "upper_value": {"type": "number"}},
            "required": ["value"]}}}}}

# kcidb-io kcidb_io/schema/v04_05.py, the parts an export uses (all of a
# test's, checkout's and build's keys are listed there; none else is
# allowed)
_ID = {"type": "string", "pattern": "^[a-z0-9_]+:.*$"}
_ORIGIN = {"type": "string", "pattern": "^[a-z0-9_]+$"}
_OBJ = {"type": "object"}
_STR = {"type": "string"}
_TIME = {"type": "string", "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d"
                                      r"(\.\d+)?[+-]\d\d:\d\d$"}
KCIDB_SCHEMA = {
    "type": "object", "additionalProperties": False,
    "required": ["version"],
    "properties": {
        "version": {"type": "object", "additionalProperties": False,
                    "required": ["major"],
                    "properties": {"major": {"const": 4},
                                   "minor": {"type": "integer",
                                             "minimum": 0,
                                             "maximum": 5}}},
        "checkouts": {"type": "array", "items": {
            "type": "object", "additionalProperties": False,
            "required": ["id", "origin"],
            "properties": {
                "id": _ID, "origin": _ORIGIN, "tree_name": _STR,
                "git_repository_url": _STR,
                "git_commit_hash": {"type": "string",
                                    "pattern": "^[0-9a-f]{40}$"},
                "git_commit_name": _STR, "git_repository_branch": _STR,
                "patchset_files": {"type": "array"},
                "patchset_hash": {"type": "string",
                                  "pattern": "^$|^[0-9a-f]{64}$"},
                "message_id": _STR, "comment": _STR, "start_time": _TIME,
                "contacts": {"type": "array"}, "log_url": _STR,
                "log_excerpt": _STR, "valid": {"type": "boolean"},
                "misc": _OBJ}}},
        "builds": {"type": "array", "items": {
            "type": "object", "additionalProperties": False,
            "required": ["checkout_id", "id", "origin"],
            "properties": {
                "checkout_id": _ID, "id": _ID, "origin": _ORIGIN,
                "comment": _STR, "start_time": _TIME,
                "duration": {"type": "number"},
                "architecture": {"type": "string",
                                 "pattern": "^[a-z0-9_]*$"},
                "command": _STR, "compiler": _STR,
                "input_files": {"type": "array"},
                "output_files": {"type": "array"}, "config_name": _STR,
                "config_url": _STR, "log_url": _STR, "log_excerpt": _STR,
                "valid": {"type": "boolean"}, "misc": _OBJ}}},
        "tests": {"type": "array", "items": {
            "type": "object", "additionalProperties": False,
            "required": ["build_id", "id", "origin"],
            "properties": {
                "build_id": _ID, "id": _ID, "origin": _ORIGIN,
                "environment": {
                    "type": "object", "additionalProperties": False,
                    "properties": {"compatible": {"type": "array"},
                                   "comment": _STR, "misc": _OBJ}},
                "path": {"type": "string", "pattern": "^[.a-zA-Z0-9_-]*$"},
                "comment": _STR, "log_url": _STR, "log_excerpt": _STR,
                "status": {"enum": ["FAIL", "ERROR", "MISS", "PASS",
                                    "DONE", "SKIP"]},
                "number": {
                    "type": "object", "additionalProperties": False,
                    "required": ["value"],
                    "properties": {"value": {"type": "number"},
                                   "unit": _STR,
                                   "prefix": {"enum": ["metric",
                                                       "binary"]}}},
                "waived": {"type": "boolean"}, "start_time": _TIME,
                "duration": {"type": "number"},
                "output_files": {"type": "array"}, "misc": _OBJ}}},
    }}


def _no_nulls(doc) -> bool:
    """KCIDB: "no properties can be null"."""
    if isinstance(doc, dict):
        return all(v is not None and _no_nulls(v) for v in doc.values())
    if isinstance(doc, list):
        return all(_no_nulls(v) for v in doc)
    return True


class ReferenceExportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rs = resultset.load(REFERENCE)
        cls.names = {f"{m} [{v}]": s for (m, v), s in cls.rs.series.items()}

    def export(self, *args) -> str:
        rc, out, err = run_main(cli.main, [REFERENCE, *args])
        self.assertEqual((rc, err), (0, ""))
        return out

    def declared(self, name: str) -> str:
        """The direction harness/metrics.py declares for a series."""
        return metrics.QUANTITIES[self.names[name].quantity].direction

    def test_bmf_schema_and_values_are_the_summarys(self):
        doc = json.loads(self.export("--format", "bmf"))
        jsonschema.validate(doc, BMF_SCHEMA)
        entries = [(b, ms, v) for b, d in doc.items()
                   for ms, v in d.items()]
        self.assertEqual(len(entries), len(self.rs.series))
        for b, ms, v in entries:
            self.assertLessEqual(v["lower_value"], v["value"], b)
            self.assertLessEqual(v["value"], v["upper_value"], b)
            self.assertLessEqual(len(ms), 64)
            self.assertRegex(ms, r"^[a-z0-9-]+$")
        # the numbers summary.json has for a measure it holds
        summ = json.loads((REFERENCE / "summary.json").read_text())
        want = summ["measures"][STEP_METRIC]["variants"]["detached"]
        got = doc[f"{STEP_METRIC} [detached]"]["ops-per-s-per-task"]
        self.assertEqual([got["value"], got["lower_value"],
                          got["upper_value"]],
                         [want["median"], *want["ci"]])
        lat = doc["teardown.l10.umount_us [detached]"]
        self.assertEqual(sorted(lat), ["umount-us-median", "umount-us-p90"])

    def test_github_action_benchmark_one_direction_per_file(self):
        seen = {}
        for d, want in (("bigger", metrics.HIGHER),
                        ("smaller", metrics.LOWER)):
            doc = json.loads(self.export(
                "--format", "github-action-benchmark", "--direction", d))
            self.assertIsInstance(doc, list)
            for e in doc:
                self.assertLessEqual({"name", "unit", "value"}, set(e))
                self.assertIsInstance(e["value"], float)
                self.assertEqual(e["unit"], self.names[e["name"]].unit)
                self.assertRegex(e["range"], r"^± [0-9.e+-]+$")
                self.assertIn("95% CI [", e["extra"])
                self.assertEqual(self.declared(e["name"]), want, e)
                seen[e["name"]] = d
        # every series in exactly one of the two files
        self.assertEqual(sorted(seen), sorted(self.names))
        self.assertEqual(seen[f"{STEP_METRIC} [detached]"], "bigger")
        self.assertEqual(seen["teardown.l10.umount_us:p90 [detached]"],
                         "smaller")

    def test_kcidb_v4(self):
        doc = json.loads(self.export("--format", "kcidb"))
        jsonschema.validate(doc, KCIDB_SCHEMA)
        self.assertTrue(_no_nulls(doc))
        self.assertEqual(doc["version"], {"major": 4, "minor": 5})
        (co,), (build,) = doc["checkouts"], doc["builds"]
        k = self.rs.manifest["kernel"]
        self.assertEqual(co["id"], f"mntbench:{k['source_id']}+"
                                   f"{k['series_hash']}")
        self.assertEqual(co["misc"]["series"], k["series"])
        self.assertNotIn("git_commit_hash", co)  # the manifest has none
        self.assertEqual(build["checkout_id"], co["id"])
        self.assertEqual(build["misc"]["config_hash"], k["config_hash"])
        tests = doc["tests"]
        self.assertEqual(len(tests), len(self.rs.series))
        self.assertEqual(len({t["id"] for t in tests}), len(tests))
        self.assertEqual(len({t["path"] for t in tests}), len(tests))
        for t in tests:
            self.assertEqual(t["status"], "DONE")
            self.assertEqual(t["origin"], "mntbench")
            self.assertEqual(t["build_id"], build["id"])
            s = self.names[t["comment"]]
            self.assertEqual(t["number"]["unit"], s.unit)
            self.assertEqual(t["number"]["value"],
                             stats.estimate(s.values).median)
            self.assertEqual(t["misc"]["direction"],
                             self.declared(t["comment"]))
        aa = [t for t in tests if t["misc"]["variant"].endswith("#aa")]
        self.assertTrue(aa)
        self.assertTrue(all(t["path"].endswith("longterm-array_aa")
                            for t in aa))

    def test_csv_one_row_and_otava_sidecar(self):
        tmp = Path(tempfile.mkdtemp(prefix="mntbench-export-"))
        self.addCleanup(shutil.rmtree, tmp, True)
        out = tmp / "ref.csv"
        self.assertEqual(self.export("--format", "csv", "--out", out), "")
        self.assertEqual(sorted(p.name for p in tmp.iterdir()),
                         ["ref.csv", "ref.otava.yaml"])
        rows = list(csv.DictReader(io.StringIO(out.read_text())))
        self.assertEqual(len(rows), 1)
        row = rows[0]
        self.assertEqual(row["set"], "reference")
        self.assertEqual(row["kernel_source_id"],
                         self.rs.manifest["kernel"]["source_id"])
        self.assertEqual(row["commit"], "")
        self.assertEqual(datetime.strptime(row["time"],
                                           otava_csv.TIME_FORMAT),
                         datetime.strptime(self.rs.manifest["created"],
                                           "%Y-%m-%dT%H:%M:%S%z"))
        metric_cols = [c for c in row if c not in (
            otava_csv.TIME_COLUMN, *otava_csv.ATTRIBUTES)]
        self.assertEqual(sorted(metric_cols), sorted(self.names))
        conf = json.loads(out.with_name("ref.otava.yaml").read_text())
        test = conf["tests"]["mntbench"]
        self.assertEqual((test["type"], test["file"], test["time_column"]),
                         ("csv", str(out.resolve()), "time"))
        self.assertEqual(test["attributes"], list(otava_csv.ATTRIBUTES))
        self.assertEqual(sorted(test["metrics"]), sorted(metric_cols))
        for name, m in test["metrics"].items():
            self.assertEqual(m["column"], name)
            want = 1 if self.declared(name) == metrics.HIGHER else -1
            self.assertEqual(m["direction"], want, name)
            float(row[name])    # Otava's import: every cell a float

    def test_stdout_is_the_file(self):
        tmp = Path(tempfile.mkdtemp(prefix="mntbench-export-"))
        self.addCleanup(shutil.rmtree, tmp, True)
        text = self.export("--format", "kcidb")
        self.export("--format", "kcidb", "--out", tmp / "k.json")
        self.assertEqual((tmp / "k.json").read_text(), text)
        self.assertEqual([p.name for p in tmp.iterdir()], ["k.json"])


class MadeUpSetsTest(unittest.TestCase):
    """Three small sets given newest first, one with a commit; and one
    incomplete set."""

    COMMIT = "0123456789abcdef0123456789abcdef01234567"

    @classmethod
    def setUpClass(cls):
        cls.tmp = Path(tempfile.mkdtemp(prefix="mntbench-export-"))
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        f = {STEP_METRIC: 1.0, FLAT_METRIC: 1.0}
        cls.sets = [made_up_set(cls.tmp, "c", 2, "kc", f),
                    made_up_set(cls.tmp, "a", 0, "ka", f),
                    made_up_set(cls.tmp, "b", 1, "kb",
                                {STEP_METRIC: 0.5, FLAT_METRIC: 1.0},
                                commit=cls.COMMIT)]
        cls.partial = made_up_set(cls.tmp, "p", 3, "kp", f, "incomplete")

    def test_csv_rows_in_time_order(self):
        rc, out, err = run_main(cli.main, [*self.sets, "--format", "csv"])
        self.assertEqual((rc, err), (0, ""))
        rows = list(csv.DictReader(io.StringIO(out)))
        self.assertEqual([r["set"] for r in rows], ["a", "b", "c"])
        self.assertEqual([r["kernel_source_id"] for r in rows],
                         ["ka", "kb", "kc"])
        self.assertEqual([r["commit"] for r in rows], ["", self.COMMIT, ""])
        col = f"{STEP_METRIC} [detached]"
        a, b = float(rows[0][col]), float(rows[1][col])
        self.assertAlmostEqual(b / a, 0.5)
        self.assertEqual(len(rows[0]), 4 + 6)   # 2 metrics x 3 variants

    def test_kcidb_commit_when_known(self):
        rc, out, err = run_main(cli.main, [self.sets[2], "--format",
                                           "kcidb"])
        self.assertEqual(rc, 0, err)
        doc = json.loads(out)
        jsonschema.validate(doc, KCIDB_SCHEMA)
        self.assertEqual(doc["checkouts"][0]["git_commit_hash"],
                         self.COMMIT)
        self.assertTrue(all(t["path"].startswith(kcidb.ORIGIN + ".")
                            for t in doc["tests"]))

    def test_incomplete_set_exit_1_nothing_written(self):
        out = self.tmp / "partial.json"
        rc, stdout, err = run_main(cli.main, [self.partial, "--format",
                                              "bmf", "--out", out])
        self.assertEqual(rc, 1)
        self.assertEqual(err.strip(), f"mntbench-export: result set "
                                      f"{self.partial} is incomplete")
        self.assertFalse(out.exists())

    def test_bad_input_is_one_line_exit_2(self):
        s = self.sets[0]
        for argv, want in (
                ([s, "--format", "xml"],
                 "--format 'xml': allowed: bmf, github-action-benchmark, "
                 "kcidb, csv"),
                ([self.tmp / "nope", "--format", "bmf"],
                 "no such directory"),
                ([s, "--format", "github-action-benchmark"],
                 "--direction missing"),
                ([s, "--format", "github-action-benchmark",
                  "--direction", "up"], "--direction 'up'"),
                ([s, "--format", "bmf", "--direction", "bigger"],
                 "only for --format github-action-benchmark"),
                ([s, *self.sets[1:], "--format", "kcidb"],
                 "3 sets: --format kcidb takes one set"),
                ([s, "--format", "bmf", "--out",
                  self.tmp / "no" / "dir" / "x.json"], "cannot write"),
                ([s], "required: --format")):
            rc, out, err = run_main(cli.main, argv)
            self.assertEqual(rc, 2, argv)
            self.assertEqual(len(err.strip().splitlines()), 1, err)
            self.assertIn(want, err)
            self.assertEqual(out, "")
        self.assertFalse((self.tmp / "no").exists())
        leftovers = [p for p in self.tmp.rglob("*") if re.search(
            r"\.tmp", p.name)]
        self.assertEqual(leftovers, [])


class ExportDiskFullTest(unittest.TestCase):
    """An export of several files (csv and its Otava config) on a disk
    that fills up writes all of them or none (issue 29): a tmpfs of 16
    KiB (4 pages) takes the csv of results/reference (3 pages) but not its
    .otava.yaml (6 pages)."""

    def export_into(self, out: Path) -> tuple[int, str]:
        rc, _, err = run_main(cli.main, [REFERENCE, "--format", "csv",
                                         "--out", out])
        return rc, err

    def left(self, d: Path) -> list[str]:
        return sorted(p.name for p in d.iterdir())

    @unittest.skipUnless(tmpfs.ROOT, tmpfs.NEEDS_ROOT)
    def test_full_disk_writes_neither_file(self):
        for size in ("16k", "4k"):     # the second file, then the first
            with self.subTest(size=size):
                mnt = tmpfs.mount(self, size)
                rc, err = self.export_into(mnt / "x.csv")
                self.assertEqual(rc, 2, err)
                self.assertEqual(len(err.splitlines()), 1, err)
                self.assertIn("No space left on device", err)
                self.assertIn("none of", err)
                self.assertEqual(self.left(mnt), [])

    def test_failed_rename_removes_the_renamed(self):
        """The second rename fails: the first file, renamed already, goes
        too; a file of the same name from before stays as it was only
        when it was not replaced."""
        tmp = Path(tempfile.mkdtemp(prefix="mntbench-export-"))
        self.addCleanup(shutil.rmtree, tmp, True)
        (tmp / "x.otava.yaml").write_text("old\n")
        real, calls = os.replace, []

        def replace(a, b):
            calls.append(b)
            if len(calls) == 2:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), b)
            real(a, b)
        with mock.patch("harness.output.export.cli.os.replace", replace):
            rc, err = self.export_into(tmp / "x.csv")
        self.assertEqual(rc, 2, err)
        self.assertEqual(self.left(tmp), ["x.otava.yaml"])
        self.assertEqual((tmp / "x.otava.yaml").read_text(), "old\n")

    def test_room_enough_writes_both(self):
        tmp = Path(tempfile.mkdtemp(prefix="mntbench-export-"))
        self.addCleanup(shutil.rmtree, tmp, True)
        self.assertEqual(self.export_into(tmp / "x.csv"), (0, ""))
        self.assertEqual(self.left(tmp), ["x.csv", "x.otava.yaml"])


if __name__ == "__main__":
    unittest.main()
