"""The shape of the commands that take one result set (collect, report,
spread): `prog SET`, an error as one line on stderr with its status."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable

from harness import errors


def on_set(prog: str, description: str, body: Callable[[Path], int],
           argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog=prog, description=description)
    ap.add_argument("set", type=Path, help="result set directory")
    args = ap.parse_args(argv)
    try:
        return body(args.set)
    except errors.MntbenchError as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        return e.exit_code
