"""Errors with the exit status each one maps to.

Exit statuses of the harness commands (also listed in the README):
  2    bad input: a value that is not allowed, a missing file
  3    build failed: a patch that does not apply, a compile error, a
       fragment option the tree lacks
  124  the guest did not finish within its time limit (killed)
  125  the VM could not be run, or died without an exit status (panic);
       git bisect run treats it as "skip"
A guest command's own status passes through only when the guest ran it
to its end (harness/vm.py VMResult): then 124 and 125 are the command's,
and `outcome` tells a boot's three ends apart in messages and manifests.
"""


class MntbenchError(Exception):
    exit_code = 1


class InputError(MntbenchError):
    exit_code = 2


class BuildError(MntbenchError):
    exit_code = 3


class GuestTimeout(MntbenchError):
    exit_code = 124
    outcome = "time-limit"      # the watchdog killed the guest


class VMError(MntbenchError):
    exit_code = 125
    outcome = "vm-failure"      # no exit status: panic, QEMU failure
