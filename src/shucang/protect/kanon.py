"""k-anonymity check before a release to the public (open data).

Groups rows by the quasi-identifiers (town, birth year, gender …); the smallest group is k. Groups
smaller than the required k are reported with suggestions of generalisations that would merge them
(dates → year, ages → bands, numbers → ranges, text → truncation, or dropping the column that splits
groups most). DuckDB does the grouping, so a million rows cost well under a second.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa

from shucang.errors import InputError, PermissionDenied

DEFAULT_K = 5


@dataclass
class KAnonReport:
    """Result of a k-anonymity check."""

    k_min: int
    """Size of the smallest equivalence class (0 for an empty table)."""
    offending_groups: list[dict[str, Any]]
    """Up to 20 groups below k: quasi-identifier values and ``count``."""
    suggestions: list[str]
    ok: bool
    k: int = DEFAULT_K
    groups: int = 0
    rows_in_small_groups: int = 0
    quasi_identifiers: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _suggest(table: pa.Table, qis: list[str], k: int, con: duckdb.DuckDBPyConnection) -> list[str]:
    suggestions: list[str] = []
    for name in qis:
        t = table.schema.field(name).type
        if pa.types.is_date(t) or pa.types.is_timestamp(t):
            suggestions.append(f"{name}: 日期泛化到年或月 (generalise dates to year/month: strategy year|month)")
        elif pa.types.is_integer(t) or pa.types.is_floating(t):
            suggestions.append(f"{name}: 数值分段 (numbers to ranges / age bands: strategy range|age_band)")
    # Which single column, dropped, raises k the most?
    best: tuple[int, str] | None = None
    if len(qis) > 1:
        for name in qis:
            rest = [q for q in qis if q != name]
            cols = ", ".join(_quote(c) for c in rest)
            row = con.execute(f"SELECT min(n) FROM (SELECT count(*) AS n FROM qi_rows GROUP BY {cols})").fetchone()
            k_min = row[0] if row else 0
            if best is None or k_min > best[0]:
                best = (int(k_min), name)
    if best is not None:
        verdict = "reaches" if best[0] >= k else "raises k to"
        suggestions.append(f"去掉 {best[1]} 后最小组为 {best[0]} (dropping {best[1]} {verdict} {best[0]})")
    suggestions.append(f"或删除/合并少于 {k} 行的组 (or suppress the rows of groups below {k})")
    return suggestions


def check_k_anonymity(table: pa.Table, quasi_identifiers: list[str], k: int = DEFAULT_K) -> KAnonReport:
    """k-anonymity of ``table`` over ``quasi_identifiers`` (nulls form their own group)."""
    if k < 1:
        raise InputError(f"k 必须 ≥ 1 (k must be at least 1), got {k}")
    missing = [q for q in quasi_identifiers if q not in table.column_names]
    if missing:
        raise InputError(f"没有这些准标识列 (no such quasi-identifier columns): {', '.join(missing)}",
                         hint="columns: " + ", ".join(table.column_names))
    qis = list(dict.fromkeys(quasi_identifiers))
    if table.num_rows == 0:
        return KAnonReport(0, [], [], True, k, 0, 0, qis)
    if not qis:
        return KAnonReport(table.num_rows, [], [], table.num_rows >= k, k, 1, 0, qis)
    con = duckdb.connect()
    try:
        con.register("qi_rows", table.select(qis))
        cols = ", ".join(_quote(q) for q in qis)
        grouped = con.sql(f"SELECT {cols}, count(*) AS n FROM qi_rows GROUP BY ALL").to_arrow_table()
        counts = grouped.column("n").to_pylist()
        k_min = min(counts)
        small = con.sql(f"SELECT {cols}, count(*) AS n FROM qi_rows GROUP BY ALL HAVING count(*) < {int(k)} "
                        "ORDER BY n LIMIT 20").to_arrow_table()
        offending = [{**{q: row[q] for q in qis}, "count": row["n"]} for row in small.to_pylist()]
        in_small = sum(c for c in counts if c < k)
        suggestions = _suggest(table, qis, k, con) if k_min < k else []
    finally:
        con.close()
    return KAnonReport(int(k_min), offending, suggestions, k_min >= k, k, len(counts), int(in_small), qis)


def refuse_below_k(table: pa.Table, quasi_identifiers: list[str], k: int = DEFAULT_K) -> KAnonReport:
    """Raise :class:`PermissionDenied` when ``table`` is not k-anonymous (open-data releases)."""
    report = check_k_anonymity(table, quasi_identifiers, k)
    if not report.ok:
        raise PermissionDenied(
            f"发布被拒绝：最小等价类只有 {report.k_min} 行，要求至少 {k} 行 "
            f"(release refused: smallest group has {report.k_min} rows, k = {k}; "
            f"{report.rows_in_small_groups} rows in {len(report.offending_groups)}+ small groups)",
            hint="; ".join(report.suggestions[:2]) or "generalise the quasi-identifiers",
        )
    return report


refuse = refuse_below_k
