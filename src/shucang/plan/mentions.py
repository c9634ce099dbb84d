"""Whether YAML definition files can name a dataset at all — read as text, without parsing them.

After every ingest the plan and city hooks ask "does any plan metric / sign read this dataset?".
Parsing the bundled plan (42 KB of YAML) to answer costs more than a small ingest itself. A file
can name the dataset only if its text holds the name as a whole word (dataset names are ``\\w``
words, so ``bench`` inside ``benchmark_iip_platforms`` names nothing; any case, as SQL identifiers;
with or without the ``__raw`` suffix of the table under a dataset's view), or holds a backslash (a
YAML escape could spell it otherwise); so files that do neither are skipped and the parse runs only
when it may matter.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path


def may_name(directories: Iterable[Path], name: str) -> bool:
    """True when a ``*.yaml`` file in ``directories`` may name ``name`` (or cannot be read as text:
    the real loader then reports it)."""
    word = re.compile(rf"(?<!\w){re.escape(name)}(?:__raw)?(?!\w)", re.IGNORECASE)
    for directory in directories:
        if not directory.is_dir():
            continue
        for path in directory.glob("*.yaml"):
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                return True
            if "\\" in text or word.search(text):
                return True
    return False
