"""产业大脑 demo data: the 统计局-format monthly report and the yearly 亩均 base data.

``economy_monthly`` is written with the department's own Chinese headers (so the economy stage binds
it from its headers like a real file), one row per 规上 enterprise and month from January three years
before the latest complete month up to that month. ``as_of`` (default: today) decides that month, so
the data is deterministic for a given date. Built in: enterprises entering and leaving 规上, a few
corrections (an earlier report superseded by a later one), enterprises whose output falls by more
than 20% for months, electricity use that parts from output, and one chain that grows slower than
the county — so every watch rule has something to find. ``enterprise_land`` gives land (亩), tax,
value added, energy, R&D and headcount per enterprise and complete year, with a few inputs missing.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shucang.demo.columns import join, num, pick
from shucang.demo.enterprises import Registry

# (chain codes, weight, yearly growth) — GB/T 4754-2017 codes as in shucang/economy/data/chains.yaml
CODE_POOLS: tuple[tuple[tuple[str, ...], float, float], ...] = (
    (("3851", "3852", "3853", "3854", "3855", "3856", "3857", "3859"), 34, 0.08),  # 家电
    (("3451", "3452"), 8, 0.06),  # 轴承
    (("3525",), 7, 0.07),  # 模具
    (("3670",), 11, 0.09),  # 汽车零部件
    (("3421", "3422", "3424", "3493"), 6, 0.10),  # 智能装备 (not 3491/3492: robots are a digital-core code)
    (("3821", "3824", "3831", "3879"), 10, 0.06),  # 电工电器
    (("1711", "1751", "2822", "2829"), 9, -0.06),  # 化纤纺织: slower than the county
    (("2929", "3311", "3399", "2927", "3130"), 15, 0.05),  # other manufacturing
)
CORE_CODES = ("3969", "3982", "3976", "3964", "3922")
"""Digital-core manufacturing codes (数字产品制造业) given to the registry's core enterprises."""
SEASON = np.array([0.92, 0.62, 1.0, 1.0, 1.02, 1.05, 1.0, 0.98, 1.04, 1.02, 1.08, 1.27])


def codes_for(monthly: pa.Table, uscc: pa.Array) -> pa.Array:
    """The industry code ``economy_monthly`` gives each enterprise of ``uscc`` (null where it has none),
    so the other enterprise datasets carry the same code."""
    pairs = monthly.group_by(["统一社会信用代码", "行业代码"]).aggregate([])
    at = pc.index_in(uscc, value_set=pairs.column("统一社会信用代码").combine_chunks())
    return pc.take(pairs.column("行业代码").combine_chunks(), at)


def last_complete_month(as_of: date | None) -> tuple[int, int]:
    """The month before ``as_of``'s month (the latest month whose reports are complete)."""
    d = as_of or date.today()
    return (d.year, d.month - 1) if d.month > 1 else (d.year - 1, 12)


