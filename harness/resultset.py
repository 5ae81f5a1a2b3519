"""A result set on disk: loading, validating, atomic writes.

    <set>/manifest.json   what ran where (schema mntbench.manifest/1);
                          "status" is complete, incomplete or failed
    <set>/samples.json    one record per value (schema
                          mntbench.samples/2, harness/samples.py)
    <set>/raw/, probes/, console/   ovlbench and mntlock outputs, boot logs
    <set>/summary.json, report.txt, report.md, plots/
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass
from pathlib import Path

from harness import errors, metrics, point, samples

MANIFEST_SCHEMA = "mntbench.manifest/1"


def write_json(path: Path, doc) -> None:
    """Write, then rename: a reader never sees half a file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
    os.replace(tmp, path)


def write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


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
        f = self.path / "points.json"
        if not f.is_file():
            return []
        return point.load(json.loads(f.read_text()))

    @property
    def variants(self) -> list[str]:
        return sorted({r.variant for r in self.records})


def _bad(path: Path, why: str) -> errors.InputError:
    return errors.InputError(f"result set {path}: {why}")


def load(path: Path) -> ResultSet:
    """Load and check a set; InputError (exit 2) if missing or corrupt."""
    path = Path(path)
    if not path.is_dir():
        raise _bad(path, "no such directory")
    try:
        manifest = json.loads((path / "manifest.json").read_text())
    except FileNotFoundError as e:
        raise _bad(path, f"missing {Path(e.filename).name}") from e
    except ValueError as e:
        raise _bad(path, f"manifest.json: corrupt JSON: {e}") from e
    if not isinstance(manifest, dict):
        raise _bad(path, f"manifest.json holds a {type(manifest).__name__}"
                         ", not an object")
    if manifest.get("schema") != MANIFEST_SCHEMA:
        raise _bad(path, f"manifest.json is not {MANIFEST_SCHEMA}")
    if not (path / "samples.json").is_file():
        raise _bad(path, "missing samples.json")
    return ResultSet(path, manifest, samples.load(path / "samples.json"))


def validate(path: Path) -> list[str]:
    """Check a set against its JSON schemas (and every raw ovlbench output
    against bench/schema.json); the list of problems, empty if valid."""
    import jsonschema

    from harness.paths import REPO
    schemas = REPO / "harness" / "schemas"
    checks = [("manifest.json", schemas / "manifest.schema.json"),
              ("samples.json", schemas / "samples.schema.json")]
    checks += [(str(p.relative_to(path)), REPO / "bench" / "schema.json")
               for p in sorted((path / "raw").glob("*.json"))]
    problems = []
    for rel, schema in checks:
        try:
            jsonschema.validate(json.loads((path / rel).read_text()),
                                json.loads(schema.read_text()))
        except (OSError, ValueError, jsonschema.ValidationError) as e:
            problems.append(f"{rel}: {str(e).splitlines()[0]}")
    return problems
