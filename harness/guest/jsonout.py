"""Guest-side JSON output for the host to read: written to a temp file
and renamed, so the host never reads half a document. Standard library
only (guest scripts import it without the harness's dependencies)."""

from __future__ import annotations

import json
from pathlib import Path


def write_doc(path: Path, doc: dict) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(doc, indent=2) + "\n")
    tmp.rename(path)
