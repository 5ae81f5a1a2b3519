"""The coherence model: which cache lines an op fights over, read from the
plugin's window documents (coherence/SCHEMA.md). The rule and the
metrics are defined here and nowhere else.

A window holds, per vCPU, its complete ops, and per physical 64-byte
line that two or more vCPUs touched in those ops: how many of each
vCPU's ops touched it and wrote it, and which bytes each vCPU touched and
wrote.

- A line is *fought over* when at least two vCPUs each touch it in at
  least TOUCH_MIN of their ops, and at least one of those writes it in at
  least WRITE_MIN of its ops.
- It is *falsely shared* when, in addition, no byte that one vCPU writes
  is touched by another: the vCPUs use disjoint bytes of it.
- *Fought-over lines per op* is the sum, over fought-over lines and over
  the vCPUs that touch each, of the fraction of that vCPU's ops that
  touch it, divided by the vCPUs with ops: the mean number of fought-over
  lines an op touches. It is the model's upper bound on cache-line
  transfers per op under full concurrency: caches are infinite (no
  capacity or conflict misses), a write invalidates every other copy, and
  every touch of a line that another vCPU writes is taken to find it
  elsewhere. It is not a cycle count, and it does not depend on the order
  in which the vCPUs ran.
- The *op's own* lines are the fought-over lines that the vCPUs touch in
  at least OWN_MIN of their ops, on average: what every op does, as
  against work that comes every few ops (RCU callbacks, page frees, timer
  ticks). Under icount an op is a few microseconds of guest time and a
  tick falls in almost none; under MTTCG the tick keeps wall time while
  the plugin slows the guest, and vCPUs really spin, so lines touched in
  a fraction of ops come in. The op's own lines are what both clocks
  share (README, "Cache lines fought over").
"""

from __future__ import annotations

from dataclasses import dataclass

from harness import errors

TOUCH_MIN = 0.01
WRITE_MIN = 0.01
OWN_MIN = 0.9
SCHEMA = 1
TOOL = "mntbench-coherence"


@dataclass(frozen=True)
class Use:
    """One vCPU's use of a line."""
    vcpu: int
    rate: float         # fraction of its ops that touch the line
    write_rate: float   # ... that write it
    touch_mask: int     # bytes touched (bit i: byte i)
    write_mask: int
    gs: bool            # reached through %gs: the vCPU's per-CPU area
    va: int
    loads: int
    stores: int


@dataclass(frozen=True)
class Site:
    pc: int
    loads: int
    stores: int


@dataclass(frozen=True)
class Line:
    pa: int
    uses: tuple[Use, ...]
    sites: tuple[Site, ...]

    @property
    def touchers(self) -> tuple[Use, ...]:
        return tuple(u for u in self.uses if u.rate >= TOUCH_MIN)

    @property
    def writers(self) -> tuple[Use, ...]:
        return tuple(u for u in self.touchers if u.write_rate >= WRITE_MIN)

    @property
    def fought(self) -> bool:
        return len(self.touchers) >= 2 and bool(self.writers)

    @property
    def false_shared(self) -> bool:
        """No byte one vCPU writes is touched by another."""
        us = self.touchers
        return not any(a.write_mask & b.touch_mask
                       for a in us for b in us if a.vcpu != b.vcpu)

    @property
    def per_op(self) -> float:
        """Summed touch rates of its touchers (a line every vCPU touches
        in every op: the vCPUs' count)."""
        return sum(u.rate for u in self.touchers)

    @property
    def percpu_of(self) -> int | None:
        """The vCPU whose per-CPU area it is (it reached it through
        %gs), if exactly one did."""
        gs = [u.vcpu for u in self.uses if u.gs]
        return gs[0] if len(gs) == 1 else None

    @property
    def va(self) -> int:
        """A kernel-image address if any vCPU used one, else the first."""
        vas = [u.va for u in self.uses]
        image = [v for v in vas if v >= KERNEL_IMAGE]
        return (image or vas)[0]

    @property
    def hot_va(self) -> int:
        """The address of the first byte that its writers write (else
        that its touchers touch): what names the line, when it holds more
        than one variable."""
        mask = 0
        for u in self.writers:
            mask |= u.write_mask
        for u in self.touchers if not mask else ():
            mask |= u.touch_mask
        return self.va + ((mask & -mask).bit_length() - 1 if mask else 0)


