"""The monthly report as one clean relation: enterprise, month, attributes, measures, corrections applied.

Report files differ in how they write a month (``202506``, ``2025-06``, ``2025年6月``), an amount
(``1,200.5``) or a report time; :func:`monthly_sql` turns a bound dataset into SQL that reads them all
the same way, in DuckDB, over the warehouse's own connection. The same enterprise and month reported
more than once counts once: the row with the latest report time (更正); :func:`corrections` lists the
rows that were superseded so the correction stays visible.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import duckdb

from shucang.economy.binding import Binding
from shucang.errors import InputError
from shucang.warehouse import Warehouse
from shucang.warehouse.query import quote_identifier as q

NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "FLOAT", "DOUBLE", "DECIMAL", "UTINYINT",
           "USMALLINT", "UINTEGER", "UBIGINT")


@dataclass(frozen=True)
class Month:
    """A report month; ``ym`` is year * 100 + month, the form every query compares."""

    year: int
    month: int

    @property
    def ym(self) -> int:
        return self.year * 100 + self.month

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def minus_months(self, n: int) -> Month:
        t = self.year * 12 + self.month - 1 - n
        return Month(t // 12, t % 12 + 1)


_PERIOD = re.compile(r"^\s*(\d{4})\s*(?:[-/.年]\s*)?(\d{1,2})\s*月?\s*$")


def parse_month(text: str) -> Month:
    """``2025-06``, ``202506``, ``2025年6月`` → Month; a clear error otherwise."""
    m = _PERIOD.match(str(text))
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise InputError(f"无法识别的月份 {text!r} (unrecognised month)", hint="write 2025-06, 202506 or 2025年6月")
    return Month(int(m.group(1)), int(m.group(2)))


def _base_type(dtype: str) -> str:
    return dtype.split("(")[0].upper()


def period_expr(column: str, dtype: str) -> str:
    """SQL giving year*100+month of a period cell, whatever its type (NULL when unreadable)."""
    col = q(column)
    base = _base_type(dtype)
    if base in ("DATE", "TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S"):
        return f"(year({col}) * 100 + month({col}))"
    if base in NUMERIC:  # 202506 read as a number
        return f"CAST({col} AS INTEGER)"
    parts = (f"regexp_extract(CAST({col} AS VARCHAR), '^\\s*([0-9]{{4}})\\s*[-/.年]?\\s*([0-9]{{1,2}})', "
             "['y', 'm'])")
    return (f"(TRY_CAST(NULLIF({parts}.y, '') AS INTEGER) * 100 + TRY_CAST(NULLIF({parts}.m, '') AS INTEGER))")


def number_expr(column: str, dtype: str) -> str:
    col = q(column)
    return f"CAST({col} AS DOUBLE)" if _base_type(dtype) in NUMERIC else f"sc_number({col})"


def time_expr(column: str, dtype: str) -> str:
    col = q(column)
    base = _base_type(dtype)
    if base.startswith("TIMESTAMP") or base == "DATE":
        return f"CAST({col} AS TIMESTAMP)"
    return (f"coalesce(TRY_CAST(CAST({col} AS VARCHAR) AS TIMESTAMP), "
            f"CAST(sc_date({col}) AS TIMESTAMP))")


def text_expr(column: str | None, *, code: bool = False) -> str:
    if column is None:
        return "CAST(NULL AS VARCHAR)"
    text = f"trim(CAST({q(column)} AS VARCHAR))"
    # industry codes may come as 'C3851' or '3851.0': keep the four digits of GB/T 4754
    return f"left(regexp_replace({text}, '^[A-Za-z]|\\.0+$', '', 'g'), 4)" if code else f"NULLIF({text}, '')"


@contextmanager
def reader(wh: Warehouse) -> Iterator[duckdb.DuckDBPyConnection]:
    """The warehouse's read-only DuckDB connection (every dataset a view), closed after use."""
    con = wh.connect()
    try:
        yield con
    finally:
        con.close()


def column_types(con: duckdb.DuckDBPyConnection, dataset: str) -> dict[str, str]:
    rows = con.execute(f"DESCRIBE SELECT * FROM {q(dataset)}").fetchall()
    return {str(r[0]): str(r[1]) for r in rows}


def raw_sql(b: Binding, types: dict[str, str], measures: list[str]) -> str:
    """Every row of the dataset in the common shape (before corrections): ent, name, ym, attributes, rt, m0…"""
    ent, period = b.column("enterprise"), b.column("period")
    assert ent is not None and period is not None  # a stored binding always has them
    rt = b.column("report_time")
    fields = [f"{text_expr(ent)} AS ent", f"{text_expr(b.column('name'))} AS name",
              f"{period_expr(period, types[period])} AS ym",
              f"{text_expr(b.column('industry'), code=True)} AS industry", f"{text_expr(b.column('town'))} AS town",
              f"{text_expr(b.column('size'))} AS size",
              f"{time_expr(rt, types[rt]) if rt else 'CAST(NULL AS TIMESTAMP)'} AS rt"]
    fields += [f"{number_expr(m, types[m])} AS m{i}" for i, m in enumerate(measures)]
    return f"SELECT {', '.join(fields)} FROM {q(b.dataset)}"


def monthly_sql(b: Binding, types: dict[str, str], measures: list[str], where: str = "TRUE") -> str:
    """Corrections applied: one row per enterprise and month, the latest report time winning.

    ``where`` filters the raw rows first (on ``ym``; parameters are the caller's), so a query over a
    few months never de-duplicates the whole history.
    """
    order = ", ".join(["rt DESC NULLS LAST", *[f"m{i} DESC NULLS LAST" for i in range(len(measures))]])
    return (f"SELECT * EXCLUDE (rn) FROM (SELECT *, row_number() OVER (PARTITION BY ent, ym ORDER BY {order}) AS rn "
            f"FROM ({raw_sql(b, types, measures)}) WHERE ent IS NOT NULL AND ({where})) WHERE rn = 1")


def corrections(wh: Warehouse, b: Binding, *, limit: int = 200) -> dict[str, Any]:
    """Enterprise-months reported more than once: the row that counts and the ones it superseded."""
    measures = [c.column for c in b.measures]
    with reader(wh) as con:
        types = column_types(con, b.dataset)
        sql = (f"WITH r AS ({raw_sql(b, types, measures)}), "
               "dup AS (SELECT ent, ym FROM r WHERE ent IS NOT NULL GROUP BY ent, ym HAVING count(*) > 1) "
               "SELECT r.* FROM r JOIN dup USING (ent, ym) ORDER BY ent, ym, rt DESC NULLS LAST")
        rows = con.execute(sql).fetchall()
        names = [d[0] for d in con.description]
    groups: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for row in rows:
        rec = dict(zip(names, row, strict=True))
        groups.setdefault((rec["ent"], rec["ym"]), []).append(rec)
    out = []
    for (ent, ym), recs in list(groups.items())[:limit]:
        def shape(r: dict[str, Any]) -> dict[str, Any]:
            return {"report_time": r["rt"].isoformat(sep=" ") if r["rt"] else None,
                    "values": {m: r[f"m{i}"] for i, m in enumerate(measures)}}
        out.append({"enterprise": ent, "name": recs[0]["name"], "period": f"{ym // 100:04d}-{ym % 100:02d}",
                    "counted": shape(recs[0]), "superseded": [shape(r) for r in recs[1:]]})
    return {"dataset": b.dataset, "count": len(groups), "corrections": out,
            "rule": "同一企业同一月份多次填报时，以填报时间最晚的一行为准 (the latest report time counts)"}
