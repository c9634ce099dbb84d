"""Commerce, government services and infrastructure: 网络零售, 政务服务办件, 5G基站.

Online retail and service cases are bulk data that shrink with ``scale`` while their yearly metrics
stay exact: retail amounts are integer hundreds of yuan split with exact yearly totals, and the
number of 依申请 cases per year is a multiple of 1,000 so the 一网通办 share is exact to 0.1%.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shucang.demo.columns import (
    dates,
    day,
    group_rank,
    group_split,
    join,
    num,
    pick,
    timestamps,
    unique_ints,
    weighted,
    year_of,
    ymd,
)
from shucang.demo.design import YEARS, metric_counts, metric_values
from shucang.demo.enterprises import Registry
from shucang.demo.people import Population
from shucang.demo.places import coordinates, street_addresses, town_names, towns_weighted
from shucang.demo.quotas import inflows, random_days, spread_years
from shucang.demo.vocab import (
    AGRI_GOODS,
    OPERATORS,
    RETAIL_GOODS,
    RETAIL_PLATFORMS,
    SERVICE_ITEMS,
    SHOP_TAILS,
)

MONTHS = len(YEARS) * 12
SHOPS = 1_900
"""Online shops at scale 1 (≈ 100,000 shop-months)."""
RETAIL_SEASON = np.array([1.0, 0.75, 0.9, 0.9, 0.95, 1.25, 0.95, 0.95, 1.0, 1.05, 1.6, 1.3])  # 618, 双十一
AGRI_SEASON = np.array([1.3, 1.2, 0.8, 0.8, 0.9, 1.9, 1.2, 1.3, 1.0, 0.9, 1.0, 1.1])  # 杨梅 June, 葡萄 summer

CASES_PER_YEAR = dict(zip(YEARS, (40_000, 43_000, 45_000, 47_000, 49_000, 51_000), strict=True))
"""依申请 cases per year at scale 1; ≈ 4,000 further non-application (public service) cases per year."""
OTHER_CASES_PER_YEAR = 4_000
MOBILE_SHARE = (0.25, 0.32, 0.39, 0.45, 0.5, 0.55)
"""Share of 一网通办 cases submitted on the phone (掌上), by year."""

STATIONS_BEFORE = {2019: 180, 2020: 1008}


def _hundreds_of_yuan(value_yi: float) -> int:
    """亿元 → integer units of 0.01 万元 (100 yuan)."""
    return round(value_yi * 1_000_000)


def online_retail(rng: np.random.Generator, scale: float, reg: Registry) -> pa.Table:
    """Monthly online sales of shops run from Cixi, with exact yearly totals."""
    n = max(24, round(SHOPS * scale))
    agri = np.zeros(n, dtype=bool)
    agri[: max(6, round(0.14 * n))] = True
    agri = rng.permutation(agri)
    opened = np.where(rng.random(n) < 0.55, 0, rng.integers(1, 61, n))
    closed = np.where(rng.random(n) < 0.8, MONTHS, np.minimum(opened + rng.integers(6, 72, n), MONTHS))
    # A few shops of each kind trade through the whole period, so every year has sales of both kinds.
    for flag in (True, False):
        keep = np.flatnonzero(agri == flag)[:4]
        opened[keep], closed[keep] = 0, MONTHS
    span = closed - opened
    shop = np.repeat(np.arange(n), span)
    t = opened[shop] + (np.arange(len(shop)) - np.repeat(np.cumsum(span) - span, span))
    year, month = YEARS[0] + t // 12, t % 12 + 1
    size = rng.lognormal(0.0, 1.1, n)
    season = np.where(agri[shop], AGRI_SEASON[month - 1], RETAIL_SEASON[month - 1])
    weight = size[shop] * season * rng.lognormal(0.0, 0.15, len(shop))

    total = {y: _hundreds_of_yuan(v) for y, v in metric_values("online_retail").items()}
    farm = {y: _hundreds_of_yuan(v) for y, v in metric_values("online_retail_agricultural").items()}
    units = np.zeros(len(shop), dtype=np.int64)
    is_agri = agri[shop]
    for flag, totals in ((True, farm), (False, {y: total[y] - farm[y] for y in YEARS})):
        rows = np.flatnonzero(is_agri == flag)
        units[rows] = group_split(year[rows], weight[rows], totals)

    platform = weighted(rng, [w for _, w in RETAIL_PLATFORMS], n)
    goods = np.where(agri, rng.integers(0, len(AGRI_GOODS), n), rng.integers(0, len(RETAIL_GOODS), n))
    goods_name = pc.if_else(pa.array(agri), pick(AGRI_GOODS, np.where(agri, goods, 0)),
                            pick(RETAIL_GOODS, np.where(agri, 0, goods)))
    brand = pick(tuple("慈上林姚溪湾潮海东北新源"), rng.integers(0, 12, n))
    brand2 = pick(tuple("品优鲜家乐美佳味选汇"), rng.integers(0, 10, n))
    names = join(brand, brand2, goods_name, pick(SHOP_TAILS, rng.integers(0, len(SHOP_TAILS), n)))
    operators = reg.eligible_before(rng, np.arange(len(reg.kind)), ymd(YEARS[0] + opened // 12, opened % 12 + 1))
    op = reg.take(operators, ("uscc", "town"))
    shop_ids = join(pick(("TB", "TM", "JD", "PDD", "DY", "KS", "ALI"), platform), num(unique_ints(rng, 10**8, n), 8))
    idx = pa.array(shop)
    return pa.table({
        "shop_id": pc.take(shop_ids, idx),
        "shop_name": pc.take(names, idx),
        "platform": pc.take(pick([p for p, _ in RETAIL_PLATFORMS], platform), idx),
        "operator_uscc": pc.take(op["uscc"], idx),
        "town": pc.take(op["town"], idx),
        "month": dates(ymd(year, month)),
        "retail_amount": pa.array(units / 100.0),
        "is_agricultural": pa.array(is_agri),
    })


def _workday(days: np.ndarray) -> np.ndarray:
    """Move weekend days to the nearest weekday of the same year (counter cases happen on workdays)."""
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    friday = days - np.maximum(weekday - 4, 0)
    monday = days + np.where(weekday >= 5, 7 - weekday, 0)
    same_year = year_of(friday) == year_of(days)
    return np.where(same_year, friday, monday)


def gov_service_cases(rng: np.random.Generator, scale: float, population: Population,
                      end_day: int | None = None) -> pa.Table:
    """Service cases; among 依申请 cases of each year exactly the designed share is 一网通办. When
    ``end_day`` is after 2025, cases go on at 2025's rate and share up to that day (drawn after the
    yearly part, which so stays the same whatever the date). Of the cases of the last ten days
    (before ``end_day``) many are still 办理中 — the overdue sign has something to find."""
    last = day(YEARS[-1], 12, 31)
    end = last if end_day is None or end_day < last else end_day
    rate = metric_values("one_network_rate")
    years, one_network, on_application = [], [], []
    for y in YEARS:  # six years: a loop over years, not rows
        n_app = 1000 * max(1, round(CASES_PER_YEAR[y] * scale / 1000))
        k = n_app * round(rate[y] * 10) // 1000
        flags = np.zeros(n_app, dtype=bool)
        flags[rng.choice(n_app, size=k, replace=False)] = True
        n_other = max(50, round(OTHER_CASES_PER_YEAR * scale))
        years.append(np.full(n_app + n_other, y))
        one_network.append(np.concatenate([flags, rng.random(n_other) < 0.7]))
        on_application.append(np.concatenate([np.ones(n_app, dtype=bool), np.zeros(n_other, dtype=bool)]))
    year = np.concatenate(years)
    onet = np.concatenate(one_network)
    app = np.concatenate(on_application)
    yearly = _cases(rng, year, onet, app, population, end - 9, None)
    if end == last:
        return yearly
    count = end - last
    n_app = 1000 * max(1, round(CASES_PER_YEAR[YEARS[-1]] * scale * count / 365 / 1000))
    flags = np.zeros(n_app, dtype=bool)
    flags[rng.choice(n_app, size=n_app * round(rate[YEARS[-1]] * 10) // 1000, replace=False)] = True
    n_other = max(50, round(OTHER_CASES_PER_YEAR * scale * count / 365))
    onet = np.concatenate([flags, rng.random(n_other) < 0.7])
    app = np.concatenate([np.ones(n_app, dtype=bool), np.zeros(n_other, dtype=bool)])
    recent = _cases(rng, np.full(n_app + n_other, YEARS[-1]), onet, app, population, end - 9, (last + 1, end))
    return pa.concat_tables([yearly, recent])


def _cases(rng: np.random.Generator, year: np.ndarray, onet: np.ndarray, app: np.ndarray, population: Population,
           open_from: int, span: tuple[int, int] | None) -> pa.Table:
    """Cases of ``year`` (or, with ``span``, on days within it); those from ``open_from`` on are often 办理中."""
    n = len(year)
    mobile_share = np.asarray(MOBILE_SHARE)[year - YEARS[0]]
    u = rng.random(n)
    channel = np.where(onet, np.where(u < mobile_share, 2, np.where(u < mobile_share + 0.35, 1, 0)), 0)
    items_app = [i for i, it in enumerate(SERVICE_ITEMS) if it[2]]
    items_other = [i for i, it in enumerate(SERVICE_ITEMS) if not it[2]]
    item = np.where(app, np.array(items_app)[weighted(rng, [SERVICE_ITEMS[i][3] for i in items_app], n)],
                    np.array(items_other)[weighted(rng, [SERVICE_ITEMS[i][3] for i in items_other], n)])

    if span is None:
        days = random_days(rng, year)
    else:
        days = span[0] + (rng.random(n) * (span[1] - span[0] + 1)).astype(np.int64)
    moved = _workday(days)
    if span is not None:  # counter cases of a weekend at the end go to the Friday before, not past the end
        friday = days - np.maximum((days + 3) % 7 - 4, 0)
        moved = np.where(moved > span[1], np.maximum(friday, span[0]), moved)
    days = np.where(channel == 0, moved, days)
    seconds = np.where(channel == 0, rng.integers(8 * 3600 + 1800, 17 * 3600, n), rng.integers(7 * 3600, 24 * 3600, n))
    order = np.lexsort((seconds, days))
    onet, app, channel, item, days, seconds = (a[order] for a in (onet, app, channel, item, days, seconds))
    serial, _, _ = group_rank(days)

    status = np.where(rng.random(n) < 0.02, 2, np.where(rng.random(n) < 0.01, 3, 0))
    status = np.where(days >= open_from, np.where(rng.random(n) < 0.6, 1, status), status)
    who = population.take(population.sample(rng, n), ("name", "id_card", "mobile", "town"))
    date_text = pc.strftime(dates(days), format="%Y%m%d")
    return pa.table({
        "case_no": join("330282", date_text, num(serial + 1, 6)),
        "item_name": pick([it[0] for it in SERVICE_ITEMS], item),
        "handling_department": pick([it[1] for it in SERVICE_ITEMS], item),
        "applicant_name": who["name"],
        "applicant_id_card": who["id_card"],
        "applicant_phone": who["mobile"],
        "town": who["town"],
        "submitted_at": timestamps(days * 86_400 + seconds),
        "channel": pick(("窗口", "网上", "掌上"), channel),
        "on_application": pa.array(app),
        "is_one_network": pa.array(onet),
        "status": pick(("已办结", "办理中", "不予受理", "退件"), status),
    })


def base_stations_5g(rng: np.random.Generator) -> pa.Table:
    """5G base stations, commissioned since mid-2019 (cumulative design counts)."""
    years = spread_years(inflows(metric_counts("base_stations_5g"), STATIONS_BEFORE))
    n = len(years)
    commissioned = np.sort(random_days(rng, years, lo=np.full(n, day(2019, 6, 6))))
    years = year_of(commissioned)
    op = weighted(rng, [w for *_, w in OPERATORS], n)
    op = np.where((op == 3) & (years < 2022), 0, op)  # 广电 5G started in 2022
    towns = towns_weighted(rng, n)
    lon, lat = coordinates(rng, towns)
    bands = np.array(["n41", "n78", "n78", "n28"])
    band = np.where((op == 0) & (rng.random(n) < 0.3), "n28", bands[op])
    site = weighted(rng, [0.62, 0.23, 0.15], n)
    station = join(pick([c for _, c, _ in OPERATORS], op), "-CX5G-", num(np.arange(1, n + 1), 5))
    return pa.table({
        "station_id": station,
        "operator": pick([o for o, _, _ in OPERATORS], op),
        "town": town_names(towns),
        "address": street_addresses(rng, towns),
        "longitude": pa.array(lon),
        "latitude": pa.array(lat),
        "band": pa.array(band, type=pa.string()),
        "site_type": pick(("宏站", "微站", "室分"), site),
        "commissioned_on": dates(commissioned),
    })