# x86-64: the kernel image is mapped from here (__START_KERNEL_map);
# the direct map and vmalloc lie below it, user space below 2^47
KERNEL_IMAGE = 0xffffffff80000000
USER_END = 1 << 47


@dataclass(frozen=True)
class Window:
    ops: dict[int, int]         # vCPU -> complete ops, for vCPUs with ops
    lines: tuple[Line, ...]     # lines two or more vCPUs touched

    @property
    def fought(self) -> list[Line]:
        """Fought-over lines, most touched first."""
        return sorted((ln for ln in self.lines if ln.fought),
                      key=lambda ln: (-ln.per_op, ln.pa))

    @property
    def own(self) -> list[Line]:
        """The op's own fought-over lines (OWN_MIN)."""
        n = len(self.ops)
        return [ln for ln in self.fought if ln.per_op / n >= OWN_MIN]

    def per_op(self, false_only: bool = False) -> float:
        """Fought-over (falsely shared) lines per op; 0 with fewer than
        two vCPUs."""
        if not self.ops:
            return 0.0
        return sum(ln.per_op for ln in self.fought
                   if ln.false_shared or not false_only) / len(self.ops)


def _bad(where: str, what: str) -> errors.InputError:
    return errors.InputError(f"{where}: {what}; not a coherence window "
                             f"document ({TOOL} schema {SCHEMA})")


def _uint(d: dict, key: str, where: str) -> int:
    v = d.get(key) if isinstance(d, dict) else None
    if isinstance(v, bool) or not isinstance(v, int) or v < 0:
        raise _bad(where, f"{key}={v!r}, allowed: an integer >= 0")
    return v


def _hex(d: dict, key: str, where: str) -> int:
    v = d.get(key) if isinstance(d, dict) else None
    try:
        if not isinstance(v, str) or not v.startswith("0x"):
            raise ValueError
        n = int(v, 16)
    except ValueError:
        raise _bad(where, f"{key}={v!r}, allowed: a hex string 0x...") \
            from None
    if not 0 <= n < 1 << 64:
        raise _bad(where, f"{key}={v!r}, allowed: 64 bits")
    return n


def _list(d: dict, key: str, where: str) -> list:
    v = d.get(key) if isinstance(d, dict) else None
    if not isinstance(v, list):
        raise _bad(where, f"{key} is {type(v).__name__}, allowed: a list")
    return v


def load(doc, where: str) -> Window:
    """A window from the plugin's document; InputError (one line naming
    the field) if it is not one."""
    if not isinstance(doc, dict) or doc.get("tool") != TOOL or \
            doc.get("schema") != SCHEMA:
        raise _bad(where, "tool or schema differs")
    if _uint(doc, "line_size", where) != 64:
        raise _bad(where, f"line_size={doc['line_size']}, allowed: 64")
    ops = {}
    for v in _list(doc, "vcpus", where):
        n = _uint(v, "ops", where)
        if n:
            ops[_uint(v, "vcpu", where)] = n
    lines = []
    for ln in _list(doc, "lines", where):
        uses = []
        for u in _list(ln, "vcpus", where):
            cpu = _uint(u, "vcpu", where)
            n = ops.get(cpu, 0)
            touch, write = _uint(u, "ops_touch", where), \
                _uint(u, "ops_write", where)
            if write > touch or (n and touch > n):
                raise _bad(where, f"vcpu {cpu}: ops_touch={touch}, "
                           f"ops_write={write} with {n} ops")
            uses.append(Use(
                vcpu=cpu, rate=touch / n if n else 0.0,
                write_rate=write / n if n else 0.0,
                touch_mask=_hex(u, "touch_mask", where),
                write_mask=_hex(u, "write_mask", where),
                gs=u.get("gs") is True, va=_hex(u, "va", where),
                loads=_uint(u, "loads", where),
                stores=_uint(u, "stores", where)))
        sites = tuple(Site(_hex(s, "pc", where), _uint(s, "loads", where),
                           _uint(s, "stores", where))
                      for s in _list(ln, "sites", where))
        lines.append(Line(_hex(ln, "pa", where), tuple(uses), sites))
    return Window(ops, tuple(lines))
