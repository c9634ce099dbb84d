"""Figures of the plan's zones and towns from the warehouse: enterprises, 上云 enterprises, robots, output.

One read-only SQL statement per level (zone, town) over the demo datasets' contract
(docs/demo-datasets.md): ``enterprise_registry`` gives each enterprise its ``zone`` and ``town``;
``enterprise_cloud``, ``industrial_robots`` and ``industrial_monthly`` join it by ``uscc``. Parts whose
dataset is missing are left out (the figure is None, shown as "–"), so a warehouse without the demo
data still renders. The plan stage owns this because the zones are the plan's (规划's 六大片区).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, TypedDict

if TYPE_CHECKING:
    from shucang.warehouse import Warehouse

Level = Literal["zone", "town"]
REGISTRY = "enterprise_registry"


class Figures(TypedDict):
    """One zone's or town's figures: counts, 规上工业总产值 in 亿元 of the latest year with data and that
    year (None where the dataset behind a figure is missing)."""

    enterprises: int | None
    cloud: int | None
    robots: int | None
    output_yi: float | None
    output_year: int | None


_PARTS = {
    "enterprise_cloud": (
        "cloud",
        "SELECT reg.{key} AS k, count(DISTINCT c.uscc) AS cloud FROM enterprise_cloud c "
        "JOIN reg ON c.uscc = reg.uscc GROUP BY 1",
    ),
    "industrial_robots": (
        "robots",
        "SELECT reg.{key} AS k, count(*) AS robots FROM industrial_robots b JOIN reg ON b.uscc = reg.uscc "
        "WHERE b.retired_on IS NULL GROUP BY 1",
    ),
    "industrial_monthly": (
        "output",
        "SELECT reg.{key} AS k, sum(m.output_value) / 10000.0 AS output_yi, max(year(m.month)) AS output_year "
        "FROM industrial_monthly m JOIN reg ON m.uscc = reg.uscc "
        "WHERE year(m.month) = (SELECT max(year(month)) FROM industrial_monthly) GROUP BY 1",
    ),
}


def _query(key: Level, present: set[str]) -> str:
    """The statement for grouping by ``key`` over the datasets present (``key`` is one of two literals)."""
    ctes = [f"reg AS (SELECT uscc, {key} FROM {REGISTRY} WHERE {key} IS NOT NULL)",
            f"e AS (SELECT {key} AS k, count(*) AS enterprises FROM reg GROUP BY 1)"]
    select = ["e.k AS k", "e.enterprises AS enterprises"]
    joins = []
    for dataset, (alias, sql) in _PARTS.items():
        if dataset in present:
            ctes.append(f"{alias} AS ({sql.format(key=key)})")
            if alias == "output":
                select += ["output.output_yi AS output_yi", "output.output_year AS output_year"]
            else:
                select.append(f"{alias}.{alias} AS {alias}")
            joins.append(f"LEFT JOIN {alias} ON {alias}.k = e.k")
    return "WITH " + ", ".join(ctes) + " SELECT " + ", ".join(select) + " FROM e " + " ".join(joins) + " ORDER BY 1"


def sources(wh: Warehouse) -> dict[str, int | None]:
    """The datasets the figures are computed from, with their current versions (a cache key)."""
    wanted = {REGISTRY, *_PARTS}
    return {d.name: d.current_version for d in wh.list_datasets() if d.name in wanted}


def figures_by(wh: Warehouse, key: Level, present: set[str] | None = None) -> dict[str, Figures]:
    """``{zone or town: Figures}`` (empty without the registry); ``present``: the datasets of
    :func:`sources`, when the caller has them already."""
    if key not in ("zone", "town"):
        raise ValueError(key)
    present = set(sources(wh)) if present is None else present
    if REGISTRY not in present:
        return {}
    out: dict[str, Figures] = {}
    for row in wh.sql(_query(key, present), only=sorted(present)).to_pylist():
        out[str(row["k"])] = Figures(enterprises=row.get("enterprises"), cloud=row.get("cloud"),
                                     robots=row.get("robots"), output_yi=row.get("output_yi"),
                                     output_year=row.get("output_year"))
    return out
