"""数字科创 datasets: patents and national high-tech enterprise certificates.

Valid digital-core invention patents and valid digital-core high-tech certificates at each year end
equal the designed figures exactly; everything else (utility models, designs, other industries) is
background that the metrics filter out.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shucang.demo.codes import patent_numbers
from shucang.demo.columns import dates, day, join, num, pick, unique_ints, year_of, ymd, ymd_parts
from shucang.demo.design import YEARS, metric_counts
from shucang.demo.enterprises import FIXED, Registry
from shucang.demo.people import Population
from shucang.demo.quotas import NONE, ramp, random_days, spread_years, stock_flows
from shucang.demo.vocab import PATENT_ASPECTS, PATENT_PREFIXES, PATENT_SUBJECTS

CORE_PATENT_LAPSES = {2021: 120, 2022: 140, 2023: 150, 2024: 160, 2025: 170}
CORE_PATENT_LAPSED_BEFORE = 600
OTHER_PATENTS = {"发明": 2_500, "实用新型": 10_000, "外观设计": 3_000}
TYPE_DIGIT = {"发明": 1, "实用新型": 2, "外观设计": 3}
# Years from application to grant (min, max) and the share of patents that lapse early.
_PENDING = {"发明": (1.5, 3.5), "实用新型": (0.4, 1.2), "外观设计": (0.3, 1.0)}
_LAPSE_SHARE = {"发明": 0.3, "实用新型": 0.45, "外观设计": 0.4}

HIGH_TECH_BEFORE = {2018: 18, 2019: 20}
"""Digital-core certificates issued in 2018 and 2019 (still valid at the end of 2020)."""
HIGH_TECH_OTHER = {2018: 20, 2019: 22, 2020: 25, 2021: 28, 2022: 30, 2023: 33, 2024: 36, 2025: 40}
VALID_YEARS = 3


def _titles(rng: np.random.Generator, types: np.ndarray) -> pa.Array:
    n = len(types)
    subject = pick(PATENT_SUBJECTS, rng.integers(0, len(PATENT_SUBJECTS), n))
    technical = join(pick(PATENT_PREFIXES, rng.integers(0, len(PATENT_PREFIXES), n)), subject, "的",
                     pick(PATENT_ASPECTS, rng.integers(0, len(PATENT_ASPECTS), n)))
    design = join(subject, "（", pick(tuple("ABCDEFGHKMX"), rng.integers(0, 11, n)),
                  num(rng.integers(1, 99, n), 2), "）")
    return pc.if_else(pa.array(types == 3), design, technical)


def patents(rng: np.random.Generator, reg: Registry, population: Population) -> pa.Table:
    """Granted patents with lapse dates; digital-core inventions follow the designed stock."""
    # Digital-core invention patents: exact year-end stock.
    c_start, c_end = stock_flows(rng, metric_counts("digital_core_invention_patents"), CORE_PATENT_LAPSES,
                                 pre_outflow=CORE_PATENT_LAPSED_BEFORE, pre_first_year=2007, min_age_days=730)
    parts_type = [np.full(len(c_start), 1)]
    parts_start, parts_end = [c_start], [c_end]
    parts_core = [np.ones(len(c_start), dtype=bool)]
    for name, count in OTHER_PATENTS.items():
        years = spread_years(ramp(2008, 2025, count, power=1.2))
        start = random_days(rng, years)
        end = np.full(count, NONE, dtype=np.int64)
        lapses = rng.random(count) < _LAPSE_SHARE[name]
        lo = start + 365
        hi = np.minimum(start + 10 * 365, day(2025, 12, 31))
        ok = lapses & (lo <= hi)
        end[ok] = lo[ok] + (rng.random(int(ok.sum())) * (hi[ok] - lo[ok] + 1)).astype(np.int64)
        parts_type.append(np.full(count, TYPE_DIGIT[name]))
        parts_start.append(start)
        parts_end.append(end)
        parts_core.append(np.zeros(count, dtype=bool))  # decided by the applicant below
    ptype = np.concatenate(parts_type)
    granted = np.concatenate(parts_start)
    lapsed = np.concatenate(parts_end)
    core_invention = np.concatenate(parts_core)
    n = len(ptype)
    order = np.argsort(granted, kind="stable")
    ptype, granted, lapsed, core_invention = ptype[order], granted[order], lapsed[order], core_invention[order]

    lo_years = np.select([ptype == 1, ptype == 2], [_PENDING["发明"][0], _PENDING["实用新型"][0]], _PENDING["外观设计"][0])
    hi_years = np.select([ptype == 1, ptype == 2], [_PENDING["发明"][1], _PENDING["实用新型"][1]], _PENDING["外观设计"][1])
    applied = granted - ((lo_years + rng.random(n) * (hi_years - lo_years)) * 365.25).astype(np.int64)

    # Applicants: digital-core enterprises for the core inventions; other inventions from other
    # enterprises; utility models and designs from any enterprise, one in twenty from a private person.
    fixed = np.arange(FIXED)
    core_pool = fixed[reg.core[fixed]]
    core_pool = core_pool[np.argsort(-reg.size[core_pool], kind="stable")][:450]
    other_pool = fixed[~reg.core[fixed]]
    applicant = np.empty(n, dtype=np.int64)
    ci = np.flatnonzero(core_invention)
    oi = np.flatnonzero((ptype == 1) & ~core_invention)
    rest = np.flatnonzero(ptype != 1)
    applicant[ci] = reg.eligible_before(rng, core_pool, applied[ci])
    applicant[oi] = reg.eligible_before(rng, other_pool, applied[oi])
    makers = fixed[reg.manufacturing[fixed]]
    applicant[rest] = reg.eligible_before(rng, makers, applied[rest])
    person = (ptype != 1) & (rng.random(n) < 0.05)
    firm = reg.take(applicant, ("uscc", "company_name", "town"))
    people = population.take(population.sample(rng, n), ("name", "town"))
    is_person = pa.array(person)

    serial = unique_ints(rng, 10**7, n, low=1)
    return pa.table({
        "patent_no": patent_numbers(year_of(applied), ptype, serial),
        "title": _titles(rng, ptype),
        "patent_type": pick(tuple(TYPE_DIGIT), ptype - 1),
        "applicant": pc.if_else(is_person, people["name"], firm["company_name"]),
        "applicant_uscc": pc.if_else(is_person, pa.scalar(None, pa.string()), firm["uscc"]),
        "town": pc.if_else(is_person, people["town"], firm["town"]),
        "applied_on": dates(applied),
        "granted_on": dates(granted),
        "lapsed_on": pa.array(lapsed, mask=lapsed == NONE).cast(pa.int32()).cast(pa.date32()),
        "is_digital_core": pa.array(reg.core[applicant] & ~person),
    })


def certificate_years(active: dict[int, int], before: dict[int, int]) -> dict[int, int]:
    """Certificates issued per year so that those valid at each year end number ``active[year]``.

    A certificate issued in year c is valid at the ends of c, c+1 and c+2 (three-year term).
    """
    issued = dict(before)
    first = YEARS[0] - (VALID_YEARS - 1)
    for year in YEARS:
        n = active[year] - sum(issued.get(y, 0) for y in range(year - VALID_YEARS + 1, year))
        if n < 0:
            raise ValueError(f"designed high-tech count falls too fast in {year}")
        issued[year] = n
    return {y: issued[y] for y in sorted(issued) if y >= first}


def high_tech_enterprises(rng: np.random.Generator, reg: Registry) -> pa.Table:
    """One row per high-tech certificate (renewals are new rows for the same enterprise)."""
    core_years = certificate_years(metric_counts("digital_high_tech_enterprises"), HIGH_TECH_BEFORE)
    fixed = np.arange(FIXED)
    firms_parts, years_parts, core_parts = [], [], []
    for is_core, per_year in ((True, core_years), (False, HIGH_TECH_OTHER)):
        pool = fixed[reg.core[fixed] == is_core]
        pool = list(rng.permutation(pool[np.argsort(-reg.size[pool], kind="stable")][:600]))
        by_year: dict[int, np.ndarray] = {}
        for year in sorted(per_year):  # a handful of years; renewals need the year three back
            count = per_year[year]
            due = by_year.get(year - VALID_YEARS, np.zeros(0, dtype=np.int64))
            renew = due[rng.random(len(due)) < 0.7][:count]
            fresh = np.array([pool.pop() for _ in range(count - len(renew))], dtype=np.int64)
            chosen = np.concatenate([renew, fresh]).astype(np.int64)
            by_year[year] = chosen
            firms_parts.append(chosen)
            years_parts.append(np.full(count, year))
            core_parts.append(np.full(count, is_core))
    firms = np.concatenate(firms_parts)
    years = np.concatenate(years_parts)
    n = len(firms)
    months = rng.integers(10, 13, n)
    days_ = rng.integers(1, 29, n)
    certified = ymd(years, months, days_)
    expires = ymd(years + VALID_YEARS, months, days_)
    order = np.lexsort((firms, certified))
    firms, certified, expires, years = firms[order], certified[order], expires[order], years[order]
    firm = reg.take(firms, ("uscc", "company_name", "town"))
    y, _, _ = ymd_parts(certified)
    return pa.table({
        "certificate_no": join("GR", num(y), "33", num(unique_ints(rng, 10**6, n, low=1), 6)),
        "uscc": firm["uscc"],
        "company_name": firm["company_name"],
        "town": firm["town"],
        "certified_on": dates(certified),
        "expires_on": dates(expires),
        "is_digital_core": pa.array(np.concatenate(core_parts)[order]),
    })
