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

from shucang.economy.binding import load_binding
from shucang.economy.monthly import Month, Source, parse_month, reader
from shucang.economy.reference import chain_prefixes, load_chains
from shucang.errors import InputError
from shucang.warehouse import Warehouse

BY = ("none", "town", "industry", "division", "chain", "size")
CALIBERS = ("comparable", "all")
CALIBER_TEXT = {"comparable": "同口径：本年与上年第N月均有报表的企业，两年累计均只计这些企业",
                "all": "全口径：两年全部报表"}


def check_query(by: str, caliber: str) -> None:
    """Refuse an unknown grouping or caliber before any SQL is built (every engine asks it)."""
    if by not in BY:
        raise InputError(f"未知分组 {by!r} (unknown --by)", hint="use one of: " + "|".join(BY))
    if caliber not in CALIBERS:
        raise InputError(f"未知口径 {caliber!r} (unknown --caliber)", hint="use comparable or all")


def window(month: Month) -> tuple[list[int], dict[str, int]]:
    """The months read (1…N of both years) and the bounds the query compares with."""
    prev = Month(month.year - 1, month.month)
    months = [Month(month.year, m).ym for m in range(1, month.month + 1)]
    months += [Month(prev.year, m).ym for m in range(1, prev.month + 1)]
    return months, {"cur_from": month.year * 100 + 1, "cur_to": month.ym, "prev_to": prev.ym}


def enterprise_sql(src: Source, measure: str, month: Month, *, rows: str | None = None) -> str:
    """One row per enterprise with both windows' sums and whether it reported month N in each year.

    ``rows``: the window's rows already normalised (see :meth:`Source.monthly`; the Spark engine)."""
    months, bounds = window(month)
    src.params.update(bounds)
    rows = src.monthly([measure], months, rows=rows)
    return (f"SELECT ent, arg_max(name, ym) AS name, arg_max(town, ym) AS town, arg_max(industry, ym) AS industry, "
            "arg_max(size, ym) AS size, "
            "sum(m0) FILTER (WHERE ym >= $cur_from) AS cur, sum(m0) FILTER (WHERE ym <= $prev_to) AS prev, "
            "sum(m0) FILTER (WHERE ym = $cur_to) AS cur_month, sum(m0) FILTER (WHERE ym = $prev_to) AS prev_month, "
            "bool_or(ym = $cur_to) AS has_cur, bool_or(ym = $prev_to) AS has_prev, "
            f"bool_or(ym >= $cur_from) AS in_cur FROM ({rows}) GROUP BY ent")


def _group_expr(by: str) -> str:
    return {"none": "'全市'", "town": "coalesce(town, '（未填）')", "industry": "coalesce(industry, '（未填）')",
            "division": "coalesce(left(industry, 2), '（未填）')", "size": "coalesce(size, '（未填）')"}[by]


def _figure(group: str, current: Any, previous: Any, enterprises: Any, cur_month: Any = None,
            prev_month: Any = None) -> dict[str, Any]:
    cur = float(current) if current is not None else 0.0
    prev = float(previous) if previous is not None else 0.0
    pct = round((cur / prev - 1) * 100, 4) if prev else None
    return {"group": group, "current": round(cur, 4), "previous": round(prev, 4), "yoy_pct": pct,
            "enterprises": int(enterprises or 0),
            "month_current": None if cur_month is None else round(float(cur_month), 4),
            "month_previous": None if prev_month is None else round(float(prev_month), 4)}


AGG = ("sum(cur) AS cur, sum(prev) AS prev, count(*) FILTER (WHERE in_cur) AS n, "
       "sum(cur_month) AS cm, sum(prev_month) AS pm")


