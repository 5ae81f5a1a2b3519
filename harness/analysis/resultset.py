"""A result set read back: the manifest, points and samples, each checked
as untrusted input (harness/setcheck.py); its files' layout and writes
are harness/setfiles.py."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from harness import errors, metrics, point, setcheck
from harness.setfiles import MANIFEST_SCHEMA

if TYPE_CHECKING:
    from harness.analysis import samples


@dataclass
class ResultSet:
    path: Path
    manifest: dict
    records: list[samples.Record]

    @property
    def status(self) -> str:
        return self.manifest.get("status", "incomplete")

    @functools.cached_property
    def series(self) -> dict[tuple[metrics.Measure, str], samples.Series]:
        """(measure, variant) -> unit values, one per run."""
        from harness.analysis import samples
        return samples.series(self.records)

    def select(self, **fields) -> list[samples.Series]:
        """The series whose fields (kind, workload, layers, cpus, quantity,
        mode, variant, stat ...) have these values."""
        def ok(s: samples.Series) -> bool:
            return all((s.measure.stat if k == "stat" else getattr(s, k))
                       == v for k, v in fields.items())
        return [s for s in self.series.values() if ok(s)]

    @functools.cached_property
    def points(self) -> list[point.Point]:
        """The plan's points (points.json); none for a set without it."""
        if not (self.path / "points.json").is_file():
            return []
        from harness.run import kinds
        return point.of_set(self.path, kinds.KINDS)

    @property
    def variants(self) -> list[str]:
        return sorted({r.variant for r in self.records})


def _bad(path: Path, why: str) -> errors.InputError:
    return errors.InputError(f"result set {path}: {why}")


def load(path: Path) -> ResultSet:
    """Load and check a set (setcheck: names, paths and symlinks in it,
    strict JSON; the manifest's types against its schema); InputError
    (exit 2) if missing or corrupt."""
    path = Path(path)
    if not path.is_dir():
        raise _bad(path, "no such directory")
    setcheck.tree(path)
    if not (path / "manifest.json").is_file():
        raise _bad(path, "missing manifest.json")
    manifest = setcheck.read_json(path, "manifest.json")
    if not isinstance(manifest, dict):
        raise _bad(path, f"manifest.json holds a {type(manifest).__name__}"
                         ", not an object")
    if manifest.get("schema") != MANIFEST_SCHEMA:
        raise _bad(path, f"manifest.json is not {MANIFEST_SCHEMA}")
    check_manifest(manifest, f"result set {path}: manifest.json")
    if not (path / "samples.json").is_file():
        raise _bad(path, "missing samples.json")
    from harness.analysis import samples
    rs = ResultSet(path, manifest,
                   samples.load(setcheck.member(path, "samples.json")))
    _check_documents(rs)
    return rs


def _check_documents(rs: ResultSet) -> None:
    """What the report reads beyond samples.json, checked before it is
    read (a plot's failure is only a warning): the points, and each
    probe point's mntlock document as its kind reads it."""
    from harness.run import kinds, probes
    for p in rs.points:
        if p.probe:
            probes.load(rs.path, p.id, kinds.of(p.kind).probe_doc)


def check_manifest(manifest: dict, where: str) -> None:
    """The types of what a manifest holds (its schema, keys that are
    absent aside: sets from before a key was added lack it)."""
    from harness.paths import REPO
    why = setcheck.schema_error(
        manifest, REPO / "harness" / "schemas" / "manifest.schema.json",
        required=False)
    if why is not None:
        raise errors.InputError(f"{where}: {why}")


def validate(path: Path) -> list[str]:
    """Check a set against its JSON schemas (and every raw ovlbench output
    against bench/schema.json, every coherence window against
    coherence.schema.json); the list of problems, empty if valid."""
    import jsonschema

    from harness.paths import REPO
    schemas = REPO / "harness" / "schemas"
    checks = [("manifest.json", schemas / "manifest.schema.json"),
              ("samples.json", schemas / "samples.schema.json")]
    checks += [(str(p.relative_to(path)), REPO / "bench" / "schema.json")
               for p in sorted((path / "raw").glob("*.json"))]
    checks += [(str(p.relative_to(path)), schemas / "coherence.schema.json")
               for p in sorted((path / point.COHERENCE).glob("*.json"))
               if p.name != "names.json"]
    problems = []
    for rel, schema in checks:
        try:
            jsonschema.validate(json.loads((path / rel).read_text()),
                                json.loads(schema.read_text()))
        except (OSError, ValueError, jsonschema.ValidationError) as e:
            problems.append(f"{rel}: {str(e).splitlines()[0]}")
    return problems
