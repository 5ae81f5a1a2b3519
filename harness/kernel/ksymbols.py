"""Names of a guest kernel's addresses, from the built kernel's
System.map: 'symbol+0xoffset'. A guest that randomises its base (KASLR)
is named through the shift between its /proc/kallsyms _text and the
map's."""

from __future__ import annotations

import bisect
from pathlib import Path

from harness import errors

# the kinds of symbol worth naming an address by: text and data, local
# or global (not absolute values such as per-CPU offsets)
KINDS = set("tTdDbBrR")


class Symbols:
    def __init__(self, text: str, where: str = "System.map"):
        syms = []
        for i, line in enumerate(text.splitlines(), 1):
            parts = line.split()
            if len(parts) < 3:
                continue
            try:
                addr = int(parts[0], 16)
            except ValueError:
                raise errors.InputError(
                    f"{where}:{i}: {parts[0]!r}: not a hex address") \
                    from None
            if parts[1] in KINDS:
                syms.append((addr, parts[2]))
        syms.sort()
        self._addrs = [a for a, _ in syms]
        self._names = [n for _, n in syms]
        # the kernel image's bounds
        self.text = {n: a for a, n in syms if n in ("_text", "_end")}

    @classmethod
    def from_file(cls, path: Path) -> "Symbols":
        try:
            return cls(path.read_text(), str(path))
        except OSError as e:
            raise errors.InputError(f"{path}: cannot read ({e.strerror})"
                                    ) from None

    def shift(self, guest_text: int | None) -> int:
        """The guest's KASLR shift: its _text minus the map's (0 when the
        guest did not say)."""
        base = self.text.get("_text")
        return 0 if guest_text is None or base is None \
            else guest_text - base

    def name(self, addr: int) -> str | None:
        """'symbol+0xoff' of an address inside the kernel image, else
        None."""
        lo, hi = self.text.get("_text"), self.text.get("_end")
        if lo is None or hi is None or not lo <= addr < hi:
            return None
        i = bisect.bisect_right(self._addrs, addr) - 1
        if i < 0:
            return None
        return f"{self._names[i]}+{addr - self._addrs[i]:#x}"

