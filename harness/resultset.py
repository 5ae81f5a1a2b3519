"""A result set on disk: loading, validating, atomic writes.

    <set>/manifest.json   what ran where (schema mntbench.manifest/1);
                          "status" is complete, incomplete or failed
    <set>/samples.json    per-metric samples by variant
                          (schema mntbench.samples/1)
    <set>/raw/, probes/, console/   ovlbench and mntlock outputs, boot logs
    <set>/summary.json, report.txt, report.md, plots/
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from harness import errors

SAMPLES_SCHEMA = "mntbench.samples/1"
MANIFEST_SCHEMA = "mntbench.manifest/1"
DIRECTIONS = ("higher", "lower")


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
class Metric:
    name: str
    unit: str
    direction: str              # "higher" or "lower" is better
    variants: dict[str, list[float]]
    label: str = ""
    exact: bool = False         # a count, not a timing: no CI needed


@dataclass
class ResultSet:
    path: Path
    manifest: dict
    metrics: dict[str, Metric]

    @property
    def status(self) -> str:
        return self.manifest.get("status", "incomplete")


def _bad(path: Path, why: str) -> errors.InputError:
    return errors.InputError(f"result set {path}: {why}")


def parse_samples(doc, path: Path) -> dict[str, Metric]:
    if not isinstance(doc, dict) or doc.get("schema") != SAMPLES_SCHEMA:
        raise _bad(path, f"samples.json is not {SAMPLES_SCHEMA}")
    out = {}
    for name, m in doc.get("metrics", {}).items():
        if not isinstance(m, dict) or m.get("direction") not in DIRECTIONS:
            raise _bad(path, f"metric {name}: direction must be one of "
                             f"{', '.join(DIRECTIONS)}")
        variants = m.get("variants")
        if not isinstance(variants, dict):
            raise _bad(path, f"metric {name}: no variants")
        for v, xs in variants.items():
            if not isinstance(xs, list) or not all(
                    isinstance(x, (int, float)) for x in xs):
                raise _bad(path, f"metric {name}/{v}: samples must be numbers")
        out[name] = Metric(name, str(m.get("unit", "")), m["direction"],
                           {v: [float(x) for x in xs]
                            for v, xs in variants.items()},
                           str(m.get("label", "")), bool(m.get("exact")))
    return out


def load(path: Path) -> ResultSet:
    """Load and check a set; InputError (exit 2) if missing or corrupt."""
    path = Path(path)
    if not path.is_dir():
        raise _bad(path, "no such directory")
    try:
        manifest = json.loads((path / "manifest.json").read_text())
        samples = json.loads((path / "samples.json").read_text())
    except FileNotFoundError as e:
        raise _bad(path, f"missing {Path(e.filename).name}") from e
    except ValueError as e:
        raise _bad(path, f"corrupt JSON: {e}") from e
    if manifest.get("schema") != MANIFEST_SCHEMA:
        raise _bad(path, f"manifest.json is not {MANIFEST_SCHEMA}")
    return ResultSet(path, manifest, parse_samples(samples, path))


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


def samples_doc(metrics: dict[str, Metric]) -> dict:
    return {"schema": SAMPLES_SCHEMA, "metrics": {
        n: {"unit": m.unit, "direction": m.direction, "label": m.label,
            "exact": m.exact, "variants": m.variants} for n, m in sorted(metrics.items())}}
