"""Figures of the zones and towns from the warehouse: enterprises, 上云 enterprises, robots, output.

One read-only SQL statement per level (zone, town) over the demo datasets' contract
(docs/demo-datasets.md): ``enterprise_registry`` gives each enterprise its ``zone`` and ``town``;
``enterprise_cloud``, ``industrial_robots`` and ``industrial_monthly`` join it by ``uscc``. Parts whose
dataset is missing are left out (the figure shows as "–"), so a warehouse without the demo data
still renders. Results are memoised per set of dataset versions.
"""

from __future__ import annotations

from typing import Any

from shucang.warehouse import Warehouse
from shucang.web.memo import memo

FIGURES = ("enterprises", "cloud", "robots", "output_yi", "output_year")
"""Keys of one row of figures: counts, 规上工业总产值 in 亿元 of the latest year with data, that year."""

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


def _query(key: str, present: set[str]) -> str:
    """The statement for grouping by ``key`` (``zone`` or ``town``) over the datasets present."""
    ctes = [f"reg AS (SELECT uscc, {key} FROM enterprise_registry WHERE {key} IS NOT NULL)",
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


def figures_by(wh: Warehouse, key: str, state: Any) -> dict[str, dict[str, Any]]:
    """``{zone or town: {enterprises, cloud, robots, output_yi, output_year}}`` (empty without the registry)."""
    if key not in ("zone", "town"):
        raise ValueError(key)
    infos = {d.name: d.current_version for d in wh.list_datasets()}
    if "enterprise_registry" not in infos:
        return {}
    present = set(infos)

    def compute() -> dict[str, dict[str, Any]]:
        table = wh.sql(_query(key, present))
        out: dict[str, dict[str, Any]] = {}
        for row in table.to_pylist():
            out[str(row.pop("k"))] = {f: row.get(f) for f in FIGURES}
        return out

    return memo(state, ("zone_figures", key, tuple(sorted(infos.items(), key=lambda kv: kv[0]))), 300.0, compute)
