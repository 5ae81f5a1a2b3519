"""harness/ is laid out by stage (harness/README.md): a module imports
only its own stage and earlier ones, nothing imports in a circle, and a
change of layout changes no output: the expanded plans, and the
reference set's samples.json, report.txt and report.md (host only)."""

from __future__ import annotations

import ast
import hashlib
import json
import shutil
import sys
import tempfile
import unittest
from pathlib import Path

from harness import point
from harness.analysis import collect, resultset
from harness.output import report
from harness.paths import REPO
from harness.run import plan
from harness.tests.common import REFERENCE

HARNESS = REPO / "harness"
# earliest first; "" is harness/ itself: what every stage shares
STAGES = ("", "kernel", "run", "analysis", "output", "flows")
BASE = {"cli", "errors", "exitstatus", "kparams", "metrics", "paths",
        "pattern", "point", "setcheck", "setfiles"}
DIGESTS = HARNESS / "tests" / "fixtures" / "expanded-plans.json"
SEED = 20261204


def modules() -> dict[str, Path]:
    out = {}
    for f in HARNESS.rglob("*.py"):
        rel = f.relative_to(REPO).with_suffix("")
        if "tests" in rel.parts:
            continue
        name = ".".join(rel.parts)
        out[name.removesuffix(".__init__")] = f
    return out


def imports(mods: dict[str, Path]) -> dict[str, set[str]]:
    """Module -> the harness modules it imports, at any depth of its code
    (an import inside a function is still a dependency)."""
    def known(name: str) -> str:
        while name not in mods:
            name = name.rpartition(".")[0]
        return name
    out = {}
    for name, f in mods.items():
        deps = set()
        for n in ast.walk(ast.parse(f.read_text())):
            if isinstance(n, ast.ImportFrom) and n.level == 0 and \
                    (n.module or "").startswith("harness"):
                for a in n.names:
                    full = f"{n.module}.{a.name}"
                    deps.add(full if full in mods else known(n.module))
            elif isinstance(n, ast.Import):
                deps |= {known(a.name) for a in n.names
                         if a.name.startswith("harness")}
        out[name] = deps - {name}
    return out


def stage(name: str) -> str:
    parts = name.split(".")
    return parts[1] if len(parts) > 2 and parts[1] in STAGES else ""


def plan_digests() -> dict[str, str]:
    out = {}
    for f in sorted((HARNESS / "plans").glob("*.toml")):
        p = plan.load(f.stem)
        for vcpus in (1, 2, 4, 64):
            for switch in (True, False):
                doc = json.dumps(point.dump(plan.expand(
                    p, vcpus, SEED, has_switch=switch)), sort_keys=True)
                out[f"{f.stem} vcpus={vcpus} switch={switch}"] = \
                    hashlib.sha256(doc.encode()).hexdigest()
    return out


class Stages(unittest.TestCase):
    def test_each_module_is_in_a_stage_or_shared(self):
        loose = {n.split(".")[1] for n in modules()
                 if n.count(".") == 1} - BASE - set(STAGES)
        self.assertEqual(loose, set(), "a module beside the stages")

    def test_imports_go_from_later_stages_to_earlier(self):
        bad = [f"{a} -> {b}" for a, deps in imports(modules()).items()
               for b in deps if STAGES.index(stage(b)) >
               STAGES.index(stage(a))]
        self.assertEqual(bad, [])

    def test_no_import_circle(self):
        graph = imports(modules())
        seen: dict[str, int] = {}    # 1: on the path, 2: done
        circles = []

        def walk(v: str, path: list[str]) -> None:
            seen[v] = 1
            for w in sorted(graph[v]):
                if seen.get(w) == 1:
                    circles.append(path[path.index(w):] + [w])
                elif w not in seen:
                    walk(w, path + [w])
            seen[v] = 2
        for v in sorted(graph):
            if v not in seen:
                walk(v, [v])
        self.assertEqual(circles, [])


class TestModules(unittest.TestCase):
    def test_every_test_module_imports(self):
        # a guest or flow module that no longer imports fails only in
        # the slow tiers; catch it in the fast loop
        import importlib
        for f in sorted((HARNESS / "tests").glob("test_*.py")):
            with self.subTest(f.stem):
                importlib.import_module(f"harness.tests.{f.stem}")


class Sections(unittest.TestCase):
    def test_each_section_is_a_kinds(self):
        from harness.output import sections
        from harness.run import kinds
        self.assertLessEqual(set(sections.SECTIONS), set(kinds.KINDS))
        for name, s in sections.SECTIONS.items():
            self.assertTrue(s.report or s.plots, name)


class SameOutputs(unittest.TestCase):
    def test_expanded_plans_unchanged(self):
        """Every plan at 1, 2, 4 and 64 vCPUs, with and without the
        switch: the digests recorded before the stages (regenerate with
        python3 -m harness.tests.test_layout --write, after a plan is
        changed on purpose)."""
        want = json.loads(DIGESTS.read_text())
        self.assertEqual(plan_digests(), want)

    def test_reference_samples_and_report_unchanged(self):
        tmp = Path(tempfile.mkdtemp(prefix="mntbench-layout-"))
        self.addCleanup(shutil.rmtree, tmp, True)
        sdir = tmp / REFERENCE.name     # the report names its set's folder
        # plots/ stays: report.md lists the graphs there
        shutil.copytree(REFERENCE, sdir, ignore=shutil.ignore_patterns(
            "report*", "samples.json", "summary.json"))
        collect.write(sdir)
        self.assertEqual((sdir / "samples.json").read_bytes(),
                         (REFERENCE / "samples.json").read_bytes())
        rs = resultset.load(sdir)
        summ = report.summary(rs)
        self.assertEqual(report.text_report(rs, summ),
                         (REFERENCE / "report.txt").read_text())
        self.assertEqual(report.md_report(rs, summ),
                         (REFERENCE / "report.md").read_text())


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        DIGESTS.write_text(json.dumps(plan_digests(), indent=1,
                                      sort_keys=True) + "\n")
    else:
        unittest.main()
