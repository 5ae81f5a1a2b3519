"""python3 -m harness.output.export SET... --format F [--direction D] [--out F]

Exit: 0 written; 1 a set is incomplete or failed (nothing written);
2 bad input (no such set, an unknown format, a missing --direction, an
unwritable --out), one line on stderr.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from harness import cli, errors
from harness.analysis import resultset
from harness.output.export import bmf, gab, kcidb, otava_csv

INCOMPLETE = 1
FORMATS = ("bmf", "github-action-benchmark", "kcidb", "csv")


def _check(args) -> None:
    if args.format not in FORMATS:
        raise errors.InputError(
            f"--format {args.format!r}: allowed: {', '.join(FORMATS)}")
    gab_fmt = args.format == "github-action-benchmark"
    if gab_fmt and args.direction not in gab.DIRECTIONS:
        got = "missing" if args.direction is None else repr(args.direction)
        raise errors.InputError(
            f"--direction {got}: --format github-action-benchmark needs "
            f"one of: {', '.join(gab.DIRECTIONS)} (one file per "
            "direction)")
    if not gab_fmt and args.direction is not None:
        raise errors.InputError(
            f"--direction {args.direction}: only for --format "
            "github-action-benchmark")
    if args.format != "csv" and len(args.sets) != 1:
        raise errors.InputError(
            f"{len(args.sets)} sets: --format {args.format} takes one "
            "set (csv takes several: a row each)")


def write_all(files: list[tuple[Path, str]]) -> None:
    """Write every (path, text) or none: all to temp files first, then
    rename them all; on a failure (a full disk) the temp files and the
    files already renamed are removed, and InputError names the file."""
    tmps: list[Path] = []
    done: list[Path] = []
    path = files[0][0]
    try:
        for path, text in files:
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            tmps.append(tmp)
            tmp.write_text(text)
        for (path, _), tmp in zip(files, tmps):
            os.replace(tmp, path)
            done.append(path)
    except BaseException as e:
        for f in [*tmps, *done]:
            try:
                f.unlink(missing_ok=True)
            except OSError:
                pass
        if isinstance(e, OSError):
            names = ", ".join(str(p) for p, _ in files)
            raise errors.InputError(
                f"--out {path}: cannot write: {e.strerror or e}; none of "
                f"{names} written") from e
        raise


def run(args) -> int:
    _check(args)
    sets = [resultset.load(p) for p in args.sets]
    for rs in sets:
        if rs.status != "complete":
            print(f"mntbench-export: result set {rs.path} is {rs.status}",
                  file=sys.stderr)
            return INCOMPLETE
    if args.format == "bmf":
        text = bmf.render(sets)
    elif args.format == "github-action-benchmark":
        text = gab.render(sets, args.direction)
    elif args.format == "kcidb":
        text = kcidb.render(sets)
    else:
        text = otava_csv.render(sets)
    if args.out is None:
        sys.stdout.write(text)
        return 0
    files = [(args.out, text)]
    if args.format == "csv":
        files.append((otava_csv.sidecar_path(args.out),
                      otava_csv.sidecar(sets, args.out.resolve())))
    write_all(files)
    return 0


def _options(ap: cli.Parser) -> None:
    ap.add_argument("sets", nargs="+", type=Path, metavar="SET",
                    help="result set directory (csv: one or more)")
    ap.add_argument("--format", required=True,
                    help=f"one of: {', '.join(FORMATS)}")
    ap.add_argument("--direction",
                    help="github-action-benchmark only (required there): "
                    "bigger (customBiggerIsBetter) or smaller "
                    "(customSmallerIsBetter)")
    ap.add_argument("--out", type=Path, metavar="FILE",
                    help="write FILE (temp file, then rename) instead of "
                    "stdout; csv also writes FILE's Otava config, "
                    "<stem>.otava.yaml, with the metrics' directions")


def main(argv: list[str] | None = None) -> int:
    return cli.command("mntbench-export", __doc__, _options, run, argv)
