"""Guest-side helper of the guest checks (bpf/tests/guest_checks.py and
harness/tests/guest/check_*.py): a tmpfs of lower dirs."""

from __future__ import annotations

import subprocess
from pathlib import Path


def make_layers(root: Path, n: int) -> str:
    """Mount a tmpfs on root with lower dirs 0..n-1 (file 'f' in the
    bottom one) and an empty mount point root/m; the lowerdir string."""
    root.mkdir(exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "tmpfs", str(root)], check=True)
    for i in range(n):
        (root / str(i)).mkdir()
    (root / str(n - 1) / "f").write_text("bottom\n")
    (root / "m").mkdir()
    return ":".join(str(root / str(i)) for i in range(n))
