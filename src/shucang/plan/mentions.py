"""Whether YAML definition files can name a dataset at all — read as text, without parsing them.

After every ingest the plan and city hooks ask "does any plan metric / sign read this dataset?".
Parsing the bundled plan (42 KB of YAML) to answer costs more than a small ingest itself. A file
can name the dataset only if its text holds the name, or holds a backslash (a YAML escape could
spell it otherwise); so files that do neither are skipped and the parse runs only when it may matter.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


def may_name(directories: Iterable[Path], name: str) -> bool:
    """True when a ``*.yaml`` file in ``directories`` may name ``name`` (or cannot be read as text:
    the real loader then reports it)."""
    for directory in directories:
        if not directory.is_dir():
            continue
        for path in directory.glob("*.yaml"):
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                return True
            if name in text or "\\" in text:
                return True
    return False
