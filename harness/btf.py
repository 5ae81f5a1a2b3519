"""Struct layout from BTF, through bpftool (for bpftrace 0.17, which has no
offsetof)."""

from __future__ import annotations

import re
import subprocess


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
