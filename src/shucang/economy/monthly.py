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
def reader(wh: Warehouse, versions: dict[str, int] | None = None,
           only: list[str] | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """The warehouse's read-only DuckDB connection (every dataset a view, or ``only`` those, at ``versions``),
    closed after use."""
    con = wh.connect(versions, only)
    try:
        yield con
    finally:
        con.close()


def column_types(con: duckdb.DuckDBPyConnection, dataset: str) -> dict[str, str]:
    rows = con.execute(f"DESCRIBE SELECT * FROM {q(dataset)}").fetchall()
    return {str(r[0]): str(r[1]) for r in rows}


def period_map(wh: Warehouse, con: duckdb.DuckDBPyConnection, b: Binding, types: dict[str, str]) -> dict[str, int]:
    """Distinct period texts of the current version → year*100+month, from the catalog or made and kept there."""
    import sqlalchemy as sa

    from shucang.economy.tables import ensure_tables, periods

    period = b.column("period")
    assert period is not None
    version = wh.dataset(b.dataset).current_version
    ensure_tables(wh.engine)
    sel = sa.select(periods.c.raw, periods.c.ym).where((periods.c.dataset == b.dataset) & (periods.c.version == version))
    with wh.engine.connect() as conn:
        found = {r.raw: r.ym for r in conn.execute(sel)}
    if not found:
        rows = con.execute(f"SELECT p, {period_expr('p', 'VARCHAR')} FROM "
                           f"(SELECT DISTINCT CAST({q(period)} AS VARCHAR) AS p FROM {q(b.dataset)}) WHERE p IS NOT NULL"
                           ).fetchall()
        found = {str(raw): (int(ym) if ym is not None and 1 <= int(ym) % 100 <= 12 else None) for raw, ym in rows}
        try:
            with wh.engine.begin() as conn:
                conn.execute(periods.delete().where(periods.c.dataset == b.dataset))
                if found:
                    conn.execute(periods.insert(), [dict(dataset=b.dataset, version=version, raw=k[:64], ym=v)
                                                    for k, v in found.items()])
        except sa.exc.IntegrityError:
            pass  # another process stored the same mapping meanwhile
    return {k: v for k, v in found.items() if v is not None}


class Source:
    """One bound dataset on an open reader: builds its SQL, collecting the named parameters it needs."""

    def __init__(self, wh: Warehouse, con: duckdb.DuckDBPyConnection, b: Binding) -> None:
        self.wh, self.con, self.binding = wh, con, b
        self.types = column_types(con, b.dataset)
        period = b.column("period")
        assert period is not None
        self.text_period = _base_type(self.types[period]) == "VARCHAR"
        self.periods = period_map(wh, con, b, self.types) if self.text_period else None
        self.params: dict[str, Any] = {}

    def months(self) -> list[int]:
        """Every month present (ascending)."""
        if self.periods is not None:
            return sorted(set(self.periods.values()))
        period = self.binding.column("period")
        assert period is not None
        sql = f"SELECT DISTINCT {period_expr(period, self.types[period])} AS ym FROM {q(self.binding.dataset)}"
        return sorted(int(r[0]) for r in self.con.execute(sql).fetchall() if r[0] is not None and 1 <= r[0] % 100 <= 12)

    def raw(self, measures: list[str], months: list[int] | None = None) -> str:
        """Rows in the common shape (ent, name, ym, industry, town, size, rt, m0 …) before corrections,
        limited to ``months`` (all when None)."""
        b = self.binding
        ent, period = b.column("enterprise"), b.column("period")
        assert ent is not None and period is not None
        rt = b.column("report_time")
        # the enterprise code as stored (no trim): it is the group key of every query, on every row
        fields = [f"CAST({q(ent)} AS VARCHAR) AS ent", f"{text_expr(b.column('name'))} AS name",
                  f"{text_expr(b.column('industry'), code=True)} AS industry", f"{text_expr(b.column('town'))} AS town",
                  f"{text_expr(b.column('size'))} AS size",
                  f"{time_expr(rt, self.types[rt]) if rt else 'CAST(NULL AS TIMESTAMP)'} AS rt"]
        fields += [f"{number_expr(m, self.types[m])} AS m{i}" for i, m in enumerate(measures)]
        if self.periods is not None:  # text periods: a join on the text with the months wanted
            chosen = {k: v for k, v in self.periods.items() if months is None or v in set(months)}
            key = f"pm{len(self.params)}"
            self.params[key + "_raw"] = list(chosen)
            self.params[key + "_ym"] = list(chosen.values())
            # an IN list of constants is pushed down into the Arrow scan: only the wanted months are read
            names = [f"{key}_{i}" for i in range(len(chosen))]
            self.params.update(zip(names, chosen, strict=True))
            wanted = f"d.{q(period)} IN ({', '.join('$' + n for n in names)})" if names else "FALSE"
            return (f"SELECT {', '.join(fields)}, pm.ym AS ym FROM {q(b.dataset)} d JOIN "
                    f"(SELECT unnest(${key}_raw::VARCHAR[]) AS raw, unnest(${key}_ym::INTEGER[]) AS ym) pm "
                    f"ON d.{q(period)} = pm.raw WHERE {q(ent)} IS NOT NULL AND {wanted}")
        ym = period_expr(period, self.types[period])
        where = "TRUE"
        if months is not None:
            key = f"ms{len(self.params)}"
            self.params[key] = list(months)
            where = f"list_contains(${key}::INTEGER[], {ym})"
        return f"SELECT {', '.join(fields)}, {ym} AS ym FROM {q(b.dataset)} WHERE {q(ent)} IS NOT NULL AND {where}"

    def monthly(self, measures: list[str], months: list[int] | None = None, *, rows: str | None = None) -> str:
        """Corrections applied: one row per enterprise and month, the latest report time winning.

        ``rows``: a relation already in the shape of :meth:`raw` (the Spark engine's normalised batches)
        instead of reading the dataset."""
        rt = "coalesce(rt, TIMESTAMP '1900-01-01')"
        values = ", ".join(f"arg_max(m{i}, {rt}) AS m{i}" for i in range(len(measures)))
        return (f"SELECT ent, ym, arg_max(name, {rt}) AS name, arg_max(industry, {rt}) AS industry, "
                f"arg_max(town, {rt}) AS town, arg_max(size, {rt}) AS size, max(rt) AS rt, count(*) AS reports"
                f"{', ' + values if values else ''} FROM ({self.raw(measures, months) if rows is None else rows}) "
                "WHERE ent <> '' "
                "GROUP BY ent, ym")

    def enterprise_relation(self, measure: str, month: Month) -> str | None:
        """A relation already holding :func:`shucang.economy.yoy.enterprise_sql`'s rows, made by another engine
        (the Spark engine's source, :mod:`shucang.economy.scaleout`); None: the query computes them."""
        return None

    def run(self, sql: str) -> list[tuple[Any, ...]]:
        """Execute with the parameters the SQL names (DuckDB refuses unused ones)."""
        used = set(re.findall(r"\$([A-Za-z_]\w*)", sql))
        return self.con.execute(sql, {k: v for k, v in self.params.items() if k in used}).fetchall()


def month_range(first: Month, last: Month) -> list[int]:
    out, m = [], first
    while m.ym <= last.ym:
        out.append(m.ym)
        m = m.minus_months(-1)
    return out


def corrections(wh: Warehouse, b: Binding, *, limit: int = 200) -> dict[str, Any]:
    """Enterprise-months reported more than once: the row that counts and the ones it superseded."""
    measures = [c.column for c in b.measures]
    with reader(wh) as con:
        src = Source(wh, con, b)
        sql = (f"WITH r AS ({src.raw(measures)}), "
               "dup AS (SELECT ent, ym FROM r WHERE ent IS NOT NULL GROUP BY ent, ym HAVING count(*) > 1) "
               "SELECT r.* FROM r JOIN dup USING (ent, ym) ORDER BY ent, ym, rt DESC NULLS LAST")
        cur = con.execute(sql, src.params)
        rows = cur.fetchall()
        names = [d[0] for d in cur.description]
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
