"""The CI recipes of harness/ci, on the host: every YAML file parses, the
fleet recipes fan out over kernels x runners and gather every job's
sets, and every ./mntbench command they (and the shell recipes) run
names a target and variables that ./mntbench has."""

from __future__ import annotations

import fnmatch
import importlib.machinery
import importlib.util
import itertools
import os
import re
import shlex
import subprocess
import tempfile
import unittest
from pathlib import Path

import yaml

from harness.paths import REPO

CI = REPO / "harness" / "ci"
# Being added beside this work: `./mntbench history DIR=...` (the lead
# adds the target, over harness/output/history.py); allowed here until then.
PENDING_TARGETS = {"history"}
PENDING_VARS = {"DIR"}


def mntbench_cli():
    """./mntbench as a module (its TARGETS and VARS)."""
    path = str(REPO / "mntbench")
    loader = importlib.machinery.SourceFileLoader("mntbench_cli", path)
    spec = importlib.util.spec_from_loader("mntbench_cli", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def strings(node):
    """Every string of a parsed YAML document."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for v in node.values():
            yield from strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from strings(v)


def mntbench_calls(text: str) -> list[tuple[str, list[str]]]:
    """(target, [VAR, ...]) of each ./mntbench command in shell text:
    lines joined at a trailing backslash, a command word whose last path
    component is `mntbench`, then its target and its VAR=value words."""
    calls = []
    for line in text.replace("\\\n", " ").splitlines():
        if "mntbench " not in line:
            continue
        try:
            words = shlex.split(line, comments=True)
        except ValueError as e:
            raise AssertionError(f"{line!r}: {e}") from None
        for i, w in enumerate(words[:-1]):
            if w.rsplit("/", 1)[-1] != "mntbench" or "/" not in w:
                continue
            target, rest = words[i + 1], words[i + 2:]
            names = []
            for r in itertools.takewhile(
                    lambda r: re.fullmatch(r"[A-Za-z_]\w*=.*", r, re.S),
                    rest):
                names.append(r.split("=", 1)[0])
            calls.append((target, names))
    return calls


def recipe_texts() -> dict[str, list[str]]:
    """Recipe file name -> its shell texts (YAML: every string)."""
    out = {}
    for f in sorted(CI.iterdir()):
        if f.suffix in (".yml", ".yaml"):
            out[f.name] = list(strings(yaml.safe_load(f.read_text())))
        elif f.suffix == ".sh":
            out[f.name] = [f.read_text()]
    return out


class CallsTest(unittest.TestCase):
    def test_extractor(self):
        # the extractor itself: continuation lines, quotes, paths to
        # ./mntbench, and words that only look like it
        text = ('cd x && ./mntbench ab BASE_KSRC="$A b" \\\n'
                '  CAND_KSRC=x AB_PROFILE=quick || exit 1\n'
                '../mntbench/mntbench gate BASE=$d/base CAND=$d/cand\n'
                'git clone https://example.org/mntbench.git ../mntbench\n'
                'echo mntbench ab\n')
        self.assertEqual(mntbench_calls(text), [
            ("ab", ["BASE_KSRC", "CAND_KSRC", "AB_PROFILE"]),
            ("gate", ["BASE", "CAND"])])

    def test_every_call_names_a_target_and_its_variables(self):
        cli = mntbench_cli()
        seen = set()
        for name, texts in recipe_texts().items():
            for text in texts:
                self.assertEqual(unknown(cli, text), [], name)
                seen |= {(name, t) for t, _ in mntbench_calls(text)}
        # the recipes that run ./mntbench, and what they run
        self.assertEqual(seen, {
            ("github-actions.yml", "ab"), ("github-calibrate.yml",
                                           "calibrate"),
            ("gitlab-ci.yml", "ab"), ("gitlab-ci.yml", "calibrate"),
            ("github-fleet.yml", "ab"), ("github-fleet.yml", "history"),
            ("github-fleet.yml", "gate"), ("gitlab-fleet.yml", "ab"),
            ("gitlab-fleet.yml", "history"), ("gitlab-fleet.yml", "gate")})

    def test_a_bad_call_is_caught(self):
        cli = mntbench_cli()
        self.assertEqual(unknown(cli, "./mntbench gate BASE=a SETS=b\n"
                                      "./mntbench hist DIR=x"),
                         ["gate SETS", "target hist"])


def unknown(cli, text: str) -> list[str]:
    """The targets and variables of text's ./mntbench commands that
    ./mntbench does not have (nor will: PENDING_*)."""
    targets = set(cli.TARGETS) | PENDING_TARGETS
    names = set(cli.VARS) | PENDING_VARS
    out = []
    for target, vs in mntbench_calls(text):
        if target not in targets:
            out.append(f"target {target}")
        out += [f"{target} {v}" for v in vs if v not in names]
    return out


class GithubFleetTest(unittest.TestCase):
    def setUp(self):
        self.doc = yaml.safe_load((CI / "github-fleet.yml").read_text())
        self.jobs = self.doc["jobs"]

    def test_matrix_kernels_by_runners(self):
        ab = self.jobs["ab"]
        self.assertIs(ab["strategy"]["fail-fast"], False)
        m = ab["strategy"]["matrix"]
        self.assertEqual(set(m), {"kernel", "runner"})
        self.assertTrue(m["kernel"] and m["runner"])
        for k in m["kernel"]:
            self.assertEqual(set(k), {"name", "ref"})
            self.assertRegex(k["name"], r"^[\w.-]+$")
        self.assertEqual(len({k["name"] for k in m["kernel"]}),
                         len(m["kernel"]))
        self.assertEqual(len(set(m["runner"])), len(m["runner"]))
        # GitHub runs at most 256 jobs of a matrix
        self.assertLessEqual(len(m["kernel"]) * len(m["runner"]), 256)
        self.assertIn("${{ matrix.runner }}", ab["runs-on"])
        self.assertIn("self-hosted", ab["runs-on"])

    def step(self, job: str, uses: str) -> dict:
        [s] = [s for s in self.jobs[job]["steps"]
               if s.get("uses", "").startswith(uses)]
        return s

    def test_each_job_uploads_a_set_the_gather_job_downloads(self):
        up = self.step("ab", "actions/upload-artifact@v4")
        self.assertEqual(up["if"], "always()")
        name = up["with"]["name"]
        m = self.jobs["ab"]["strategy"]["matrix"]
        names = {name.replace("${{ matrix.kernel.name }}", k["name"])
                 .replace("${{ matrix.runner }}", r)
                 for k in m["kernel"] for r in m["runner"]}
        # one artifact per job: the names differ
        self.assertEqual(len(names), len(m["kernel"]) * len(m["runner"]))
        gather = self.jobs["gather"]
        self.assertEqual(gather["needs"], "ab")
        self.assertEqual(gather["if"], "always()")
        down = self.step("gather", "actions/download-artifact@v4")["with"]
        self.assertTrue(all(fnmatch.fnmatchcase(n, down["pattern"])
                            for n in names), (names, down["pattern"]))
        # the history's own artifact is no set (a re-run of the gather
        # job downloads what the run has)
        [hist_up] = [x["with"]["name"] for x in self.jobs["gather"]["steps"]
                     if x.get("uses", "").startswith(
                         "actions/upload-artifact")]
        self.assertFalse(fnmatch.fnmatchcase(hist_up, down["pattern"]))
        self.assertIs(down["merge-multiple"], True)
        # each job's sets under their own directory, as the upload has
        # them: OUT=.../fleet/<runner>/<kernel>, path fleet/, so that
        # merged they are sets/<runner>/<kernel>/
        run = self.step_run("ab", "./mntbench ab")
        self.assertIn('OUT="$GITHUB_WORKSPACE/fleet/${{ matrix.runner }}/'
                      '${{ matrix.kernel.name }}"', run)
        self.assertEqual(up["with"]["path"], "fleet/")
        hist = self.step_run("gather", "./mntbench history")
        self.assertIn(f'for r in "$GITHUB_WORKSPACE"/{down["path"]}/*/',
                      hist)
        self.assertIn('./mntbench history DIR="$h"', hist)
        gate = self.step_run("gather", "./mntbench gate")
        self.assertIn(f'for d in "$GITHUB_WORKSPACE"/{down["path"]}/*/*/',
                      gate)
        [gstep] = [x for x in self.jobs["gather"]["steps"]
                   if "./mntbench gate" in x.get("run", "")]
        self.assertEqual(gstep["if"], "always()")

    def step_run(self, job: str, has: str) -> str:
        [r] = [s["run"] for s in self.jobs[job]["steps"]
               if has in s.get("run", "")]
        return r


class GitlabFleetTest(unittest.TestCase):
    def setUp(self):
        self.doc = yaml.safe_load((CI / "gitlab-fleet.yml").read_text())

    def test_matrix_and_gather(self):
        fleet = self.doc["mntbench-fleet"]
        [cell] = fleet["parallel"]["matrix"]
        self.assertEqual(set(cell), {"CAND_REF", "FLEET_RUNNER"})
        refs, runners = cell["CAND_REF"], cell["FLEET_RUNNER"]
        self.assertTrue(all(isinstance(v, list) and v and len(set(v)) ==
                            len(v) for v in (refs, runners)))
        # GitLab makes at most 200 jobs of a parallel:matrix
        self.assertLessEqual(len(refs) * len(runners), 200)
        self.assertIn("$FLEET_RUNNER", fleet["tags"])
        self.assertEqual(fleet["artifacts"]["when"], "always")
        self.assertEqual(fleet["artifacts"]["paths"], ["fleet/"])
        [ab] = [s for s in fleet["script"] if "mntbench ab " in s]
        self.assertIn('OUT="$CI_PROJECT_DIR/fleet/$FLEET_RUNNER/$CAND_REF"',
                      ab)
        gather = self.doc["mntbench-fleet-gather"]
        self.assertEqual(gather["needs"], [{"job": "mntbench-fleet",
                                            "artifacts": True}])
        self.assertNotIn("when", gather)      # beside rules: refused
        self.assertTrue(gather["rules"])
        self.assertTrue(all(r.get("when") == "always"
                            for r in gather["rules"]))
        self.assertEqual(
            [r["if"] for r in gather["rules"]],
            [r["if"] for r in fleet["rules"]])
        # the gather job's loop covers the matrix, so that a job that
        # left no set counts
        self.assertEqual(gather["variables"]["CAND_REFS"].split(), refs)
        self.assertEqual(gather["variables"]["BASE_REF"],
                         fleet["variables"]["BASE_REF"])
        self.assertEqual(gather["variables"]["FLEET_RUNNERS"].split(),
                         runners)
        script = "\n".join(gather["script"])
        self.assertIn('k="$CI_PROJECT_DIR/fleet/$runner/$ref"', script)
        self.assertIn('mntbench history DIR="$h"', script)
        self.assertIn('d="$CI_PROJECT_DIR/fleet/$runner/$ref"', script)


# A stand-in for ./mntbench in the gather scripts: records its
# arguments, and `gate` exits with the status named by a file in CAND's
# parent (status: 0 when there is none).
FAKE = """#!/bin/sh
echo "$*" >> "$CALLS"
if [ "$1" = gate ]; then
	cand=${3#CAND=}
	[ -f "$cand/../status" ] && exit "$(cat "$cand/../status")"
fi
exit 0
"""


class GatherScriptsTest(unittest.TestCase):
    """The gather jobs' shell, run on made-up sets with a stand-in for
    ./mntbench: the history gets one directory per runner, and the
    exit status is 1 if any pair regressed, else the worst other."""

    RUNNERS = ("kvm-8", "kvm-64")
    KERNELS = ("v6.13", "v6.14")

    def setUp(self):
        td = tempfile.TemporaryDirectory(prefix="mntbench-fleet-")
        self.addCleanup(td.cleanup)
        self.tmp = Path(td.name)
        self.calls = self.tmp / "calls.txt"

    def layout(self, sets: Path, statuses: dict, missing=(),
               absent=()) -> None:
        """sets/<runner>/<kernel>/{base,cand}/manifest.json and a status
        file for the fake gate; `missing` (runner, kernel): the job's
        directory without sets, `absent`: no directory at all."""
        for r in self.RUNNERS:
            for k in self.KERNELS:
                if (r, k) in absent:
                    continue
                (sets / r / k).mkdir(parents=True)
                (sets / r / k / "job-status").write_text("failure\n")
                if (r, k) in missing:
                    continue
                for side in ("base", "cand"):
                    (sets / r / k / side).mkdir(parents=True)
                    (sets / r / k / side / "manifest.json").write_text("{}")
                if (r, k) in statuses:
                    (sets / r / k / "status").write_text(
                        str(statuses[(r, k)]))

    def fake(self, where: Path) -> None:
        where.mkdir(parents=True, exist_ok=True)
        (where / "mntbench").write_text(FAKE)
        (where / "mntbench").chmod(0o755)

    def bash(self, script: str, cwd: Path, env: dict,
             opts: str = "-e") -> int:
        return subprocess.run(
            ["bash", opts, "-c", script], cwd=cwd, capture_output=True,
            text=True, env=dict(os.environ, CALLS=str(self.calls), **env)
        ).returncode

    def github(self, statuses, missing=(), result="success",
               absent=()) -> int:
        doc = yaml.safe_load((CI / "github-fleet.yml").read_text())
        steps = doc["jobs"]["gather"]["steps"]
        ws = self.tmp / "gh"
        self.layout(ws / "sets", statuses, missing, absent)
        self.fake(ws / "mntbench")
        env = {"GITHUB_WORKSPACE": str(ws), "AB_RESULT": result,
               "BASE_REF": doc["env"]["BASE_REF"]}
        # GitHub's default shell on Linux: bash -e {0}
        hist, gate = (s["run"] for s in steps
                      if "./mntbench " in s.get("run", ""))
        self.assertEqual(self.bash(hist, ws / "mntbench", env), 0)
        for r in self.RUNNERS:
            h = ws / "history" / r
            names = {p.name for p in h.iterdir()}
            self.assertEqual(names, {"base-v6.12"} | {
                k for k in self.KERNELS
                if (r, k) not in missing + absent})
            for k in names - {"base-v6.12"}:
                self.assertTrue((h / k / "manifest.json").is_file())
        return self.bash(gate, ws / "mntbench", env)

    def gitlab(self, statuses, missing=()) -> int:
        doc = yaml.safe_load((CI / "gitlab-fleet.yml").read_text())
        job = doc["mntbench-fleet-gather"]
        proj = self.tmp / "gl" / "proj"
        self.layout(proj / "fleet", statuses, missing)
        self.fake(self.tmp / "gl" / "mntbench")
        script = "\n".join(x for x in job["script"]
                           if not x.startswith("git clone"))
        env = dict(job["variables"], CI_PROJECT_DIR=str(proj))
        # the shell executor's bash: set -eo pipefail
        return self.bash("set -o pipefail\n" + script, proj, env)

    def test_statuses(self):
        for run in (self.github, self.gitlab):
            for statuses, missing, want in (
                    ({}, (), 0),
                    ({("kvm-64", "v6.14"): 1}, (("kvm-8", "v6.13"),), 1),
                    ({("kvm-8", "v6.14"): 3}, (), 3),
                    ({("kvm-8", "v6.14"): 3}, (("kvm-8", "v6.13"),), 125),
                    ({("kvm-8", "v6.14"): 3, ("kvm-64", "v6.13"): 1},
                     (), 1)):
                with self.subTest(run=run.__name__, statuses=statuses,
                                  missing=missing):
                    self.setUp()
                    self.assertEqual(run(statuses, missing), want)
                    calls = self.calls.read_text().splitlines()
                    gates = [c for c in calls if c.startswith("gate ")]
                    self.assertEqual(len(gates), 4 - len(missing))
                    hists = [c for c in calls if c.startswith("history ")]
                    self.assertEqual(len(hists), len(self.RUNNERS))

    def test_github_job_that_never_ran(self):
        # no directory of its own: the ab jobs' result says so
        self.assertEqual(self.github({}, absent=(("kvm-64", "v6.14"),),
                                     result="cancelled"), 125)
        self.setUp()
        self.assertEqual(self.github({}, result="success"), 0)


class RecipesParseTest(unittest.TestCase):
    def test_every_yaml_recipe_parses(self):
        ymls = sorted(f.name for f in CI.glob("*.yml"))
        self.assertEqual(ymls, ["github-actions.yml", "github-calibrate.yml",
                                "github-fleet.yml", "gitlab-ci.yml",
                                "gitlab-fleet.yml"])
        for f in ymls:
            doc = yaml.safe_load((CI / f).read_text())
            self.assertIsInstance(doc, dict, f)
            if f.startswith("github-"):
                # `on:` is YAML 1.1's true to PyYAML; GitHub reads a key
                self.assertIn(True, doc, f)
                self.assertIn("jobs", doc, f)
            # every command a string: an unquoted "echo a: b" item of a
            # script is a mapping, which GitLab refuses
            for cmd in commands(doc):
                self.assertIsInstance(cmd, str, f)


def commands(node):
    """The values of every `script` (GitLab) and `run` (GitHub) key."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k in ("script", "run"):
                yield from v if isinstance(v, list) else [v]
            else:
                yield from commands(v)
    elif isinstance(node, list):
        for v in node:
            yield from commands(v)


if __name__ == "__main__":
    unittest.main()
