"""The shape of the commands that take one result set (collect, report,
spread): `prog SET`, an error as one line on stderr with its status.
guarded() is that error handling, for the other commands that read sets
(export, history) too."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable

from harness import errors


def guarded(prog: str, body: Callable[[], int]) -> int:
    """body's status; an error as one line on stderr and its status. An
    error the code did not expect (a set is untrusted input, and
    harness/setcheck.py should have refused what causes one) is one line
    and 2 as well: never a traceback, never 1 ("regression" to git
    bisect run)."""
    try:
        return body()
    except errors.MntbenchError as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        return e.exit_code
    except Exception as e:
        why = (str(e).splitlines() or [""])[0][:200]
        print(f"{prog}: error: internal: {type(e).__name__}: {why}",
              file=sys.stderr)
        return errors.InputError.exit_code


def on_set(prog: str, description: str, body: Callable[[Path], int],
           argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog=prog, description=description)
    ap.add_argument("set", type=Path, help="result set directory")
    args = ap.parse_args(argv)
    return guarded(prog, lambda: body(args.set))
