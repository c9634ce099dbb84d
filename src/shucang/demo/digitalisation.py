"""产业数字化 datasets: enterprises on the cloud, industrial robots, digital workshops and smart factories.

Counts come from :data:`shucang.demo.design.METRICS`; none of these tables shrinks with ``scale``.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from shucang.demo.columns import dates, day, join, num, pick, weighted, year_of
from shucang.demo.design import YEARS, metric_counts
from shucang.demo.enterprises import FIXED, Registry
from shucang.demo.quotas import NONE, inflows, random_days, spread_years, stock_flows
from shucang.demo.vocab import CLOUD_LEVELS, FACTORY_KINDS, ROBOT_BRAND_CODES, ROBOT_MODELS

CLOUD_BEFORE = {2016: 500, 2017: 2900, 2018: 2700, 2019: 1900, 2020: 1271}
"""First moves to the cloud before the plan (the 2020 total is the plan's 9271)."""
CLOUD_BENCHMARKS_2020 = 14
"""省级上云标杆企业 by the end of 2020 (plan text)."""
CLOUD_UPGRADES = 440
CLOUD_PLATFORMS = (("阿里云", 0.34), ("华为云", 0.2), ("天翼云", 0.16), ("移动云", 0.12), ("腾讯云", 0.1),
                   ("supOS工业云", 0.08))

ROBOT_RETIRED = {2021: 90, 2022: 110, 2023: 130, 2024: 150, 2025: 170}
ROBOT_RETIRED_BEFORE = 300

FACTORIES_BEFORE = {2017: 2, 2018: 3, 2019: 2, 2020: 3}
FUTURE_FACTORY_YEARS = (2022, 2024, 2025)


def enterprise_cloud(rng: np.random.Generator, reg: Registry) -> pa.Table:
    """One row per first move to the cloud and per later level upgrade."""
    firsts = inflows(metric_counts("enterprise_cloud"), CLOUD_BEFORE)
    years = spread_years(firsts)
    n = len(years)
    pool = np.arange(FIXED)  # established enterprises (all founded before 2016)
    w = 1.0 + 4.0 * reg.above[pool] + 1.0 * reg.core[pool] + 0.5 * reg.manufacturing[pool]
    firms = rng.choice(pool, size=n, replace=False, p=w / w.sum())  # bigger firms tend to go first
    first_day = random_days(rng, years)

    level = np.where(rng.random(n) < 0.9, 0, 1)
    early = np.flatnonzero(years <= YEARS[0])
    level[rng.choice(early, size=CLOUD_BENCHMARKS_2020, replace=False)] = 2

    # Upgrades (基础级 → 深度级/标杆级) at least half a year after the first move; a benchmark
    # upgrade only from 2021, so the 2020 benchmark count stays the plan's figure.
    candidates = np.flatnonzero((level == 0) & (first_day <= day(2025, 6, 30)))
    up = rng.choice(candidates, size=CLOUD_UPGRADES, replace=False)
    up_level = np.where(rng.random(CLOUD_UPGRADES) < 0.85, 1, 2)
    lo = first_day[up] + 182
    lo = np.where(up_level == 2, np.maximum(lo, day(2021, 1, 1)), lo)
    up_day = lo + (rng.random(CLOUD_UPGRADES) * (day(2025, 12, 31) - lo + 1)).astype(np.int64)

    rows = np.concatenate([firms, firms[up]])
    days = np.concatenate([first_day, up_day])
    levels = np.concatenate([level, up_level])
    order = np.lexsort((rows, days))
    rows, days, levels = rows[order], days[order], levels[order]
    firm = reg.take(rows)
    platform = weighted(rng, [w for _, w in CLOUD_PLATFORMS], len(rows))
    return pa.table({
        "uscc": firm["uscc"],
        "company_name": firm["company_name"],
        "town": firm["town"],
        "cloud_level": pick(CLOUD_LEVELS, levels),
        "cloud_platform": pick([p for p, _ in CLOUD_PLATFORMS], platform),
        "cloud_on": dates(days),
    })


def industrial_robots(rng: np.random.Generator, reg: Registry) -> pa.Table:
    """Robot register: in service from ``in_service_on``, retired on ``retired_on`` (null while in service)."""
    start, end = stock_flows(rng, metric_counts("industrial_robots_in_service"), ROBOT_RETIRED,
                             pre_outflow=ROBOT_RETIRED_BEFORE, pre_first_year=2008, min_age_days=730)
    n = len(start)
    order = np.argsort(start, kind="stable")
    start, end = start[order], end[order]
    owners_pool = np.flatnonzero(reg.manufacturing[:FIXED])
    w = reg.size[owners_pool] * np.where(reg.above[owners_pool], 6.0, 1.0)
    owners_pool = owners_pool[np.argsort(-w, kind="stable")][:700]  # robots sit in ~700 larger factories
    owners = reg.eligible_before(rng, owners_pool, start)
    firm = reg.take(owners, ("uscc", "town"))
    model = rng.integers(0, len(ROBOT_MODELS), n)
    year = year_of(start) % 100
    robot_id = join(pick(ROBOT_BRAND_CODES, model), num(year, 2), "-", num(np.arange(1, n + 1), 6))
    return pa.table({
        "robot_id": robot_id,
        "uscc": firm["uscc"],
        "town": firm["town"],
        "model": pick(ROBOT_MODELS, model),
        "payload_kg": pa.array(rng.choice([3, 6, 10, 12, 20, 50, 165, 210], size=n).astype(np.int64)),
        "in_service_on": dates(start),
        "retired_on": pa.array(end, mask=end == NONE).cast(pa.int32()).cast(pa.date32()),
    })


def smart_factories(rng: np.random.Generator, reg: Registry) -> pa.Table:
    """Recognised digital workshops / smart factories (cumulative count) and future factories."""
    counts = metric_counts("digital_workshops_smart_factories")
    years = spread_years(inflows(counts, FACTORIES_BEFORE))
    n = len(years)
    pool = np.flatnonzero(reg.above[:FIXED])
    w = reg.size[pool] * np.where(reg.core[pool], 2.0, 1.0)
    firms = rng.choice(pool, size=n, replace=False, p=w / w.sum())
    kind = np.where(rng.random(n) < 0.55, 0, 1)
    level = np.where(kind == 1, np.where(rng.random(n) < 0.5, 1, 0), 0)

    future = metric_counts("future_factories")
    if [future[y] for y in YEARS] != [sum(1 for fy in FUTURE_FACTORY_YEARS if fy <= y) for y in YEARS]:
        raise ValueError("FUTURE_FACTORY_YEARS disagree with the designed future-factory counts")
    # Future factories grow out of the earliest smart factories.
    smart = np.flatnonzero(kind == 1)
    seniors = smart[np.argsort(years[smart], kind="stable")][: len(FUTURE_FACTORY_YEARS)]
    f_years = np.array(FUTURE_FACTORY_YEARS)
    rows = np.concatenate([firms, firms[seniors]])
    kinds = np.concatenate([kind, np.full(len(seniors), 2)])
    levels = np.concatenate([level, np.full(len(seniors), 1)])
    days = np.concatenate([random_days(rng, years), random_days(rng, f_years)])
    order = np.argsort(days, kind="stable")
    rows, kinds, levels, days = rows[order], kinds[order], levels[order], days[order]
    firm = reg.take(rows, ("uscc", "company_name", "town"))
    return pa.table({
        "uscc": firm["uscc"],
        "company_name": firm["company_name"],
        "town": firm["town"],
        "kind": pick(FACTORY_KINDS, kinds),
        "level": pick(("市级", "省级"), levels),
        "recognized_on": dates(days),
    })

