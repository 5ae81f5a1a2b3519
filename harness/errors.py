"""Errors with the exit status each one maps to.

The statuses, and what each means for each command, are one table:
harness/exitstatus.py (./mntbench --explain reads it, and
docs/variables-and-exit-statuses.md holds it). In short: 2 bad input, 3
build failed, 124 the guest did not finish within its time limit, 125
the VM could not be run or died without an exit status (panic; git
bisect run treats it as "skip"). A guest command's own status passes
through only when the guest ran it to its end (harness/kernel/vm.py VMResult):
then 124 and 125 are the command's, and `outcome` tells a boot's three
ends apart in messages and manifests.
"""

from harness import exitstatus


class MntbenchError(Exception):
    exit_code = exitstatus.FAILED


class InputError(MntbenchError):
    exit_code = exitstatus.BAD_INPUT


class BuildError(MntbenchError):
    exit_code = exitstatus.BUILD_FAILED


class GuestTimeout(MntbenchError):
    exit_code = exitstatus.TIME_LIMIT
    outcome = "time-limit"      # the watchdog killed the guest


class VMError(MntbenchError):
    exit_code = exitstatus.VM_FAILURE
    outcome = "vm-failure"      # no exit status: panic, QEMU failure
