"""Errors with the exit status each one maps to.

Exit statuses of the harness commands (also listed in the README):
  2    bad input: a value that is not allowed, a missing file
  3    build failed: a patch that does not apply, a compile error, a
       fragment option the tree lacks
  124  the guest did not finish within its time limit (killed)
  125  the VM could not be run, or died without an exit status (panic);
       git bisect run treats it as "skip"
"""


class MntbenchError(Exception):
    exit_code = 1


class InputError(MntbenchError):
    exit_code = 2


class BuildError(MntbenchError):
    exit_code = 3


class GuestTimeout(MntbenchError):
    exit_code = 124


class VMError(MntbenchError):
    exit_code = 125
