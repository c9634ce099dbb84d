"""Cumulative year-on-year figures (1–N月累计同比) with the statistical caliber stated.

For month N of year Y: ``current`` is the sum of months 1…N of Y, ``previous`` the same months of Y-1,
``yoy_pct`` = (current / previous − 1) × 100 (null when previous is 0 or missing). Calibers:

- ``comparable`` (同口径, default): only enterprises with a report for month N in *both* years, and
  both sums over exactly those enterprises;
- ``all`` (全口径): every report of both years.

An enterprise is grouped by its attributes (town, industry) in its latest report inside the two
windows. ``enterprises`` counts the enterprises contributing to ``current``. One vectorised DuckDB
query per call, parameterised, after corrections (:mod:`.monthly`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from shucang.economy.binding import Binding, load_binding
from shucang.economy.monthly import Month, column_types, monthly_sql, parse_month, reader
from shucang.economy.reference import chain_prefixes, load_chains
from shucang.errors import InputError
from shucang.warehouse import Warehouse

BY = ("none", "town", "industry", "division", "chain", "size")
CALIBERS = ("comparable", "all")
CALIBER_TEXT = {"comparable": "同口径：本年与上年第N月均有报表的企业，两年累计均只计这些企业",
                "all": "全口径：两年全部报表"}


def _check(by: str, caliber: str) -> None:
    if by not in BY:
        raise InputError(f"未知分组 {by!r} (unknown --by)", hint="use one of: " + "|".join(BY))
    if caliber not in CALIBERS:
        raise InputError(f"未知口径 {caliber!r} (unknown --caliber)", hint="use comparable or all")


def enterprise_sql(b: Binding, types: dict[str, str], measure: str) -> str:
    """One row per enterprise with both windows' sums; parameters: cur_from, N-month, prev_from, prev_N."""
    rows = monthly_sql(b, types, [measure],
                       "(ym BETWEEN $cur_from AND $cur_to) OR (ym BETWEEN $prev_from AND $prev_to)")
    return (f"SELECT ent, arg_max(name, ym) AS name, arg_max(town, ym) AS town, arg_max(industry, ym) AS industry, "
            "arg_max(size, ym) AS size, "
            "sum(m0) FILTER (WHERE ym >= $cur_from) AS cur, sum(m0) FILTER (WHERE ym <= $prev_to) AS prev, "
            "sum(m0) FILTER (WHERE ym = $cur_to) AS cur_month, sum(m0) FILTER (WHERE ym = $prev_to) AS prev_month, "
            "bool_or(ym = $cur_to) AS has_cur, bool_or(ym = $prev_to) AS has_prev, "
            f"bool_or(ym >= $cur_from) AS in_cur FROM ({rows}) GROUP BY ent")


def _group_expr(by: str) -> str:
    return {"none": "'全市'", "town": "coalesce(town, '（未填）')", "industry": "coalesce(industry, '（未填）')",
            "division": "coalesce(left(industry, 2), '（未填）')", "size": "coalesce(size, '（未填）')",
            "chain": "chain_name"}[by]


def window_params(month: Month) -> dict[str, int]:
    return {"cur_from": month.year * 100 + 1, "cur_to": month.ym,
            "prev_from": (month.year - 1) * 100 + 1, "prev_to": (month.year - 1) * 100 + month.month}


def _figure(group: str, current: Any, previous: Any, enterprises: Any, cur_month: Any = None,
            prev_month: Any = None) -> dict[str, Any]:
    cur = float(current) if current is not None else 0.0
    prev = float(previous) if previous is not None else 0.0
    pct = round((cur / prev - 1) * 100, 4) if prev else None
    return {"group": group, "current": round(cur, 4), "previous": round(prev, 4), "yoy_pct": pct,
            "enterprises": int(enterprises or 0),
            "month_current": None if cur_month is None else round(float(cur_month), 4),
            "month_previous": None if prev_month is None else round(float(prev_month), 4)}


def yoy_query(con: duckdb.DuckDBPyConnection, b: Binding, measure_column: str, month: Month, *, by: str,
              caliber: str, home: Path | None = None) -> dict[str, Any]:
    """:func:`yoy` over an open reader (pages asking several figures share one connection)."""
    _check(by, caliber)
    types = column_types(con, b.dataset)
    params: dict[str, Any] = dict(window_params(month))
    keep = "has_cur AND has_prev" if caliber == "comparable" else "TRUE"
    base = f"WITH e AS ({enterprise_sql(b, types, measure_column)}), s AS (SELECT * FROM e WHERE {keep})"
    agg = ("sum(cur) AS cur, sum(prev) AS prev, count(*) FILTER (WHERE in_cur) AS n, "
           "sum(cur_month) AS cm, sum(prev_month) AS pm")
    total = con.execute(f"{base} SELECT {agg} FROM s", params).fetchone()
    if by == "chain":
        prefixes, ids, names = chain_prefixes(load_chains(home))
        params.update(prefixes=prefixes, ids=ids, names=names)
        grouped = (f"{base}, c AS (SELECT unnest($prefixes::VARCHAR[]) AS prefix, unnest($ids::VARCHAR[]) AS chain_id, "
                   "unnest($names::VARCHAR[]) AS chain_name), "
                   "sc AS (SELECT DISTINCT s.*, c.chain_id, c.chain_name FROM s JOIN c ON starts_with(s.industry, c.prefix)) "
                   f"SELECT chain_name AS g, {agg} FROM sc GROUP BY chain_name ORDER BY cur DESC NULLS LAST, g")
    else:
        grouped = f"{base} SELECT {_group_expr(by)} AS g, {agg} FROM s GROUP BY g ORDER BY cur DESC NULLS LAST, g"
    rows = con.execute(grouped, params).fetchall() if by != "none" else [("全市", *total)]
    assert total is not None
    return {"period": str(month), "measure": measure_column, "caliber": caliber, "by": by, "dataset": b.dataset,
            "rows": [_figure(str(r[0]), r[1], r[2], r[3], r[4], r[5]) for r in rows],
            "total": _figure("合计", *total[:3], total[3], total[4]),
            "caliber_note": CALIBER_TEXT[caliber]}


def yoy(wh: Warehouse, dataset: str, measure: str, period: str, *, by: str = "none",
        caliber: str = "comparable") -> dict[str, Any]:
    """The contract of ``shucang economy yoy`` (see module docstring)."""
    _check(by, caliber)
    b = load_binding(wh, dataset)
    column = b.measure_column(measure)
    month = parse_month(period)
    with reader(wh) as con:
        out = yoy_query(con, b, column, month, by=by, caliber=caliber, home=wh.settings.home)
    out["version"] = wh.dataset(dataset).current_version
    return out
