"""The shape of the commands that read result sets: command() parses
the options (an argparse error is one line, exit 2) and runs the body
under guarded() (an error is one line on stderr, with its status).
on_set() is the command that takes one set (collect, report, spread):
`prog SET`; export and history give their own options."""

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


class Parser(argparse.ArgumentParser):
    """argparse whose errors are one line (no usage), exit 2."""

    def error(self, message: str):
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        sys.exit(errors.InputError.exit_code)


def command(prog: str, doc: str, options: Callable[[Parser], None],
            body: Callable[[argparse.Namespace], int],
            argv: list[str] | None = None) -> int:
    """options(parser) adds the command's options; body(args)'s status,
    guarded."""
    ap = Parser(prog=prog, description=doc,
                formatter_class=argparse.RawDescriptionHelpFormatter)
    options(ap)
    args = ap.parse_args(argv)
    return guarded(prog, lambda: body(args))


def on_set(prog: str, description: str, body: Callable[[Path], int],
           argv: list[str] | None = None) -> int:
    return command(prog, description, lambda ap: ap.add_argument(
        "set", type=Path, help="result set directory"),
        lambda args: body(args.set), argv)
