"""What the row-filter condition builder offers: columns, operators and, for non-sensitive columns
with few distinct values, the values themselves (so 周巷镇 is picked, not typed).

Values are offered only for level-1 (不敏感) columns: offering the values of a sensitive column to
someone who is still asking for access would disclose them. The builder writes the same filter
language the API takes (``{"and": [{"column", "op", "value"}]}``, see ``shucang.share.query``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shucang.errors import ShucangError
from shucang.web.dictionary import column_label
from shucang.web.i18n import N_, gettext

if TYPE_CHECKING:
    from shucang.warehouse import Warehouse

MAX_VALUES = 60
"""Columns with more distinct values get a free text box (with the dictionary's label) instead."""
OPERATORS = (("=", N_("equals")), ("!=", N_("does not equal")), (">", N_("greater than")),
             (">=", N_("at least")), ("<", N_("less than")), ("<=", N_("at most")), ("in", N_("is one of")),
             ("like", N_("matches")), ("is null", N_("is empty")), ("is not null", N_("is not empty")))


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def column_choices(wh: Warehouse, dataset: str, columns: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """``[{name, label, level, type, values}]`` for the builder (``values`` empty when not offered)."""
    estimates = {c.name: c.distinct_estimate for c in wh.columns(dataset)}
    out = []
    for col in columns:
        name, level = col["name"], int(col.get("level") or 4)
        values: list[str] = []
        if level <= 1 and 0 < (estimates.get(name) or 0) <= MAX_VALUES:
            try:
                table = wh.sql(f"SELECT DISTINCT CAST({_quote(name)} AS VARCHAR) AS v FROM {_quote(dataset)} "
                               f"WHERE {_quote(name)} IS NOT NULL ORDER BY 1 LIMIT {MAX_VALUES + 1}")
                values = [str(v) for v in table.column("v").to_pylist()][:MAX_VALUES]
            except ShucangError:
                values = []
        out.append({"name": name, "label": column_label(name, lang), "level": level,
                    "type": col.get("type") or "", "values": values})
    return out


def operators(lang: str) -> list[dict[str, str]]:
    return [{"op": op, "label": gettext(lang, label)} for op, label in OPERATORS]