def _codes(rng: np.random.Generator, core: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A 4-digit industry code and a yearly growth trend per enterprise."""
    n = len(core)
    weights = np.array([w for _, w, _ in CODE_POOLS])
    pool = rng.choice(len(CODE_POOLS), size=n, p=weights / weights.sum())
    codes = np.empty(n, dtype=object)
    growth = np.empty(n)
    for k, (choices, _, g) in enumerate(CODE_POOLS):
        rows = np.flatnonzero(pool == k)
        codes[rows] = np.asarray(choices, dtype=object)[rng.integers(0, len(choices), len(rows))]
        growth[rows] = rng.normal(g, 0.05, len(rows))
    rows = np.flatnonzero(core)
    codes[rows] = np.asarray(CORE_CODES, dtype=object)[rng.integers(0, len(CORE_CODES), len(rows))]
    growth[rows] = rng.normal(0.12, 0.05, len(rows))
    return codes, growth


def economy_tables(rng: np.random.Generator, reg: Registry, as_of: date | None = None) -> tuple[pa.Table, pa.Table]:
    """(economy_monthly, enterprise_land) — see the module docstring."""
    last_y, last_m = last_complete_month(as_of)
    first_y = last_y - 3
    months = (last_y - first_y) * 12 + last_m
    # 规上 enterprises, plus established manufacturers that enter 规上 during the window
    above = np.flatnonzero(reg.above)
    others = np.flatnonzero(reg.manufacturing & ~reg.above & (reg.kind == 91))
    entering = rng.choice(others, size=min(len(others), max(3, len(above) // 12)), replace=False)
    firms = np.concatenate([above, entering])
    n = len(firms)
    codes, growth = _codes(rng, reg.core[firms])
    start = np.zeros(n, dtype=np.int64)
    start[len(above):] = rng.integers(6, months - 3, n - len(above))
    stop = np.full(n, months, dtype=np.int64)  # exclusive: reports for t in [start, stop)
    leaving = rng.choice(len(above), size=max(3, len(above) // 15), replace=False)
    stop[leaving] = rng.integers(months - 30, months - 1, len(leaving))
    stop[leaving[:max(2, len(leaving) // 4)]] = months - rng.integers(2, 4, max(2, len(leaving) // 4))  # recent stops
    size = reg.size[firms] * 150.0  # 万元 a month: ~1,200 for a typical 规上 firm
    falling = rng.choice(len(above), size=max(2, len(above) // 30), replace=False)
    diverging = rng.choice(np.setdiff1d(np.arange(len(above)), falling), size=max(2, len(above) // 40), replace=False)
    stop[falling] = months
    stop[diverging] = months

    firm = np.repeat(np.arange(n), months)
    t = np.tile(np.arange(months), n)
    keep = (t >= start[firm]) & (t < stop[firm])
    firm, t = firm[keep], t[keep]
    year = first_y + t // 12
    month = t % 12 + 1
    trend = size[firm] * np.exp(growth[firm] * t / 12) * SEASON[month - 1]
    shock = np.ones(len(t))
    shock[np.isin(firm, falling) & (t >= months - 6)] = 0.55  # output down ~40% for the last six months
    output = np.round(trend * shock * rng.lognormal(0.0, 0.05, len(t)), 1)
    intensity = rng.uniform(0.035, 0.09, n)[firm]
    power = output * intensity * rng.lognormal(0.0, 0.03, len(t))
    boost = np.isin(firm, diverging) & (t >= months - 6)
    power[boost] = trend[boost] * intensity[boost] * 1.45  # electricity up while output stays
    sales = np.round(output * rng.uniform(0.95, 0.99, len(t)), 1)
    export_share = np.where(rng.random(n) < 0.3, 0.0, rng.beta(2, 5, n))[firm]
    revenue = np.round(sales * rng.uniform(1.0, 1.05, len(t)), 1)
    rd_ratio = np.where(reg.core[firms], rng.uniform(0.025, 0.05, n), rng.uniform(0.005, 0.03, n))[firm]
    staff_base = np.maximum(20, size / 10)
    staff = np.maximum(20, np.round(size[firm] / 10 * np.exp(growth[firm] * t / 36))).astype(np.int64)

    # report times: 5th–15th of the following month; corrections add an earlier, superseded row
    report_day = rng.integers(5, 16, len(t))
    ry = np.where(month == 12, year + 1, year)
    rm = np.where(month == 12, 1, month + 1)
    seconds = _epoch_seconds(ry, rm, report_day) + rng.integers(8 * 3600, 18 * 3600, len(t))
    corrected = np.flatnonzero(rng.random(len(t)) < 0.004)
    if len(corrected) == 0:
        corrected = np.array([0])
    order = np.concatenate([np.arange(len(t)), corrected])
    is_old = np.concatenate([np.zeros(len(t), bool), np.ones(len(corrected), bool)])
    factor = np.where(is_old, rng.uniform(0.85, 0.95, len(order)), 1.0)
    when = seconds[order] - np.where(is_old, 4 * 86400, 0)
    seconds[corrected] += 10 * 86400  # the correction arrives later than the usual report
    when = np.where(is_old, when, seconds[order])
    info = reg.take(firms[firm[order]], ("uscc", "company_name", "town"))
    ym_text = join(num(year[order]), "-", num(month[order], 2))
    monthly = pa.table({
        "统一社会信用代码": info["uscc"],
        "单位详细名称": info["company_name"],
        "统计月份": ym_text,
        "行业代码": pick(list(codes), firm[order]),
        "所属镇街": info["town"],
        "企业规模": pick(("大型", "中型", "小型", "微型"), _size_class(size, staff_base)[firm[order]]),
        "填报时间": pa.array(when * 1_000_000, pa.timestamp("us")),
        "工业总产值(万元)": pa.array(np.round(output[order] * factor, 1)),
        "工业销售产值(万元)": pa.array(np.round(sales[order] * factor, 1)),
        "出口交货值(万元)": pa.array(np.round(sales[order] * export_share[order] * factor, 1)),
        "用电量(万千瓦时)": pa.array(np.round(power[order], 2)),
        "营业收入(万元)": pa.array(np.round(revenue[order] * factor, 1)),
        "利润总额(万元)": pa.array(np.round(revenue[order] * rng.normal(0.06, 0.03, len(order)), 1)),
        "应交税金(万元)": pa.array(np.round(revenue[order] * rng.uniform(0.025, 0.045, len(order)), 1)),
        "研发费用(万元)": pa.array(np.round(revenue[order] * rd_ratio[order], 1)),
        "从业人员(人)": pa.array(staff[order]),
    })
    land = _land(rng, reg, firms, firm, year, month, output, revenue, power, rd_ratio, staff, last_y, last_m)
    return monthly, land


def _size_class(monthly_output: np.ndarray, staff: np.ndarray) -> np.ndarray:
    """0 大型 … 3 微型 by yearly revenue (万元) and headcount, in the spirit of 统计上大中小微型企业划分办法（2017）
    for industry (大型: ≥ 1,000 persons and ≥ 40,000 万元; 中型: ≥ 300 and ≥ 2,000; 小型: ≥ 20 and ≥ 300)."""
    revenue = monthly_output * 12
    return np.where((staff >= 1000) & (revenue >= 40_000), 0,
                    np.where((staff >= 300) & (revenue >= 2_000), 1, np.where(revenue >= 300, 2, 3)))


def _epoch_seconds(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    first = ((y - 1970) * 12 + m - 1).astype("datetime64[M]").astype("datetime64[D]")
    days: np.ndarray = first.astype(np.int64) + d - 1
    return days * 86400


def _land(rng: np.random.Generator, reg: Registry, firms: np.ndarray, firm: np.ndarray, year: np.ndarray,
          month: np.ndarray, output: np.ndarray, revenue: np.ndarray, power: np.ndarray, rd_ratio: np.ndarray,
          staff: np.ndarray, last_y: int, last_m: int) -> pa.Table:
    """Yearly 亩均 inputs per enterprise for the complete years (sums of the monthly figures)."""
    complete = year < last_y if last_m < 12 else year <= last_y
    key = firm[complete] * 10_000 + year[complete]
    keys, inverse = np.unique(key, return_inverse=True)
    def total(v: np.ndarray) -> np.ndarray:
        return np.bincount(inverse, weights=v[complete], minlength=len(keys))
    months_seen = np.bincount(inverse, minlength=len(keys))
    f, y = keys // 10_000, keys % 10_000
    n_firms = len(firms)
    land_mu = np.maximum(3.0, np.round(reg.size[firms] * rng.uniform(2.0, 4.5, n_firms), 1))
    land_mu[rng.random(n_firms) < 0.04] = np.round(rng.uniform(0.8, 2.9, 1), 1)[0]  # below the 3-亩 threshold
    value_added = total(output) * rng.uniform(0.18, 0.26, len(keys))
    energy = total(power) * 1.229 + total(output) * rng.uniform(0.002, 0.01, len(keys))  # 吨标准煤
    land = land_mu[f]
    missing_land = rng.random(len(keys)) < 0.02
    missing_energy = rng.random(len(keys)) < 0.02
    info = reg.take(firms[f], ("uscc", "company_name"))
    rev = total(revenue)
    return pa.table({
        "统一社会信用代码": info["uscc"],
        "企业名称": info["company_name"],
        "年度": pa.array(y.astype(np.int64)),
        "用地面积(亩)": pa.array(np.where(missing_land, np.nan, land), mask=missing_land),
        "税收实际贡献(万元)": pa.array(np.round(rev * rng.uniform(0.02, 0.05, len(keys)), 1)),
        "工业增加值(万元)": pa.array(np.round(value_added, 1)),
        "营业收入(万元)": pa.array(np.round(rev, 1)),
        "研发经费(万元)": pa.array(np.round(total(revenue * rd_ratio), 1)),
        "综合能耗(吨标准煤)": pa.array(np.where(missing_energy, np.nan, np.round(energy, 1)), mask=missing_energy),
        "年平均职工人数(人)": pa.array(np.round(total(staff.astype(np.float64)) / months_seen).astype(np.int64)),
        "月报月数": pa.array(months_seen.astype(np.int64)),
    })
