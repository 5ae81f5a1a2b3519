"""Guest-side JSON output for the host to read: written to a temp file
and renamed, so the host never reads half a document. Standard library
only (guest scripts import it without the harness's dependencies)."""

from __future__ import annotations

import json
from pathlib import Path


def write_doc(path: Path, doc: dict) -> None:
    """A failure (a full results disk) leaves neither the document nor
    its temp file."""
    tmp = path.with_suffix(".tmp")
    try:
        tmp.write_text(json.dumps(doc, indent=2) + "\n")
        tmp.rename(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
