"""Cumulative YoY by town over 20,000 enterprises × 60 months (1.2M report rows), against the same figure
written by hand in DuckDB SQL in the same run.

The reports are stored as a department file would arrive: Chinese headers, the month as text
(``2025-06``), a report time, and 0.5% of enterprise-months reported twice (corrections: the later
report counts). ``shucang.economy.yoy`` is timed end to end (binding from the catalog, the warehouse's
read-only connection with every dataset as a view, the total and the grouped query); the baseline is one
hand-written query over the same stored Arrow dataset in a plain DuckDB connection. Goal: ratio
(DuckDB time ÷ ours) ≥ 0.5 and ours < 1 s.
Run: ``python bench/economy.py [ENTERPRISES] [MONTHS]``.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

TOWNS = ("浒山街道", "宗汉街道", "坎墩街道", "古塘街道", "白沙路街道", "周巷镇", "观海卫镇", "龙山镇", "逍林镇",
         "胜山镇", "横河镇", "掌起镇", "附海镇", "桥头镇", "匡堰镇", "长河镇", "崇寿镇", "新浦镇", "天元镇", "庵东镇")

HAND_SQL = """
WITH r AS (
  SELECT "统一社会信用代码" AS ent, "所属镇街" AS town, "工业总产值(万元)" AS v,
         CAST(left("统计月份", 4) AS INTEGER) * 100 + CAST(right("统计月份", 2) AS INTEGER) AS ym
  FROM reports
  QUALIFY row_number() OVER (PARTITION BY "统一社会信用代码", "统计月份" ORDER BY "填报时间" DESC) = 1
), e AS (
  SELECT ent, arg_max(town, ym) AS town,
         sum(v) FILTER (WHERE ym BETWEEN $1 AND $2) AS cur, sum(v) FILTER (WHERE ym BETWEEN $3 AND $4) AS prev
  FROM r WHERE ym BETWEEN $1 AND $2 OR ym BETWEEN $3 AND $4 GROUP BY ent
  HAVING bool_or(ym = $2) AND bool_or(ym = $4)
)
SELECT town, sum(cur), sum(prev), (sum(cur) / sum(prev) - 1) * 100, count(*) FROM e GROUP BY town ORDER BY town
"""


def reports(n_firms: int, months: int, seed: int = 7) -> pa.Table:
    rng = np.random.default_rng(seed)
    firm = np.repeat(np.arange(n_firms), months)
    t = np.tile(np.arange(months), n_firms)
    year, month = 2021 + t // 12, t % 12 + 1
    value = np.round(rng.lognormal(6, 1, n_firms)[firm] * np.exp(0.07 * t / 12) * rng.lognormal(0, 0.05, len(t)), 1)
    again = np.flatnonzero(rng.random(len(t)) < 0.005)
    order = np.concatenate([np.arange(len(t)), again])
    late = np.concatenate([np.zeros(len(t), np.int64), np.full(len(again), -5 * 86400)])
    seconds = ((year - 1970) * 365 + month * 30)[order] * 86400 + late
    ids = pa.array([f"91330282{i:09d}X" for i in range(n_firms)])
    ym = pc.binary_join_element_wise(pa.array(year[order]).cast(pa.string()), "-",
                                     pc.utf8_lpad(pa.array(month[order]).cast(pa.string()), 2, "0"), "")
    return pa.table({
        "统一社会信用代码": pc.take(ids, pa.array(firm[order])),
        "统计月份": ym,
        "所属镇街": pc.take(pa.array(TOWNS), pa.array(firm[order] % len(TOWNS))),
        "填报时间": pa.array(seconds * 1_000_000, pa.timestamp("us")),
        "工业总产值(万元)": pa.array(value[order] * np.where(late < 0, 0.9, 1.0)),
    })


def best_of(fn: Callable[[], Any], repeat: int = 5) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - started)
    return min(times), out


def main(n_firms: int, months: int) -> None:
    from shucang.economy import bind_dataset, yoy
    from shucang.platform import open_warehouse
    from shucang.settings import Settings
    from shucang.warehouse import IngestOptions

    table = reports(n_firms, months)
    last_year = 2021 + (months - 1) // 12
    period = f"{last_year}-06"
    with tempfile.TemporaryDirectory() as tmp:
        wh = open_warehouse(Settings.load(Path(tmp) / "home"))
        try:
            wh.ingest_arrow(table, IngestOptions(dataset="reports"))
            bind_dataset(wh, "reports")
            ours, got = best_of(lambda: yoy(wh, "reports", "工业总产值(万元)", period, by="town"))
            con = duckdb.connect(config={"threads": 2})
            con.register("reports", wh.arrow_dataset("reports"))
            params = [last_year * 100 + 1, last_year * 100 + 6, (last_year - 1) * 100 + 1, (last_year - 1) * 100 + 6]
            base, hand = best_of(lambda: con.execute(HAND_SQL, params).fetchall())
        finally:
            wh.close()
    mine = {r["group"]: r["yoy_pct"] for r in got["rows"]}
    worst = max(abs(mine[town] - pct) for town, _, _, pct, _ in hand)
    print(f"rows: {table.num_rows:,} ({n_firms:,} enterprises × {months} months + corrections)")
    print(f"shucang economy yoy --by town: {ours * 1000:7.1f} ms")
    print(f"hand-written DuckDB SQL:       {base * 1000:7.1f} ms")
    print(f"ratio (DuckDB / ours):         {base / ours:7.2f}×   (goal ≥ 0.5×, ours < 1 s)")
    print(f"largest difference in yoy_pct: {worst:.2e} pp")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000, int(sys.argv[2]) if len(sys.argv) > 2 else 60)
