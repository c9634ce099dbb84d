"""Values offered to someone writing a row filter (the request form's condition builder), so that
周巷镇 is picked rather than typed.

Offering a column's values discloses them, and the person asking may not hold a grant yet: values
are offered only for columns graded level 1 (不敏感), only of a dataset the caller may see
(``dataset:view``), and only when the column has few distinct values. The grade comes from the
classify stage here, not from what the caller sent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shucang.classify.graded import UNGRADED
from shucang.errors import ShucangError
from shucang.share.access import Actor, require
from shucang.share.reads import column_levels, dataset_resource, visible_info

if TYPE_CHECKING:
    from shucang.warehouse import Warehouse

MAX_VALUES = 60
"""Columns with more distinct values are not offered (the form shows a free text box instead)."""


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def offered_values(wh: Warehouse, actor: Actor, dataset: str, *, limit: int = MAX_VALUES) -> dict[str, list[str]]:
    """``{column: sorted distinct values as text}`` of the dataset's level-1 columns with at most
    ``limit`` distinct values; other columns are absent. Raises like ``describe`` when the caller may
    not see the dataset."""
    info = visible_info(wh, actor, dataset)
    require(actor, "dataset:view", dataset_resource(wh, actor, info))
    levels, _grades = column_levels(wh, dataset, info.current_version)
    out: dict[str, list[str]] = {}
    for col in wh.columns(dataset):
        if levels.get(col.name, UNGRADED)[1] > 1 or not 0 < (col.distinct_estimate or 0) <= limit:
            continue
        name = _quote(col.name)
        try:
            table = wh.sql(f"SELECT DISTINCT CAST({name} AS VARCHAR) AS v FROM {_quote(dataset)} "
                           f"WHERE {name} IS NOT NULL ORDER BY 1 LIMIT {int(limit) + 1}",
                           versions={dataset: info.current_version}, only=[dataset])
        except ShucangError:
            continue
        out[col.name] = [str(v) for v in table.column("v").to_pylist()][:limit]
    return out
