"""Property tests (hypothesis, issue 29): generated inputs, seeded and
deterministic (derandomize: the same examples every run; no example
database in the tree).

- the gate: any valid pair of sets (results/reference's gated records,
  the candidate's values scaled, jittered, thinned, marked disturbed)
  exits 0, 1 or 3; any finite values exit 0-3, 2 with one line; any one
  corruption of a valid set (truncated, a byte that is no UTF-8, a
  record's field of the wrong type or missing, NaN, a huge number, a
  manifest field of the wrong type) exits 2 with one line naming the
  file. Never the catch-all's "internal" error.
- the plan validator: any plan (a profile's document with keys set to
  random values of random types, deleted or added, written as TOML) is
  accepted or refused with InputError, one line.
- the samples loader and the probe-document loader: any document (a
  valid one mutated the same way, or its bytes cut or flipped) is
  accepted or refused with InputError; what they accept, their
  consumers (series; per_op, wait_buckets, by_mount, the grace periods
  per umount) read without an exception.

Each property prints how many examples it ran. Hypothesis's own files
go to the cache (~/.cache/mntbench/hypothesis), none to the tree.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import math
import random
import shutil
import sys
import tempfile
import tomllib
import unittest
from pathlib import Path

from hypothesis import HealthCheck, settings, strategies as st
from hypothesis import given
from hypothesis.configuration import set_hypothesis_home_dir

from harness import errors
from harness.analysis import gate, samples
from harness.paths import cache_dir
from harness.run import plan, probes
from harness.run.kinds import bystander
from harness.tests import common
from harness.tests.common import REFERENCE

# hypothesis keeps a cache of Unicode tables (for st.text) in its home
# directory, ./.hypothesis by default: in the cache, not in the tree
set_hypothesis_home_dir(str(cache_dir() / "hypothesis"))

COUNTS: dict[str, int] = {}


def props(n: int):
    """Deterministic settings: derandomize (examples from a fixed seed),
    no database, no deadline (a loaded CI host), n examples."""
    return settings(derandomize=True, database=None, deadline=None,
                    max_examples=n, print_blob=False,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.data_too_large,
                                           HealthCheck.large_base_example])


def counted(name: str):
    COUNTS[name] = COUNTS.get(name, 0) + 1


def one_line(test: unittest.TestCase, text: str) -> None:
    test.assertEqual(len(text.strip().splitlines()), 1, text)
    test.assertNotIn("Traceback", text)
    test.assertNotIn("internal:", text)


# JSON values of every type, and the numbers a parser may meet
NUMBERS = st.one_of(
    st.integers(-2**70, 2**70), st.integers(),
    st.sampled_from([0, -1, 10**30, -10**400, 10**400]),
    st.floats(allow_nan=True, allow_infinity=True))
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS,
                    st.text(max_size=12))
VALUES = st.recursive(
    SCALARS, lambda c: st.one_of(st.lists(c, max_size=4),
                                 st.dictionaries(st.text(max_size=8), c,
                                                 max_size=4)),
    max_leaves=8)
# for a field a reader takes: the edges of each type first
EDGES = st.sampled_from([
    10**400, -10**400, 2**64, -1, 0, 0.0, -0.0, 5e-324, 1e308,
    float("nan"), float("inf"), float("-inf"), True, False, None, "",
    "a\nb", "\ud800", "../x", [], {}, [1], {"": 1}])
FIELD_VALUES = st.one_of(EDGES, NUMBERS, SCALARS, VALUES)


def set_fields(data, doc, where: list[tuple], steps: int = 3):
    """doc with up to `steps` of the fields at these paths (created
    where absent) set to FIELD_VALUES or deleted."""
    doc = copy.deepcopy(doc)
    for _ in range(data.draw(st.integers(1, steps))):
        at = data.draw(st.sampled_from(where))
        d = doc
        for k in at[:-1]:
            if isinstance(d, dict):
                d = d.setdefault(k, {})
            elif isinstance(d, list) and isinstance(k, int) and \
                    k < len(d):
                d = d[k]
            else:
                break
        else:
            if isinstance(d, dict):
                if data.draw(st.integers(0, 3)) == 0:
                    d.pop(at[-1], None)
                else:
                    d[at[-1]] = data.draw(FIELD_VALUES)
    return doc


def paths(doc, at=()):
    """The path (keys and indexes) of every value in doc."""
    yield at
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from paths(v, at + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from paths(v, at + (i,))


def mutate(data, doc, steps: int = 3):
    """doc with up to `steps` changes, each at any of its values (drawn
    uniformly): set to any JSON value, deleted, or a key or item added
    beside it."""
    doc = copy.deepcopy(doc)
    for _ in range(data.draw(st.integers(1, steps))):
        at = data.draw(st.sampled_from(list(paths(doc))))
        what = data.draw(st.sampled_from(["set", "set", "delete", "add"]))
        if not at:
            if what == "set":
                doc = data.draw(VALUES)
            continue
        parent = doc
        for k in at[:-1]:
            parent = parent[k]
        key = at[-1]
        if what == "set":
            parent[key] = data.draw(VALUES)
        elif what == "delete":
            del parent[key]
        elif isinstance(parent, dict):
            parent[data.draw(st.text(max_size=8))] = data.draw(VALUES)
        else:
            parent.append(data.draw(VALUES))
    return doc


def damage_bytes(data, raw: bytes) -> bytes:
    """raw cut short, or with a byte replaced, inserted or removed."""
    how = data.draw(st.sampled_from(["cut", "flip", "insert", "remove"]))
    i = data.draw(st.integers(0, max(0, len(raw) - 1)))
    b = bytes([data.draw(st.integers(0, 255))])
    if how == "cut":
        return raw[:i]
    if how == "flip":
        return raw[:i] + b + raw[i + 1:]
    if how == "insert":
        return raw[:i] + b + raw[i:]
    return raw[:i] + raw[i + 1:]


# --- the gate ---

class Sets:
    """Small valid sets from results/reference: its manifest, and the
    records of its gated measures (teardown at 100 layers, not 10: a
    few thousand records less)."""

    def __init__(self) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="mntbench-props-"))
        self.manifest = json.loads((REFERENCE / "manifest.json").read_text())
        doc = json.loads((REFERENCE / "samples.json").read_text())
        fam = gate.family(_Fake(self.manifest), gate.Options())
        self.records = [r for r in doc["records"]
                        if not r["metric"].startswith("teardown.l10.")
                        and any(p.search(r["metric"]) or
                                p.search(r["metric"] + ":median")
                                for p in fam)]
        self.n = 0
        self.base = self.write(self.records)

    def write(self, records, manifest=None, raw=None) -> Path:
        self.n += 1
        d = self.tmp / f"s{self.n}"
        d.mkdir()
        (d / "manifest.json").write_text(
            json.dumps(self.manifest if manifest is None else manifest))
        (d / "samples.json").write_bytes(
            raw if raw is not None else
            json.dumps({"schema": samples.SCHEMA,
                        "records": records}).encode())
        return d

    def cleanup(self) -> None:
        shutil.rmtree(self.tmp, True)


class _Fake:
    path = Path("reference")

    def __init__(self, manifest):
        self.manifest = manifest


def run_gate(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = gate.main(list(argv))
    return rc, out.getvalue(), err.getvalue()


class GateProperties(unittest.TestCase):

    @classmethod
    def setUpClass(cls) -> None:
        cls.sets = Sets()
        cls.addClassCleanup(cls.sets.cleanup)
        common.freeze_heap(cls)

    @classmethod
    def tearDownClass(cls) -> None:
        print(f"\nproperties: gate: {COUNTS.get('gate-valid', 0)} valid "
              f"pairs, {COUNTS.get('gate-finite', 0)} pairs of any finite "
              f"values, {COUNTS.get('gate-corrupt', 0)} corrupted sets",
              file=sys.stderr)

    @props(25)
    @given(st.data())
    def test_valid_pairs_decide(self, data) -> None:
        """Scaled, jittered, thinned, disturbed: 0, 1 or 3."""
        counted("gate-valid")
        recs = copy.deepcopy(self.sets.records)
        series = sorted({(r["metric"], r["variant"]) for r in recs})
        scale = {s: data.draw(st.floats(0.3, 3.0)) for s in
                 data.draw(st.lists(st.sampled_from(series), max_size=6,
                                    unique=True))}
        jitter = data.draw(st.floats(0.0, 0.2))
        # per-record choices from a seeded stream (drawing each from
        # hypothesis would overrun its buffer)
        rng = random.Random(data.draw(st.integers(0, 2**32)))
        keep, seen = [], set()
        drop = data.draw(st.floats(0.0, 0.6))
        for r in recs:
            s = (r["metric"], r["variant"])
            r["value"] *= scale.get(s, 1.0) * (1 + jitter *
                                               (rng.random() - 0.5))
            if r["value"] and not r["exact"] and rng.random() < 0.02:
                r["disturbed"] = True
            # a series keeps one record at least: a missing measure is
            # bad input (exit 2), not a decision
            if s in seen and rng.random() < drop:
                continue
            seen.add(s)
            keep.append(r)
        cand = self.sets.write(keep)
        rc, out, err = run_gate(str(self.sets.base), str(cand))
        self.assertIn(rc, (0, 1, 3), err)
        self.assertNotIn("internal:", err)

    @props(25)
    @given(st.data())
    def test_any_finite_values(self, data) -> None:
        """Values anywhere in the doubles (0, negative, 1e300, subnormal)
        on either side: 0-3, and 2 is one line."""
        counted("gate-finite")
        sides = []
        for _ in range(2):
            recs = copy.deepcopy(self.sets.records)
            for r in data.draw(st.lists(st.sampled_from(recs),
                                        min_size=1, max_size=30)):
                r["value"] = data.draw(st.floats(allow_nan=False,
                                                 allow_infinity=False))
            sides.append(self.sets.write(recs))
        rc, out, err = run_gate(*map(str, sides))
        self.assertIn(rc, (0, 1, 2, 3), err)
        if rc == 2:
            one_line(self, err)
        self.assertNotIn("internal:", err)

    @props(40)
    @given(st.data())
    def test_one_corruption_is_refused(self, data) -> None:
        counted("gate-corrupt")
        recs = copy.deepcopy(self.sets.records)
        manifest = copy.deepcopy(self.sets.manifest)
        raw = None
        how = data.draw(st.sampled_from([
            "cut", "not-utf8", "record-type", "record-missing",
            "record-number", "manifest-type"]))
        name = "samples.json"
        if how == "record-type":
            r = data.draw(st.sampled_from(recs))
            key = data.draw(st.sampled_from(list(samples.FIELDS)))
            wrong = {"value": st.one_of(st.text(), st.booleans(),
                                        st.none(), st.lists(st.integers(),
                                                            max_size=2))}
            r[key] = data.draw(wrong.get(key, st.one_of(
                st.none(), st.lists(st.integers(), max_size=2),
                st.dictionaries(st.text(max_size=3), st.integers(),
                                max_size=2))))
        elif how == "record-missing":
            r = data.draw(st.sampled_from(recs))
            del r[data.draw(st.sampled_from(list(samples.FIELDS)))]
        elif how == "record-number":
            i = data.draw(st.integers(0, len(recs) - 1))
            lit = data.draw(st.sampled_from(
                ["NaN", "Infinity", "-Infinity", "1e999", "1" * 30]))
            recs[i]["value"] = "@@"
            raw = json.dumps({"schema": samples.SCHEMA, "records": recs}
                             ).replace('"@@"', lit).encode()
        elif how == "manifest-type":
            name = "manifest.json"
            key, bad = data.draw(st.sampled_from([
                (("vcpus",), "2"), (("kernel",), 5), (("tools",), []),
                (("status",), "done"), (("switch",), "yes"),
                (("plan",), []), (("plan", "gate"), "x"),
                (("plan", "gate", "metrics"), [1]),
                (("plan", "gate", "threshold"), "2"),
                (("knobs",), {"open": -1}), (("schema",), "other"),
                (("failed_points",), "none")]))
            d = manifest
            for k in key[:-1]:
                d = d[k]
            d[key[-1]] = bad
        if how in ("cut", "not-utf8"):
            name = data.draw(st.sampled_from(["samples.json",
                                              "manifest.json"]))
            text = (json.dumps(manifest) if name == "manifest.json" else
                    json.dumps({"schema": samples.SCHEMA,
                                "records": recs})).encode()
            i = data.draw(st.integers(0, len(text) - 2))
            bad = text[:i] if how == "cut" else \
                text[:i] + b"\xff" + text[i:]
            if name == "manifest.json":
                cand = self.sets.write(recs)
                (cand / name).write_bytes(bad)
            else:
                cand = self.sets.write(recs, raw=bad)
        else:
            cand = self.sets.write(recs, manifest, raw)
        rc, out, err = run_gate(str(self.sets.base), str(cand))
        self.assertEqual(rc, 2, err)
        one_line(self, err)
        self.assertIn(name, err)


# --- plans ---

def toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(x)}"
                               for k, x in v.items()) + "}"
    return '"None"'     # TOML has no null


def toml(doc: dict) -> str:
    """A plan document as TOML: top-level values, then a table per
    dict (nested dicts inline)."""
    top = [f"{json.dumps(k)} = {toml_value(v)}" for k, v in doc.items()
           if not isinstance(v, dict)]
    tables = [f"[{json.dumps(k)}]\n" + "".join(
        f"{json.dumps(kk)} = {toml_value(vv)}\n" for kk, vv in v.items())
        for k, v in doc.items() if isinstance(v, dict)]
    return "\n".join(top) + "\n\n" + "\n".join(tables)


PROFILES = ["quick", "default", "census", "coherence", "calibrate"]
PLAN_KEYS = sorted(set(plan.TOP) | set(plan.SECTION) | set(plan.GATE) |
                   {"modes", "pairs", "victims", "workloads"})


class PlanProperties(unittest.TestCase):

    @classmethod
    def setUpClass(cls) -> None:
        cls.tmp = Path(tempfile.mkdtemp(prefix="mntbench-props-plan-"))
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        cls.docs = {p: tomllib.loads((plan.PLANS / f"{p}.toml").read_text())
                    for p in PROFILES}
        cls.n = 0

    @classmethod
    def tearDownClass(cls) -> None:
        print(f"\nproperties: plans: {COUNTS.get('plan', 0)} generated "
              f"plans ({COUNTS.get('plan-ok', 0)} accepted)",
              file=sys.stderr)

    @props(150)
    @given(st.data())
    def test_any_plan_accepted_or_refused(self, data) -> None:
        counted("plan")
        doc = copy.deepcopy(self.docs[data.draw(st.sampled_from(PROFILES))])
        # values of any type at the keys a plan has (most mutations of a
        # random path would only hit unknown keys)
        for _ in range(data.draw(st.integers(0, 3))):
            sec = data.draw(st.sampled_from(
                [None] + [k for k, v in doc.items() if isinstance(v, dict)]))
            d = doc if sec is None else doc[sec]
            key = data.draw(st.sampled_from(PLAN_KEYS))
            if data.draw(st.booleans()) and key in d:
                del d[key]
            else:
                d[key] = data.draw(st.one_of(
                    VALUES, st.lists(st.sampled_from(
                        ["detached", "longterm-array#a b", "all", "powers",
                         "open-close", "stat", 1, 2, 0, 10**6]),
                        max_size=4)))
        doc = mutate(data, doc, 2) if data.draw(st.booleans()) else doc
        if not isinstance(doc, dict):
            doc = {"x": doc}
        self.n += 1
        f = self.tmp / f"p{self.n}.toml"
        f.write_text(toml(doc))
        try:
            plan.load(str(f))
            counted("plan-ok")
        except errors.InputError as e:
            self.assertEqual(len(str(e).splitlines()), 1, str(e))


# --- samples and probe documents ---

def samples_doc() -> dict:
    doc = json.loads((REFERENCE / "samples.json").read_text())
    recs = doc["records"]
    # each kind's first records, a run's iterations among them
    pick, kinds_seen = [], {}
    for r in recs:
        if kinds_seen.get(r["kind"], 0) < 8:
            kinds_seen[r["kind"]] = kinds_seen.get(r["kind"], 0) + 1
            pick.append(r)
    return {"schema": samples.SCHEMA, "records": pick}


# the fields of a mntlock document that probes.py and the kinds read
PROBE_FIELDS = [
    ("schema",), ("mntput",), ("mntput", "classified"),
    ("mntput", "slow_path"), ("mntput", "slow_path", "layer"),
    ("mntput", "layer"), ("mntput", "layer", "fast_path"),
    ("mntput", "layer", "slow_path"), ("mount_lock_contention",),
    ("mount_lock_contention", "slowpath"),
    ("mount_lock_contention", "slowpath", "count"),
    ("mount_lock_contention", "slowpath", "wait"),
    ("mount_lock_contention", "slowpath", "wait", "sum_ns"),
    ("mount_lock_contention", "slowpath", "wait", "log2_buckets"),
    ("path_walk",), ("path_walk", "restart_cost_ns"),
    *(("path_walk", k) for k in probes.PATH_WALK_PER_OP),
    ("teardown",), ("teardown", "records"),
    ("teardown", "records", 0, "overlay"), ("teardown", "records", 0, "gp"),
    ("teardown", "records", 0, "gp", "in_ovl_free_fs"),
    ("teardown", "records", 0, "gp", "in_ovl_free_fs", "synchronize_rcu"),
    ("teardown", "records", 0, "gp", "in_ovl_free_fs", "synchronize_rcu",
     "calls"),
    ("mntput_by_mount",), ("mntput_by_mount", 0, "fstype"),
    ("mntput_by_mount", 0, "state"), ("mntput_by_mount", 0, "slow"),
    ("mntput_by_mount", 0, "all")]


class LoaderProperties(unittest.TestCase):

    @classmethod
    def setUpClass(cls) -> None:
        cls.tmp = Path(tempfile.mkdtemp(prefix="mntbench-props-load-"))
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        cls.samples = samples_doc()
        pdir = REFERENCE / "probes"
        cls.probe = json.loads(sorted(pdir.glob("probe-*.json"))[0]
                               .read_text())
        # the teardown records bystander reads: a umount record of the
        # shape bpf/SCHEMA.md gives
        gp = {k: {"calls": 1, "ns": 10} for k in bystander.GP_PER_UMOUNT}
        cls.probe["teardown"]["records"] = [
            {"overlay": True, "gp": {"in_ovl_free_fs": dict(gp),
                                     "outside_ovl_free_fs": dict(gp)}}]
        # the reader side (mntlock/3), and the rows by mount
        cls.probe["path_walk"] = {k: 10 for k in probes.PATH_WALK_PER_OP}
        cls.probe["path_walk"]["restart_cost_ns"] = 1500.0
        cls.probe["mntput_by_mount"] = [
            {"fstype": "tmpfs", "state": "detached", "slow": 5, "all": 7}]

    @classmethod
    def tearDownClass(cls) -> None:
        print(f"\nproperties: samples: {COUNTS.get('samples', 0)} documents,"
              f" {COUNTS.get('samples-fields', 0)} with record fields "
              f"set, {COUNTS.get('samples-bytes', 0)} damaged files; "
              f"probes: {COUNTS.get('probes', 0)} documents, "
              f"{COUNTS.get('probes-fields', 0)} with fields set, "
              f"{COUNTS.get('probes-bytes', 0)} damaged files",
              file=sys.stderr)

    def consume_samples(self, recs) -> None:
        samples.series(recs)

    @props(150)
    @given(st.data())
    def test_samples_documents(self, data) -> None:
        counted("samples")
        doc = mutate(data, self.samples)
        try:
            recs = samples.parse(doc, "samples.json")
        except errors.InputError as e:
            self.assertEqual(len(str(e).splitlines()), 1, str(e))
            return
        self.consume_samples(recs)

    @props(500)
    @given(st.data())
    def test_samples_record_fields(self, data) -> None:
        """Each field of a record (and an unknown one) of any value."""
        counted("samples-fields")
        n = len(self.samples["records"])
        keys = (*samples.FIELDS, "iteration", "disturbed", "x")
        doc = set_fields(data, self.samples, [
            ("records", i, k) for i in range(n) for k in keys])
        try:
            recs = samples.parse(doc, "samples.json")
        except errors.InputError as e:
            self.assertEqual(len(str(e).splitlines()), 1, str(e))
            return
        self.consume_samples(recs)

    @props(60)
    @given(st.data())
    def test_samples_files(self, data) -> None:
        counted("samples-bytes")
        raw = json.dumps(self.samples).encode()
        f = self.tmp / "samples.json"
        f.write_bytes(damage_bytes(data, raw))
        try:
            recs = samples.load(f)
        except errors.InputError as e:
            self.assertEqual(len(str(e).splitlines()), 1, str(e))
            return
        self.consume_samples(recs)

    def consume_probe(self, doc, need) -> None:
        for ops in (0, 1, 1000):
            if "mntput" in need:
                probes.per_op(doc, ops)
        if "mount_lock_contention" in need:
            probes.wait_buckets(doc)
        probes.by_mount(doc)
        if "teardown" in need:
            bystander.gp_per_umount(doc)

    @props(150)
    @given(st.data())
    def test_probe_documents(self, data) -> None:
        counted("probes")
        doc = mutate(data, self.probe)
        need = data.draw(st.sampled_from([(), probes.PER_OP,
                                          ("teardown",)]))
        try:
            probes.check(doc, "probes/x.json", need)
        except errors.InputError as e:
            self.assertEqual(len(str(e).splitlines()), 1, str(e))
            return
        self.consume_probe(doc, need)

    @props(500)
    @given(st.data())
    def test_probe_fields(self, data) -> None:
        """Each field the readers take, of any value or absent."""
        counted("probes-fields")
        doc = set_fields(data, self.probe, PROBE_FIELDS)
        need = data.draw(st.sampled_from([(), probes.PER_OP,
                                          ("teardown",)]))
        try:
            probes.check(doc, "probes/x.json", need)
        except errors.InputError as e:
            self.assertEqual(len(str(e).splitlines()), 1, str(e))
            return
        self.consume_probe(doc, need)

    @props(60)
    @given(st.data())
    def test_probe_files(self, data) -> None:
        counted("probes-bytes")
        d = self.tmp / "set"
        (d / "probes").mkdir(parents=True, exist_ok=True)
        raw = json.dumps(self.probe).encode()
        (d / "probes" / "x.json").write_bytes(damage_bytes(data, raw))
        try:
            doc = probes.load(d, "x", probes.PER_OP)
        except errors.InputError as e:
            self.assertEqual(len(str(e).splitlines()), 1, str(e))
            return
        self.consume_probe(doc, probes.PER_OP)


if __name__ == "__main__":
    unittest.main()
