"""规上工业企业月报: monthly figures of the enterprises above designated size, 2020-01 … 2025-12.

Amounts are whole 万元 (float64 holding integers), so yearly sums are exact in floating point. The
digital-core rows of each year add up exactly to the designed value added, R&D ratio and labour
productivity; the other rows follow fixed yearly totals too, so every aggregate is the same at any scale.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa

from shucang.demo.columns import dates, group_split, ymd
from shucang.demo.design import YEARS, metric_values
from shucang.demo.enterprises import Registry

MONTHS = len(YEARS) * 12
SEASON = np.array([0.92, 0.62, 1.0, 1.0, 1.02, 1.05, 1.0, 0.98, 1.04, 1.02, 1.08, 1.27])
"""Monthly pattern (Spring Festival dip in February, year-end push in December)."""

VALUE_ADDED_SHARE = 0.22
"""Digital-core revenue is set from value added at this share (rounded to tens of thousands of 万元)."""
# The other above-scale industry: value added (万元) by year, and its ratios.
OTHER_VALUE_ADDED = dict(zip(YEARS, (4_650_000, 4_980_000, 5_210_000, 5_390_000, 5_660_000, 5_910_000), strict=True))
OTHER_VALUE_ADDED_SHARE = 0.21
OTHER_RD_PERMILLE = 16
OTHER_PRODUCTIVITY = (15.2, 15.6, 16.1, 16.5, 17.0, 17.4)
NEW_PRODUCT_RATE = (0.352, 0.366, 0.381, 0.395, 0.408, 0.421)
"""规上工业新产品产值率 by year (approximate: per-row noise), towards the plan's 42%."""


def employee_total(value_added: int, productivity: float) -> int:
    """Sum of monthly headcounts S such that round(12 · value_added / S, 1) equals ``productivity``."""
    s = round(12 * value_added / productivity)
    for candidate in (s, s - 1, s + 1, s - 2, s + 2):
        if round(12 * value_added / candidate, 1) == productivity:
            return candidate
    raise ValueError(f"no headcount gives productivity {productivity}")  # pragma: no cover


def core_totals() -> dict[str, dict[int, int]]:
    """Exact yearly totals (万元, persons) of the digital-core rows, derived from the design."""
    added = {y: round(v * 10_000) for y, v in metric_values("digital_core_value_added").items()}
    revenue = {y: int(round(added[y] / VALUE_ADDED_SHARE, -4)) for y in YEARS}
    ratio = metric_values("digital_core_rd_ratio")
    rd = {y: revenue[y] // 10_000 * round(ratio[y] * 100) for y in YEARS}  # revenue is a multiple of 10,000
    productivity = metric_values("digital_core_productivity")
    employees = {y: employee_total(added[y], float(productivity[y])) for y in YEARS}
    return {"added_value": added, "revenue": revenue, "rd_expense": rd, "employees": employees}


def other_totals() -> dict[str, dict[int, int]]:
    added = OTHER_VALUE_ADDED
    revenue = {y: int(round(added[y] / OTHER_VALUE_ADDED_SHARE, -3)) for y in YEARS}
    rd = {y: revenue[y] // 1000 * OTHER_RD_PERMILLE for y in YEARS}
    employees = {y: employee_total(added[y], p) for y, p in zip(YEARS, OTHER_PRODUCTIVITY, strict=True)}
    return {"added_value": added, "revenue": revenue, "rd_expense": rd, "employees": employees}


def industrial_monthly(rng: np.random.Generator, reg: Registry,
                       codes: Callable[[pa.Array], pa.Array] | None = None) -> pa.Table:
    """One row per above-scale enterprise and month; ``codes`` gives each enterprise's 4-digit industry
    code (the one of ``economy_monthly``), so core-industry figures can be computed from codes too."""
    firms = np.flatnonzero(reg.above)
    n_firms = len(firms)
    firm = np.repeat(firms, MONTHS)
    t = np.tile(np.arange(MONTHS), n_firms)
    year = YEARS[0] + t // 12
    month = t % 12 + 1
    core = reg.core[firm]
    growth = np.repeat(rng.normal(0.08, 0.06, n_firms), MONTHS)  # each firm's own trend
    base = reg.size[firm] * np.exp(growth * t / 12) * SEASON[month - 1]
    staff = reg.size[firm] * np.exp(growth * t / 24)  # headcount follows the trend, not the season

    def noisy(sigma: float, of: np.ndarray) -> np.ndarray:
        return of * rng.lognormal(0.0, sigma, len(of))

    columns: dict[str, np.ndarray] = {}
    core_sum, other_sum = core_totals(), other_totals()
    for name, sigma in (("added_value", 0.06), ("revenue", 0.04), ("rd_expense", 0.25), ("employees", 0.01)):
        out = np.zeros(len(firm), dtype=np.int64)
        weights = noisy(sigma, staff if name == "employees" else base)
        for flag, totals in ((True, core_sum[name]), (False, other_sum[name])):
            rows = np.flatnonzero(core == flag)
            out[rows] = group_split(year[rows], weights[rows], totals)
        columns[name] = out
    revenue = columns["revenue"].astype(np.float64)
    output = np.round(revenue * rng.uniform(0.96, 1.06, len(firm)))
    rate = np.asarray(NEW_PRODUCT_RATE)[year - YEARS[0]] * rng.uniform(0.7, 1.3, len(firm))
    info = reg.take(firm, ("uscc", "company_name", "town"))
    industry_code = codes(info["uscc"]) if codes else pa.nulls(len(firm), pa.string())
    return pa.table({
        "uscc": info["uscc"],
        "company_name": info["company_name"],
        "town": info["town"],
        "month": dates(ymd(year, month)),
        "industry_code": industry_code,
        "is_digital_core": pa.array(core),
        "output_value": pa.array(output),
        "revenue": pa.array(revenue),
        "added_value": pa.array(columns["added_value"].astype(np.float64)),
        "rd_expense": pa.array(columns["rd_expense"].astype(np.float64)),
        "new_product_output": pa.array(np.round(np.minimum(rate, 0.95) * output)),
        "employees": pa.array(columns["employees"]),
    })
