"""Struct layout from BTF, through bpftool (for bpftrace 0.17, which has no
offsetof).  Standard library only, nothing from outside bpf/: the guest
checks in bpf/tests import it, and so may the code that drives them.

    python3 bpf/btf.py [BTF [STRUCT MEMBER]]   # default: the running
                                               # kernel's mount.mnt
"""

from __future__ import annotations

import re
import subprocess
import sys


def member_offset(btf: str, struct: str, member: str) -> int:
    """Byte offset of struct.member in the BTF file (vmlinux or
    /sys/kernel/btf/vmlinux)."""
    raw = subprocess.run(["bpftool", "btf", "dump", "file", btf,
                          "format", "raw"], capture_output=True, text=True,
                         check=True).stdout
    head = re.compile(rf"^\[\d+\] STRUCT '{re.escape(struct)}' ")
    inside = False
    for line in raw.splitlines():
        if line.startswith("["):
            inside = bool(head.match(line))
            continue
        if inside:
            m = re.match(rf"\s+'{re.escape(member)}' type_id=\d+ "
                         r"bits_offset=(\d+)", line)
            if m:
                return int(m.group(1)) // 8
    raise LookupError(f"struct {struct} has no member {member} in {btf}")


def main(argv: list[str]) -> int:
    """Print the offset: what bpf/*.bt take as $1."""
    if len(argv) not in (0, 1, 3):
        print("usage: btf.py [BTF [STRUCT MEMBER]]", file=sys.stderr)
        return 2
    btf = argv[0] if argv else "/sys/kernel/btf/vmlinux"
    struct, member = argv[1:3] if len(argv) == 3 else ("mount", "mnt")
    print(member_offset(btf, struct, member))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
