"""Turning a header record into column names every later stage can rely on.

Names are trimmed of whitespace and BOM; a blank name whose column holds data is named after its
position (``列3``); an unnamed all-empty column (a trailing delimiter) is dropped; duplicates get a
suffix (``电话``, ``电话_2``) so that every column is kept.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_STRIP = " \t\r\n\ufeff\u3000\u00a0\u200b"
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
"""Characters no column name may hold: a NUL (or a lone surrogate) in a name breaks every SQL
statement that lists the table, and other control characters cannot be typed or shown."""


_TITLE_TEXT = re.compile(r"[：:]|^.{6,}$|[表册单]$")
"""A lone cell that reads as a title (``填报单位：…``, ``慈溪市…花名册``) rather than a column name."""
MAX_TITLE_LINES = 5


def looks_like_title(text: str) -> bool:
    """Could this lone cell above a table be a title line rather than the header of a one-column table?"""
    return bool(_TITLE_TEXT.search(clean_name(text)))


def clean_name(raw: object) -> str:
    """A header cell as a name: trimmed of whitespace (ASCII, full-width, NBSP) and BOM."""
    return ("" if raw is None else str(raw)).strip(_STRIP)


def unsafe_name(name: str) -> bool:
    """Does ``name`` hold a character no column name may hold (see ``_CONTROL``)?"""
    return bool(_CONTROL.search(name))


def safe_name(raw: object) -> str:
    """``clean_name`` without control characters (NUL and the like are dropped, see ``_CONTROL``)."""
    return clean_name(_CONTROL.sub("", clean_name(raw)))


@dataclass(frozen=True)
class Header:
    """The header of a table: names kept, and which raw positions they come from."""

    raw: tuple[str, ...]
    """Header cells as read (untrimmed), used to spot repeated header lines."""
    names: tuple[str, ...]
    """Final, unique, non-blank names of the kept columns."""
    keep: tuple[int, ...]
    """Raw positions of the kept columns, in order."""
    notes: tuple[str, ...] = ()
    """What was changed in the names, for the person ingesting (control characters removed)."""

    @property
    def width(self) -> int:
        """Number of fields a record must have."""
        return len(self.raw)

    @property
    def dropped(self) -> tuple[int, ...]:
        """Raw positions dropped (unnamed and empty in the sample)."""
        kept = set(self.keep)
        return tuple(i for i in range(len(self.raw)) if i not in kept)


def build_header(raw: Sequence[object], has_data: Sequence[bool] | None = None) -> Header:
    """Names for ``raw`` header cells; ``has_data[i]`` says whether column ``i`` holds any value.

    Without ``has_data`` every unnamed column is kept (and named).
    """
    cells = tuple("" if c is None else str(c) for c in raw)
    cleaned = [safe_name(c) for c in cells]
    notes = tuple(f"第{i + 1}列的列名含控制字符（如 NUL），已删除这些字符：{cleaned[i] or f'列{i + 1}'!r} "
                  f"(column {i + 1}: control characters such as NUL removed from its name)"
                  for i, c in enumerate(cells) if _CONTROL.search(c))
    keep: list[int] = []
    names: list[str] = []
    for i, name in enumerate(cleaned):
        if not name:
            if has_data is not None and i < len(has_data) and not has_data[i]:
                continue
            name = f"列{i + 1}"
        keep.append(i)
        names.append(name)
    return Header(raw=cells, names=tuple(unique_names(names)), keep=tuple(keep), notes=notes)


def unique_names(names: Sequence[str]) -> list[str]:
    """Make names unique, case-insensitively (DuckDB and Delta fold case): ``a, a, A`` → ``a, a_2, A_3``."""
    seen: set[str] = {n.casefold() for n in names}
    used: set[str] = set()
    out: list[str] = []
    for name in names:
        if name.casefold() not in used:
            used.add(name.casefold())
            out.append(name)
            continue
        n = 2
        while f"{name}_{n}".casefold() in used or f"{name}_{n}".casefold() in seen:
            n += 1
        candidate = f"{name}_{n}"
        used.add(candidate.casefold())
        out.append(candidate)
    return out
