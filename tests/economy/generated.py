"""A generated (合成, seeded) monthly report of many enterprises over two years, for the Spark engine's tests and
``bench/spark_economy.py``: what a province's 规上工业 monthly file looks like in bulk.

Enterprises enter and leave, skip months, change industry or town, use more electricity for the same output,
are corrected (the same enterprise-month reported again with a later report time, written before the original
so file order misleads), have blank names in some months; periods come in three spellings and the output
column as text (some ``1,234.5`` with a thousands separator, so it reads through ``sc_number``); industry
codes cover the bundled chains, with a few ``C3851``-style letters and blanks.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

HEADER = ("统一社会信用代码", "单位详细名称", "统计月份", "行业代码", "镇（街道）", "企业规模", "填报时间",
          "工业总产值（万元）", "用电量(万千瓦时)")
CODES = ("3851", "3854", "3856", "3451", "3452", "3525", "3670", "3911", "3914", "3982", "2929", "1713", "3340",
         "C3851", "3489", None)
TOWNS = ("周巷镇", "观海卫镇", "浒山街道", "龙山镇", "坎墩街道", "宗汉街道", "掌起镇", None)
SIZES = ("大型", "中型", "小型", "微型", None)


def _period(year: np.ndarray, month: np.ndarray, spelling: np.ndarray) -> list[str]:
    forms = ("{y}{m:02d}", "{y}-{m:02d}", "{y}年{m}月")
    return [forms[s].format(y=y, m=m) for y, m, s in zip(year.tolist(), month.tolist(), spelling.tolist(),
                                                         strict=True)]


def monthly_table(enterprises: int, *, years: tuple[int, int] = (2024, 2025), seed: int = 20261207) -> pa.Table:
    """About 19 rows per enterprise (two years, gaps, entries, exits, ~3 % corrections)."""
    rng = np.random.default_rng(seed)
    n = enterprises
    ents = np.array([f"91330282G{i:08d}X" for i in range(n)])
    # each enterprise's first and last month over the 24 (most report throughout)
    first = np.where(rng.random(n) < 0.12, rng.integers(1, 24, n), 0)
    last = np.where(rng.random(n) < 0.10, rng.integers(first, 24), 23)
    grid_e, grid_t = np.meshgrid(np.arange(n), np.arange(24), indexing="ij")
    keep = (grid_t >= first[:, None]) & (grid_t <= last[:, None]) & (rng.random((n, 24)) > 0.04)
    e, t = grid_e[keep], grid_t[keep]
    # corrections: a second, earlier-written row for ~3 % of the enterprise-months, with a later report time
    corrected = rng.random(e.size) < 0.03
    e = np.concatenate([e[corrected], e])
    t = np.concatenate([t[corrected], t])
    k = np.concatenate([np.ones(int(corrected.sum()), np.int64), np.zeros(t.size - int(corrected.sum()), np.int64)])
    rows = e.size
    year = np.asarray(years[0] + t // 12)
    month = np.asarray(t % 12 + 1)
    base = rng.gamma(2.0, 800.0, n)
    growth = rng.normal(1.05, 0.12, n)
    value = np.round(base[e] * np.where(t >= 12, growth[e], 1.0) * (1 + 0.05 * np.sin(month)) + 37.5 * k, 1)
    # attributes: ~5 % of enterprises move town or change code in the second year
    code0, town0 = rng.integers(0, len(CODES), n), rng.integers(0, len(TOWNS), n)
    moved = (rng.random(n) < 0.05)[e] & (t >= 12)
    code = np.where(moved, (code0[e] + 1) % len(CODES), code0[e])
    town = np.where(moved, (town0[e] + 2) % len(TOWNS), town0[e])
    size = rng.integers(0, len(SIZES), n)[e]
    blank_name = rng.random(rows) < 0.02
    # ~4 % use half as much electricity again in the second year: electricity and output diverge
    wasteful = (rng.random(n) < 0.04)[e] & (t >= 12)
    day = 5 + 10 * k + rng.integers(0, 5, rows)
    rt_year = np.where(month == 12, year + 1, year)
    rt_month = month % 12 + 1
    text_value = [f"{v:,.1f}" if c else f"{v:.1f}" for v, c in zip(value.tolist(), (rng.random(rows) < 0.2).tolist(),
                                                                       strict=True)]
    columns = {
        HEADER[0]: ents[e].tolist(),
        HEADER[1]: [None if b else f"合成企业{i}有限公司" for i, b in zip(e.tolist(), blank_name.tolist(), strict=True)],
        HEADER[2]: _period(year, month, rng.integers(0, 3, rows)),
        HEADER[3]: [CODES[c] for c in code.tolist()],
        HEADER[4]: [TOWNS[c] for c in town.tolist()],
        HEADER[5]: [SIZES[c] for c in size.tolist()],
        HEADER[6]: [f"{y}-{m:02d}-{d:02d} {h:02d}:00:00" for y, m, d, h in
                    zip(rt_year.tolist(), rt_month.tolist(), day.tolist(), rng.integers(8, 18, rows).tolist(),
                        strict=True)],
        HEADER[7]: text_value,
        HEADER[8]: pa.array(np.round(value / 9.0 * np.where(wasteful, 1.5, 1.0), 2), pa.float64()),
    }
    return pa.table(columns)
