#!/usr/bin/python3
"""Check ovlbench JSON against bench/schema.json, then for consistency.

Usage: validate.py FILE...   (exit 0 if all are valid, 1 if not)

Standard library only: the schema check interprets the subset of JSON
Schema draft-07 that schema.json uses ($ref to #/definitions, type,
const, enum, required, properties, additionalProperties, items, minItems,
maxItems, minLength, minimum, maximum, exclusiveMinimum).  If the jsonschema
package is installed (Debian: python3-jsonschema) it checks as well.
"""

import json
import sys
from pathlib import Path

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schema.json"

TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: (isinstance(v, (int, float))
                         and not isinstance(v, bool)),
}

KNOWN = {"$schema", "$id", "title", "description", "definitions", "$ref",
         "type", "const", "enum", "required", "properties",
         "additionalProperties", "items", "minItems", "maxItems",
         "minLength", "minimum", "maximum", "exclusiveMinimum"}


def load_schema():
    with open(SCHEMA_PATH) as f:
        return json.load(f)


def _check(value, schema, root, path, errors):
    unknown = set(schema) - KNOWN
    if unknown:
        raise ValueError(f"validate.py does not know {sorted(unknown)}")
    if "$ref" in schema:
        name = schema["$ref"].removeprefix("#/definitions/")
        _check(value, root["definitions"][name], root, path, errors)
    types = schema.get("type")
    if types is not None:
        types = [types] if isinstance(types, str) else types
        if not any(TYPES[t](value) for t in types):
            errors.append(f"{path}: {value!r:.60} is not {'/'.join(types)}")
            return
    if "const" in schema and value != schema["const"]:
        errors.append(f"{path}: {value!r} is not {schema['const']!r}")
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{path}: {value!r} not in {schema['enum']}")
    if TYPES["number"](value):
        if "minimum" in schema and value < schema["minimum"]:
            errors.append(f"{path}: {value} < {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            errors.append(f"{path}: {value} > {schema['maximum']}")
        if ("exclusiveMinimum" in schema
                and value <= schema["exclusiveMinimum"]):
            errors.append(f"{path}: {value} <= {schema['exclusiveMinimum']}")
    if isinstance(value, str) and len(value) < schema.get("minLength", 0):
        errors.append(f"{path}: string shorter than {schema['minLength']}")
    if isinstance(value, dict):
        for key in schema.get("required", []):
            if key not in value:
                errors.append(f"{path}: missing {key!r}")
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        for key, sub in value.items():
            if key in props:
                _check(sub, props[key], root, f"{path}.{key}", errors)
            elif extra is False:
                errors.append(f"{path}: unexpected {key!r}")
            elif isinstance(extra, dict):
                _check(sub, extra, root, f"{path}.{key}", errors)
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            errors.append(f"{path}: fewer than {schema['minItems']} items")
        if len(value) > schema.get("maxItems", len(value)):
            errors.append(f"{path}: more than {schema['maxItems']} items")
        if "items" in schema:
            for i, item in enumerate(value):
                _check(item, schema["items"], root, f"{path}[{i}]", errors)


def schema_errors(doc, schema=None):
    """Where doc breaks schema.json, as a list of messages."""
    schema = schema or load_schema()
    errors = []
    _check(doc, schema, schema, "$", errors)
    try:
        import jsonschema
    except ImportError:
        return errors
    validator = jsonschema.Draft7Validator(schema)
    errors += [f"jsonschema: {e.message}" for e in validator.iter_errors(doc)]
    return errors


def consistency_errors(doc):
    """What the schema cannot say: shapes agree, totals add up."""
    errors = []
    params = doc["params"]
    ntasks, nint = params["tasks"], params["intervals"]
    ops = params.get("ops")
    if not params["target"] and len(doc["runs"]) != len(params["layers"]):
        errors.append("one run per --layers entry expected")
    if (ops is None) != (params["duration_s"] is not None
                         and params["interval_s"] is not None):
        errors.append("params: duration_s and interval_s are null exactly"
                      " with ops")
    if ops is not None and nint != 1:
        errors.append(f"params.intervals: {nint}, not 1 with ops")
    for n, run in enumerate(doc["runs"]):
        where = f"runs[{n}]"
        if not params["target"] and run["layers"] != params["layers"][n]:
            errors.append(f"{where}: layers differ from params")
        for key in ("task_cpus", "task_roles", "task_totals",
                    "task_cpu_ops"):
            if key in run and len(run[key]) != ntasks:
                errors.append(f"{where}.{key}: not one per task")
        if len(run["samples"]) != nint or len(run["intervals_s"]) != nint:
            errors.append(f"{where}: not {nint} intervals")
        for i, row in enumerate(run["samples"]):
            if len(row) != ntasks:
                errors.append(f"{where}.samples[{i}]: not one per task")
        for t in range(min(ntasks, len(run["task_totals"]))):
            total = sum(row[t] for row in run["samples"] if t < len(row))
            if total != run["task_totals"][t]:
                errors.append(f"{where}: task {t} samples sum to {total},"
                              f" task_totals says {run['task_totals'][t]}")
        if ops is not None and run["task_totals"] != [ops] * ntasks:
            errors.append(f"{where}.task_totals: not {ops} each (ops)")
        # with --ops the tasks sleep when their clocks are read
        if ops is not None and run.get("task_cpu_ops", [ops] * ntasks) \
                != [ops] * ntasks:
            errors.append(f"{where}.task_cpu_ops: not {ops} each (ops)")
        summ = run["summary"]
        tasks = [t for t, r in enumerate(run["task_roles"])
                 if has_role(r, summ["role"])]
        if summ["tasks"] != len(tasks):
            errors.append(f"{where}.summary.tasks: not {len(tasks)}")
        total = sum(run["task_totals"][t] for t in tasks
                    if t < len(run["task_totals"]))
        if summ["total_ops"] != total:
            errors.append(f"{where}.summary.total_ops: {summ['total_ops']}"
                          f" but its tasks' totals sum to {total}")
        if ops is not None and summ.get("lifetime_ops") != total:
            errors.append(f"{where}.summary.lifetime_ops: not total_ops"
                          " (ops: no warm-up, no tail)")
        errors += lifetime_errors(where, run, tasks, ntasks)
        errors += victim_errors(where, run, params)
        lat = run["latency"]
        if (lat is None) != ("churn" not in run["task_roles"]):
            errors.append(f"{where}.latency: null iff no churn task")
        for key in ("mount_ns", "umount_ns") if lat else ():
            st = lat[key]
            raw = st["raw"]
            if len(raw) != ntasks:
                errors.append(f"{where}.latency.{key}.raw: not per task")
            for t, vals in enumerate(raw):
                if vals and run["task_roles"][t] != "churn":
                    errors.append(f"{where}.latency.{key}: task {t} is "
                                  "not a churn task but has latencies")
            values = sorted(v for vals in raw for v in vals)
            if st["count"] != len(values):
                errors.append(f"{where}.latency.{key}.count: not the "
                              "number of raw values")
            if values and [st["min"], st["max"]] != [values[0], values[-1]]:
                errors.append(f"{where}.latency.{key}: min/max not raw's")
            order = [st[k] for k in ("min", "median", "p90", "p99", "max")]
            if values and order != sorted(order):
                errors.append(f"{where}.latency.{key}: percentiles out of"
                              " order")
    return errors


def has_role(role, summary_role):
    """A task's role is the summary's, or summary_role-something:
    "victim" covers victim-stat and victim-open-close."""
    return role == summary_role or role.startswith(summary_role + "-")


def lifetime_errors(where, run, tasks, ntasks):
    """task_lifetime_ops (absent in older files): every op of each task,
    so at least its total; the summary's tasks sum to lifetime_ops."""
    life = run.get("task_lifetime_ops")
    if life is None:
        return []
    if len(life) != ntasks:
        return [f"{where}.task_lifetime_ops: not one per task"]
    errors = [f"{where}.task_lifetime_ops[{t}]: {n} < task_totals {tot}"
              for t, (n, tot) in enumerate(zip(life, run["task_totals"]))
              if n < tot]
    want = sum(life[t] for t in tasks)
    if run["summary"].get("lifetime_ops", want) != want:
        errors.append(f"{where}.summary.lifetime_ops: not the sum of its"
                      f" tasks' task_lifetime_ops ({want})")
    return errors


def victim_errors(where, run, params):
    """params.victims (absent in older files) counts the victim-* tasks;
    aggressors and victims, and victim_dir, exactly with victims."""
    victims = params.get("victims")
    roles = run["task_roles"]
    nvict = sum(has_role(r, "victim") for r in roles)
    errors = []
    if victims is None:
        if nvict or "aggressor" in roles or run.get("victim_dir"):
            errors.append(f"{where}: victims or aggressors, or victim_dir,"
                          " without params.victims")
        return errors
    if nvict != victims:
        errors.append(f"{where}.task_roles: {nvict} victims, params says"
                      f" {victims}")
    if roles.count("aggressor") != len(roles) - nvict:
        errors.append(f"{where}.task_roles: not all others aggressors")
    if not run.get("victim_dir"):
        errors.append(f"{where}.victim_dir: missing with victims")
    return errors


def errors(doc):
    errs = schema_errors(doc)
    return errs or consistency_errors(doc)


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    status = 0
    for name in argv[1:]:
        with open(name) as f:
            errs = errors(json.load(f))
        for e in errs:
            print(f"{name}: {e}")
        print(f"{name}: {'invalid' if errs else 'ok'}")
        status |= bool(errs)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
