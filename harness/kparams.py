"""The patched overlay's module parameters: the mode switch and the
calibration knobs (kernel-patches/series-*/).

Standard library only: the guest runner imports it too.

    private_mounts           how private layer mounts live (the mode)
    synthetic_open_cost      loop iterations added to every overlay open
    synthetic_teardown_cost  loop iterations added to every overlay umount

Both knobs are read once per superblock, like the mode, so a value set
before a point applies to every overlay that point mounts. Under icount
one unit costs 3 instructions (3 ns of guest time at shift=0).
"""

from __future__ import annotations

from pathlib import Path

PARAMS = Path("/sys/module/overlay/parameters")
SWITCH = PARAMS / "private_mounts"

# The switch's values (kernel-patches/series-*/0001)
MODES = ("longterm-array", "longterm-array-normal", "longterm-serial",
         "detached")
UPSTREAM = "longterm-array"     # what the unpatched kernel does
DETACHED = "detached"           # the one mode without longterm mounts
SERIAL = "longterm-serial"      # a grace period per layer at teardown
LONGTERM = tuple(m for m in MODES if m != DETACHED)
FIXED = "fixed"     # the one mode of a kernel without the switch
DEFAULT = "default"  # leave the switch alone: the kernel's own default

# Short name (plans, command lines) -> module parameter
KNOBS = {"open": "synthetic_open_cost",
         "teardown": "synthetic_teardown_cost"}
KNOB_MAX = 1 << 24      # the patch rejects larger values with -EINVAL


class KnobError(ValueError):
    """A knob value that the kernel would reject, or a kernel without the
    knob."""


def parse_knobs(text: str) -> dict[str, int]:
    """'open=38,teardown=1192' -> {'open': 38, 'teardown': 1192};
    '' -> {}."""
    out: dict[str, int] = {}
    for item in filter(None, (s.strip() for s in text.split(","))):
        name, sep, value = item.partition("=")
        if not sep or name not in KNOBS or not value.isdigit() \
                or int(value) > KNOB_MAX:
            raise KnobError(
                f"knob {item!r}: allowed: NAME=N with NAME one of "
                f"{', '.join(KNOBS)} and N in 0..{KNOB_MAX}")
        out[name] = int(value)
    return out


def format_knobs(knobs: dict[str, int]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(knobs.items()))


def apply_knobs(knobs: dict[str, int]) -> None:
    """Set every knob: the given values, 0 for the others. A kernel
    without knobs is fine as long as all are 0."""
    for name, param in KNOBS.items():
        value = knobs.get(name, 0)
        path = PARAMS / param
        if not path.exists():
            if value:
                raise KnobError(f"knob {name}={value}: this kernel has no "
                                f"{path} (series without the knob patch)")
            continue
        path.write_text(str(value))


def plan_mode(tagged: str) -> str:
    """A plan's 'longterm-array#aa' -> 'longterm-array': a tagged copy of
    a mode is an A/A control, run interleaved with the mode itself."""
    return tagged.split("#", 1)[0]


def set_mode(mode: str) -> None:
    """Select the mode; 'fixed' (no switch) and 'default' (the kernel's
    own default) change nothing."""
    if mode not in (FIXED, DEFAULT):
        SWITCH.write_text(mode)
