"""Faults a fleet will meet, host only and fast: a hostile gate pattern in
a set's plan, a hostile failure note under `make ab`, a plot that fails
under `make report`, a damaged checkpatch copy (tools/deps.sh) and a
damaged vmlinux.h (bpf/Makefile)."""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import re
import shutil
import subprocess
import tempfile
import time
import unittest
from pathlib import Path
from unittest import mock

from harness import errors, exitstatus, pattern
from harness.analysis import gate, resultset
from harness.paths import REPO
from harness.run import plan

REFERENCE = REPO / "results" / "reference"


def _call(main, argv: list[str]) -> tuple[int, str, str]:
    """main(argv) in this process: (status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = main(argv)
        except SystemExit as e:
            rc = e.code if isinstance(e.code, int) else 2
    return rc, out.getvalue(), err.getvalue()


def _plan_patterns() -> list[str]:
    out = []
    for f in sorted((REPO / "harness" / "plans").glob("*.toml")):
        out += plan.load(f.stem).doc.get("gate", {}).get("metrics", [])
    return out


class GatePatternTest(unittest.TestCase):
    """A plan's [gate] metrics come from the set's manifest: a pattern
    that is not a regular expression, or one outside the gate's subset,
    is refused in one line (exit 2); one that would backtrack for hours
    under re is matched in linear time."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = Path(tempfile.mkdtemp(prefix="mntbench-faults-gate-"))
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        cls.names = sorted({str(m) for m, _ in
                            resultset.load(REFERENCE).series})

    def make(self, name: str, metrics) -> Path:
        """A copy of the reference's manifest and samples whose plan's
        [gate] metrics are metrics."""
        d = self.tmp / name
        d.mkdir()
        man = json.loads((REFERENCE / "manifest.json").read_text())
        man["plan"]["gate"]["metrics"] = metrics
        (d / "manifest.json").write_text(json.dumps(man))
        shutil.copyfile(REFERENCE / "samples.json", d / "samples.json")
        return d

    def gate(self, name: str, metrics) -> tuple[int, str, str, float]:
        d = self.make(name, metrics)
        t0 = time.monotonic()
        rc, out, err = _call(gate.main, [str(d), str(d)])
        return rc, out, err, time.monotonic() - t0

    def test_plans_match_as_re_does(self):
        # every plan's patterns, on every measure of the reference and
        # on near misses: the answers re.search gives
        pats = _plan_patterns()
        self.assertGreater(len(pats), 10)
        names = self.names + [n + "\n" for n in self.names] + \
            [n[:-2] for n in self.names] + ["x" + n for n in self.names]
        hits = 0
        for p in pats:
            m = pattern.compile(p, "plan")
            for n in names:
                want = re.search(p, n) is not None
                self.assertEqual(m.search(n), want, (p, n))
                hits += want
        self.assertGreater(hits, 20)

    def test_subset_matches_as_re_does(self):
        # random patterns of the subset on random names
        rng = random.Random(7)
        atoms = ["a", "b", ".", r"\d", "[ab]", "[^a]", r"\.", "-", "^",
                 "$", r"\w", r"\Z", r"\A", r"\s"]
        quants = ["*", "+", "?", "{2}", "{1,3}", "{,2}", "{2,}", "*?",
                  "+?"]

        def make(depth: int = 0) -> str:
            out = ""
            for _ in range(rng.randint(0, 4)):
                if rng.random() < 0.2 and depth < 3:
                    alts = [make(depth + 1)
                            for _ in range(rng.randint(1, 3))]
                    a = rng.choice(["(", "(?:"]) + "|".join(alts) + ")"
                else:
                    a = rng.choice(atoms)
                if rng.random() < 0.4 and a not in ("^", "$", r"\A",
                                                     r"\Z"):
                    a += rng.choice(quants)
                out += a
            return out
        tried = 0
        while tried < 400:
            p = make()
            try:
                re.compile(p)
            except re.error:
                continue
            tried += 1
            m = pattern.compile(p, "plan")
            for _ in range(10):
                s = "".join(rng.choice("ab1.- \n") for _ in
                            range(rng.randint(0, 8)))
                self.assertEqual(m.search(s), re.search(p, s) is not None,
                                 (p, s))

    def test_backtracking_pattern_is_linear(self):
        # under re, each of these takes 2**len(name) steps on a measure
        # name of the set (some 40 characters): hours
        for i, p in enumerate(["^([a-z0-9_.:-]+)+!$", "(a+)+$",
                               "^(.*)*(.*)*(.*)*!$"]):
            rc, out, err, took = self.gate(f"slow{i}", [p])
            self.assertEqual(rc, 2, out + err)
            self.assertIn("no gated measure in common", err)
            self.assertEqual(len(err.strip().splitlines()), 1, err)
            self.assertLess(took, 10)
        m = pattern.compile("(a+)+$", "plan")
        t0 = time.monotonic()
        self.assertFalse(m.search("a" * 20000 + "!"))
        self.assertTrue(m.search("b" + "a" * 20000))
        self.assertLess(time.monotonic() - t0, 5)

    def test_hostile_patterns_refused(self):
        cases = [
            ("(a", "not a regular expression"),
            ("[[a]", "not a regular expression"),
            (r"(a)\1", "the escape \\1"),
            ("(?=open)", "an extension (?...)"),
            ("(?i)open", "an extension (?...)"),
            ("a*+", "a possessive repetition"),
            ("a{5000}", "a repetition beyond"),
            ("((a{100}){100}){100}", "too large"),
            ("(" * 400 + ")" * 400, ""),
            ("x" * 5000, "allowed: at most"),
            (7, "string"),     # the manifest schema says so first
        ]
        for i, (p, why) in enumerate(cases):
            with self.subTest(pattern=str(p)[:20]):
                rc, out, err, took = self.gate(f"bad{i}", [p])
                self.assertEqual(rc, 2, out + err)
                self.assertEqual(len(err.strip().splitlines()), 1, err)
                self.assertIn("plan.gate.metrics", err)
                self.assertIn(why, err)
                self.assertNotIn("internal", err)
                self.assertLess(took, 10)
        for i, metrics in enumerate([{"a": 1}, "^open", ["x"] * 1000]):
            rc, out, err, _ = self.gate(f"notlist{i}", metrics)
            self.assertEqual(rc, 2, out + err)
            self.assertIn("plan.gate.metrics", err)
            self.assertNotIn("internal", err)

    def test_report_refuses_what_the_gate_refuses(self):
        # the report's marks are the gate's verdicts: a pattern the gate
        # refuses is refused there too, not dropped with its marks
        from harness.output import report
        d = self.make("report-bad", [r"(a)\1"])
        rc, out, err = _call(report.main, [str(d)])
        self.assertEqual(rc, 2, out + err)
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        self.assertIn("plan.gate.metrics", err)
        self.assertFalse((d / "report.txt").exists())

    def test_valid_plan_still_gates(self):
        # the reference against itself: its plan's patterns gate it
        rc, out, err = _call(gate.main, [str(REFERENCE), str(REFERENCE)])
        self.assertIn(rc, (gate.PASS, gate.INCONCLUSIVE), out + err)
        self.assertRegex(out, r"gate: \d+ gated")


