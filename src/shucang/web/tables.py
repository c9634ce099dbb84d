"""The one table shape every cockpit page uses.

A page's data function builds :class:`Table` objects; the HTML macro, the JSON twin and the export
routes (:mod:`shucang.web.exports`) all read the same object, so a downloaded file always matches
what the page shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


@dataclass
class Column:
    """One column: machine key, shown label, and how the HTML cell is formatted."""

    key: str
    label: str
    kind: str = "text"
    """text | number | count | ratio | percent | status | code | person | link | when | bool — how a cell is
    shown (``code``: through the code → label table; ``person``: display name instead of login id)."""


@dataclass
class Table:
    """Rows of plain values (dicts keyed by column key) with labelled columns."""

    name: str
    """Export name, e.g. ``indicators`` (→ ``/export/indicators.xlsx``)."""
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]] = field(default_factory=list)
    export_url: str | None = None
    """Base URL of the export route without extension (set by the page)."""
    note: str = ""
    period: str = ""
    """What time the rows cover (e.g. ``2021–2025``), for an export's title block."""
    sources: list[str] = field(default_factory=list)
    """Source datasets with versions (``enterprise_cloud v3``); empty: every dataset of the warehouse."""
    synthetic: bool = False
    caliber: str = ""
    """统计口径 of the figures (e.g. comparable enterprises both years), when it matters: a title-block line."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "columns": [{"key": c.key, "label": c.label} for c in self.columns],
            "rows": [{c.key: jsonable(row.get(c.key)) for c in self.columns} for row in self.rows],
        }


def jsonable(value: Any) -> Any:
    """Dates as ISO text; everything else unchanged (numbers stay numbers)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value