def yoy_query(src: Source, measure_column: str, month: Month, *, by: str, caliber: str,
              home: Path | None = None) -> dict[str, Any]:
    """:func:`yoy` over an open :class:`Source` (pages asking several figures share one connection).

    One query: the total and the groups in the same pass (GROUPING SETS; for chains, whose code lists
    may overlap, the total is taken over distinct enterprises beside the chain groups). The per-enterprise
    rows come from :func:`enterprise_sql` unless the source has them already (the Spark engine's source).
    """
    check_query(by, caliber)
    keep = "has_cur AND has_prev" if caliber == "comparable" else "TRUE"
    e_sql = src.enterprise_relation(measure_column, month) or enterprise_sql(src, measure_column, month)
    base = f"WITH e AS ({e_sql}), s AS (SELECT * FROM e WHERE {keep})"
    if by == "chain":
        prefixes, ids, names = chain_prefixes(load_chains(home))
        src.params.update(prefixes=prefixes, ids=ids, names=names)
        sql = (f"{base}, c AS (SELECT unnest($prefixes::VARCHAR[]) AS prefix, unnest($ids::VARCHAR[]) AS chain_id, "
               "unnest($names::VARCHAR[]) AS chain_name), "
               "sc AS (SELECT DISTINCT s.*, c.chain_name FROM s JOIN c ON starts_with(s.industry, c.prefix)) "
               f"SELECT 0 AS total, chain_name AS g, {AGG} FROM sc GROUP BY chain_name "
               f"UNION ALL SELECT 1, NULL, {AGG} FROM s")
    else:
        sql = (f"{base} SELECT grouping(g) AS total, g, {AGG} FROM (SELECT *, {_group_expr(by)} AS g FROM s) "
               "GROUP BY GROUPING SETS ((g), ())")
    found = src.run(sql)
    total = next((r for r in found if r[0]), (1, None, None, None, 0, None, None))
    rows = sorted((r for r in found if not r[0]), key=lambda r: (-(r[2] or 0), str(r[1])))
    if by == "none":
        rows = [(0, "全市", *total[2:])]
    return {"period": str(month), "measure": measure_column, "caliber": caliber, "by": by,
            "dataset": src.binding.dataset,
            "rows": [_figure(str(r[1]), r[2], r[3], r[4], r[5], r[6]) for r in rows],
            "total": _figure("合计", total[2], total[3], total[4], total[5], total[6]),
            "caliber_note": CALIBER_TEXT[caliber]}


def totals_query(src: Source, columns: list[str], month: Month, *, caliber: str) -> dict[str, dict[str, Any]]:
    """The ``total`` of :func:`yoy_query` for several measures in one pass (the enterprises kept by the
    caliber do not depend on the measure: a report for month N in both years)."""
    check_query("none", caliber)
    months, bounds = window(month)
    src.params.update(bounds)
    sums = ", ".join(f"sum(m{i}) FILTER (WHERE ym >= $cur_from) AS c{i}, sum(m{i}) FILTER (WHERE ym <= $prev_to) AS p{i}, "
                     f"sum(m{i}) FILTER (WHERE ym = $cur_to) AS cm{i}, sum(m{i}) FILTER (WHERE ym = $prev_to) AS pm{i}"
                     for i in range(len(columns)))
    keep = "has_cur AND has_prev" if caliber == "comparable" else "TRUE"
    totals = ", ".join(f"sum(c{i}), sum(p{i}), sum(cm{i}), sum(pm{i})" for i in range(len(columns)))
    sql = (f"WITH e AS (SELECT ent, {sums}, bool_or(ym = $cur_to) AS has_cur, bool_or(ym = $prev_to) AS has_prev, "
           f"bool_or(ym >= $cur_from) AS in_cur FROM ({src.monthly(columns, months)}) GROUP BY ent) "
           f"SELECT count(*) FILTER (WHERE in_cur), {totals} FROM e WHERE {keep}")
    row = src.run(sql)[0]
    return {c: _figure("合计", row[1 + 4 * i], row[2 + 4 * i], row[0], row[3 + 4 * i], row[4 + 4 * i])
            for i, c in enumerate(columns)}


def yoy(wh: Warehouse, dataset: str, measure: str, period: str, *, by: str = "none",
        caliber: str = "comparable") -> dict[str, Any]:
    """The contract of ``shucang economy yoy`` (see module docstring)."""
    check_query(by, caliber)
    b = load_binding(wh, dataset)
    column = b.measure_column(measure)
    month = parse_month(period)
    with reader(wh) as con:
        out = yoy_query(Source(wh, con, b), column, month, by=by, caliber=caliber, home=wh.settings.home)
    out["version"] = wh.dataset(dataset).current_version
    return out