class AbFailureNoteTest(unittest.TestCase):
    """make ab reads a failed point's note only after the set passed
    setcheck.tree, through setcheck.member: a note leading out of the
    set, a huge or binary one, is one line and exit 2; a real one is
    quoted on one line (cannot test, 125)."""

    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="mntbench-faults-ab-"))
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.outside = self.tmp / "secret.txt"
        self.outside.write_text("root:x:0:0\n")

    def side(self, name: str, note=None) -> Path:
        """A set directory with failed/p1.txt made by note(path)."""
        d = self.tmp / name
        (d / "failed").mkdir(parents=True)
        if note is not None:
            note(d / "failed" / "p1.txt")
        return d

    def look(self, base: Path) -> None:
        from harness.flows import ab
        clean = self.side(f"{base.name}-cand")
        with mock.patch.object(ab.collect, "write",
                               side_effect=AssertionError("collected")):
            ab._look({"base": (base, None), "cand": (clean, None)}, 0.95,
                     gate.Options())

    def test_hostile_notes(self):
        huge = b"x" * (1 << 20)
        cases = {
            "symlink-out": (lambda f: f.symlink_to(self.outside),
                            "leading out of the set"),
            "huge": (lambda f: f.write_bytes(huge), "larger than"),
            "binary": (lambda f: f.write_bytes(b"\x7fELF\x02\x01\x00"),
                       "control characters"),
            "not-utf8": (lambda f: f.write_bytes(b"\xff\xfe"),
                         "not UTF-8"),
            "directory": (lambda f: f.mkdir(), "Is a directory"),
            "fifo": (lambda f: os.mkfifo(f),
                     "not a regular file"),
        }
        for name, (make, why) in cases.items():
            with self.subTest(name):
                d = self.side(name, make)
                with self.assertRaises(errors.InputError) as cm:
                    self.look(d)
                msg = str(cm.exception)
                self.assertEqual(cm.exception.exit_code, 2)
                self.assertIn(why, msg)
                self.assertNotIn("\n", msg)
                self.assertNotIn("root:x", msg)

    def test_real_note_is_one_line(self):
        from harness.flows import ab
        d = self.side("real", lambda f: f.write_text(
            "ovlbench exit 3: ovlbench: mount: EBUSY\nsecond line\n"))
        with self.assertRaises(errors.VMError) as cm:
            self.look(d)
        self.assertEqual(cm.exception.exit_code, ab.CANNOT_TEST)
        self.assertEqual(str(cm.exception), "base: point p1 failed: "
                         "ovlbench exit 3: ovlbench: mount: EBUSY / "
                         "second line")
        self.assertIsNone(ab.failure_note(self.side("none")))

    def test_crash_is_not_regression(self):
        # an error the code did not expect: one line and 2, never 1
        from harness.flows import ab
        with mock.patch.object(ab, "_parse",
                               side_effect=UnicodeDecodeError(
                                   "utf-8", b"\xff", 0, 1, "bad")):
            rc, out, err = _call(ab.main, [])
        self.assertEqual(rc, exitstatus.BAD_INPUT, err)
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        self.assertIn("internal: UnicodeDecodeError", err)


class PlotFailureTest(unittest.TestCase):
    """A plot that fails keeps the numbers (report.txt, report.md,
    summary.json) but is not success: `report SET` exits 1 (its own
    meaning in harness/exitstatus.py); `make bench` finishes the set
    with a warning line and its normal status."""

    def setUp(self):
        tmp = Path(tempfile.mkdtemp(prefix="mntbench-faults-plots-"))
        self.addCleanup(shutil.rmtree, tmp, True)
        self.set = tmp / "set"
        shutil.copytree(REFERENCE, self.set, ignore=shutil.ignore_patterns(
            "plots", "report*", "summary.json"))
        # statsmodels' multipletests runs gc.collect() on every call (the
        # gate's Holm step): most of a report's seconds, none of its sense
        collect = mock.patch("gc.collect", return_value=0)
        collect.start()
        self.addCleanup(collect.stop)

    def broken(self):
        from harness.output import sections
        return mock.patch.object(sections, "make_plots",
                                 side_effect=RuntimeError("no display\nx"))

    def written(self) -> None:
        for name in ("report.txt", "report.md", "summary.json"):
            self.assertGreater((self.set / name).stat().st_size, 100, name)

    def test_report_exits_plots_failed(self):
        from harness.output import report
        with self.broken():
            rc, out, err = _call(report.main, [str(self.set)])
        self.assertEqual(rc, report.PLOTS_FAILED, err)
        self.assertNotIn(rc, (0, exitstatus.BAD_INPUT))
        self.assertIn("plots failed", exitstatus.meaning("report", rc))
        self.assertIn("report: plots failed: RuntimeError: no display",
                      err)
        self.assertNotIn("Traceback", err)
        self.assertIn("mntbench report", out)
        self.written()
        from harness.output import sections
        with mock.patch.object(sections, "make_plots", return_value=[]):
            rc, out, err = _call(report.main, [str(self.set)])
        self.assertEqual(rc, 0, err)

    def test_bench_finish_warns_and_completes(self):
        from harness.flows import bench
        err = io.StringIO()
        with self.broken(), contextlib.redirect_stderr(err), \
                contextlib.redirect_stdout(io.StringIO()):
            rc = bench.finish(self.set, interrupted=False)
        self.assertEqual(rc, 0, err.getvalue())
        self.assertIn("run: warning: the plots of", err.getvalue())
        self.assertIn(f"make report SET={self.set}", err.getvalue())
        man = json.loads((self.set / "manifest.json").read_text())
        self.assertEqual(man["status"], "complete")
        self.written()


class CheckpatchCacheTest(unittest.TestCase):
    """tools/deps.sh checks its cached checkpatch copy against the copy's
    SHA256SUMS before every use: a damaged copy is said in one line and
    extracted again. Run against a temporary cache, a small tarball with
    the kernel's member paths (MNTBENCH_CHECKPATCH_TAR) and a dpkg-query
    that finds every package installed (nothing is installed)."""

    PREFIX = "linux-source-6.12/scripts/"
    FILES = {"checkpatch.pl": b"#!/usr/bin/perl\nprint 1;\n",
             "spelling.txt": b"abandonned||abandoned\n" * 50,
             "const_structs.checkpatch": b"file_operations\n"}

    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="mntbench-faults-deps-"))
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.tar = self.tmp / "linux-source-6.12.tar.xz"
        import tarfile
        with tarfile.open(self.tar, "w:xz") as tf:
            for name, data in {**self.FILES, "other.c": b"x"}.items():
                info = tarfile.TarInfo(self.PREFIX + name)
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
        bin_ = self.tmp / "bin"
        bin_.mkdir()
        fake = bin_ / "dpkg-query"
        fake.write_text("#!/bin/sh\nfor a; do case $a in -*) ;; "
                        "*) echo \"install ok installed $a\" ;; esac; done\n")
        fake.chmod(0o755)
        self.env = {"PATH": f"{bin_}:/usr/bin:/bin", "HOME": str(self.tmp),
                    "MNTBENCH_CACHE": str(self.tmp / "cache"),
                    "MNTBENCH_CHECKPATCH_TAR": str(self.tar)}
        self.dest = self.tmp / "cache" / "checkpatch"

    def deps(self, tar: Path | None = None) -> list[str]:
        env = dict(self.env)
        if tar is not None:
            env["MNTBENCH_CHECKPATCH_TAR"] = str(tar)
        p = subprocess.run(["sh", str(REPO / "tools" / "deps.sh")],
                           env=env, capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(p.stderr, "")
        return p.stdout.splitlines()

    def assert_copy_whole(self) -> None:
        for name, data in self.FILES.items():
            self.assertEqual((self.dest / "scripts" / name).read_bytes(),
                             data, name)
        self.assertFalse((self.dest / "scripts" / "other.c").exists())
        self.assertEqual(sorted(p.name for p in self.tmp.glob(
            "cache/checkpatch.*")), [], "a temp copy left behind")

    def test_damaged_copy_is_extracted_again(self):
        out = self.deps()
        self.assertEqual(out, [f"deps: extracting checkpatch.pl from "
                               f"{self.tar} into {self.dest}"])
        self.assert_copy_whole()
        sums = (self.dest / "SHA256SUMS").read_text()
        self.assertEqual(len(sums.splitlines()), 3, sums)
        # a whole copy is used as is: the tarball is not even read
        self.assertEqual(self.deps(self.tmp / "no-such.tar.xz"), [])
        for damage in ("byte", "gone"):
            with self.subTest(damage):
                f = self.dest / "scripts" / "spelling.txt"
                if damage == "byte":
                    data = bytearray(f.read_bytes())
                    data[17] ^= 0x20
                    f.write_bytes(bytes(data))
                else:
                    f.unlink()
                out = self.deps()
                said = [ln for ln in out if "SHA256SUMS" in ln]
                self.assertEqual(said, [f"deps: {self.dest} differs from "
                                        "its SHA256SUMS: extracting it "
                                        "again"], out)
                self.assertEqual(len(out), 2, out)
                self.assert_copy_whole()
                self.assertEqual((self.dest / "SHA256SUMS").read_text(),
                                 sums)
                self.assertEqual(self.deps(self.tmp / "none.tar.xz"), [])


@unittest.skipUnless(shutil.which("clang") and shutil.which("bpftool"),
                     "needs clang and bpftool")
class VmlinuxHeaderTest(unittest.TestCase):
    """bpf/Makefile dumps vmlinux.h from VMLINUX's BTF and records its
    sha256 beside it; a copy that differs (or has no sum) is said in one
    line and dumped again, a dump that stops short is refused. VMLINUX
    here is a BPF object of two structs (clang -g: BTF, no kernel), and
    OUTPUT a temporary directory: bpf/.output is not touched."""

    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="mntbench-faults-bpf-"))
        self.addCleanup(shutil.rmtree, self.tmp, True)
        src = self.tmp / "types.c"
        src.write_text("struct mount { int mnt_id; long mnt_count; };\n"
                       "struct mount m;\n")
        (self.tmp / "k").mkdir()
        # named vmlinux, in a directory of its own: no implicit rule of
        # make's (%.o: %.c) would make it again
        self.vmlinux = self.tmp / "k" / "vmlinux"
        subprocess.run(["clang", "-g", "-O2", "-target", "bpf", "-c",
                        str(src), "-o", str(self.vmlinux)], check=True)
        self.out = self.tmp / "out"
        self.h = self.out / "vmlinux.h"
        self.sum = self.out / "vmlinux.h.sha256"

    def make(self, *extra: str, ok: bool = True) -> list[str]:
        p = subprocess.run(
            ["make", "-s", "-C", str(REPO / "bpf"), f"OUTPUT={self.out}",
             f"VMLINUX={self.vmlinux}", *extra, str(self.h)],
            capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode == 0, ok, p.stdout + p.stderr)
        return (p.stdout + p.stderr).splitlines()

    def sum_ok(self) -> bool:
        return subprocess.run(["sha256sum", "--quiet", "--strict", "-c",
                               self.sum.name], cwd=self.out,
                              capture_output=True).returncode == 0

    def test_damaged_header_is_dumped_again(self):
        self.assertEqual(self.make(), [])
        good = self.h.read_bytes()
        self.assertIn(b"struct mount {", good)
        self.assertTrue(self.sum_ok())
        self.assertEqual(self.make(), [])           # used as is
        damages = {
            "byte": lambda: self.h.write_bytes(
                good[:40] + bytes([good[40] ^ 1]) + good[41:]),
            "truncated": lambda: self.h.write_bytes(good[:len(good) // 2]),
        }
        for name, damage in damages.items():
            with self.subTest(name):
                damage()
                self.assertEqual(self.make(), [
                    f"bpf: {self.h} differs from its vmlinux.h.sha256: "
                    "dumping it again"])
                self.assertEqual(self.h.read_bytes(), good)
                self.assertTrue(self.sum_ok())
        # a copy from before the sums: dumped again; the same types keep
        # the copy's time (mntlock is not built again for nothing)
        self.sum.unlink()
        old = self.h.stat().st_mtime_ns
        self.assertEqual(self.make(), [
            f"bpf: {self.h} has no vmlinux.h.sha256: dumping it again"])
        self.assertEqual(self.h.stat().st_mtime_ns, old)
        self.assertTrue(self.sum_ok())
        self.assertEqual(sorted(p.name for p in self.out.iterdir()),
                         ["vmlinux.from", "vmlinux.h", "vmlinux.h.sha256"])

    def test_short_dump_is_refused(self):
        # bpftool exits 0 when its output cannot be written (a full
        # disk): a dump cut short must not become vmlinux.h
        fake = self.tmp / "bpftool"
        fake.write_text(f"#!/bin/sh\n{shutil.which('bpftool')} \"$@\" | "
                        "head -c 200\n")
        fake.chmod(0o755)
        out = self.make(f"BPFTOOL={fake}", ok=False)
        self.assertIn(f"bpf: {fake} btf dump file {self.vmlinux} stopped "
                      f"short (no closing #endif): {self.h} not made", out)
        self.assertFalse(self.h.exists())
        self.assertFalse(self.sum.exists())
        # a VMLINUX without BTF: bpftool's own error, nothing left
        self.vmlinux.write_bytes(b"\x7fELF")
        self.make(ok=False)
        self.assertEqual(sorted(p.name for p in self.out.iterdir()),
                         ["vmlinux.from"])


if __name__ == "__main__":
    unittest.main()
