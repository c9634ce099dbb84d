"""The synthetic population (人口基础信息) and the people other datasets borrow from it.

Everyone who appears elsewhere (legal representatives, applicants, callers) is drawn from this table,
so one person keeps one name, ID number and phone number across the whole warehouse.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shucang.demo.codes import id_cards, mobiles
from shucang.demo.columns import dates, day, group_rank, pick, weighted, year_of, ymd
from shucang.demo.places import home_addresses, town_names, towns_weighted
from shucang.demo.vocab import EDUCATION, ETHNICITIES, GIVEN_FEMALE, GIVEN_MALE, REGIONS, SURNAMES

LAST_DAY = day(2025, 12, 31)
CIXI = "330282"

# Relative births per year (knots, linearly interpolated): locals age like a coastal Zhejiang county,
# migrants are mostly of working age (and their children).
_LOCAL_KNOTS = ((1925, 0.4), (1935, 2.0), (1945, 4.0), (1950, 6.0), (1955, 7.0), (1963, 10.0), (1970, 9.0),
                (1975, 8.0), (1985, 7.0), (1990, 8.0), (1995, 6.0), (2000, 5.0), (2005, 5.0), (2010, 6.0),
                (2016, 7.0), (2020, 5.0), (2025, 3.5))
_MIGRANT_KNOTS = ((1955, 0.2), (1965, 1.0), (1975, 4.0), (1985, 9.0), (1990, 10.0), (1995, 9.0),
                  (2000, 6.0), (2005, 3.0), (2010, 3.0), (2015, 3.0), (2020, 2.0), (2025, 1.5))

# Education by age bracket: brackets are upper age bounds (exclusive), rows follow EDUCATION.
_AGE_BOUNDS = np.array([6, 12, 15, 18, 23, 41, 61, 200])
_EDU_P = np.array([
    #  none  pre   prim  mid   high  jc    bach  mast  phd
    [0.00, 1.00, 0.00, 0.00, 0.00, 0.00, 0.00, 0.00, 0.00],  # < 6
    [0.00, 0.00, 1.00, 0.00, 0.00, 0.00, 0.00, 0.00, 0.00],  # 6–11
    [0.00, 0.00, 0.05, 0.95, 0.00, 0.00, 0.00, 0.00, 0.00],  # 12–14
    [0.00, 0.00, 0.00, 0.25, 0.75, 0.00, 0.00, 0.00, 0.00],  # 15–17
    [0.00, 0.00, 0.02, 0.15, 0.40, 0.23, 0.20, 0.00, 0.00],  # 18–22
    [0.00, 0.00, 0.04, 0.25, 0.25, 0.20, 0.22, 0.035, 0.005],  # 23–40
    [0.02, 0.00, 0.18, 0.42, 0.22, 0.09, 0.065, 0.005, 0.00],  # 41–60
    [0.22, 0.00, 0.45, 0.22, 0.08, 0.02, 0.01, 0.00, 0.00],  # 61+
])


@dataclass(frozen=True)
class Population:
    """The population table plus the arrays other generators draw people from."""

    table: pa.Table
    birth_days: np.ndarray
    towns: np.ndarray
    grown_ups: np.ndarray
    """Indices of people born before 2002 who have a mobile phone (applicants, callers, owners)."""

    def take(self, idx: np.ndarray, columns: tuple[str, ...] = ("name", "id_card", "mobile")) -> dict[str, pa.Array]:
        """Columns of the given people (as Arrow arrays), e.g. ``take(i)["name"]``."""
        ids = pa.array(np.asarray(idx, dtype=np.int64))
        return {c: pc.take(self.table.column(c), ids).combine_chunks() for c in columns}

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` grown-ups (with repetition: one person may apply or call many times)."""
        return self.grown_ups[rng.integers(0, len(self.grown_ups), size=n)]

    def sample_born(self, rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """One grown-up per row born within ``[lo, hi]`` (day numbers), or the nearest in age when none is."""
        order = self.grown_ups[np.argsort(self.birth_days[self.grown_ups], kind="stable")]
        born = self.birth_days[order]
        a = np.searchsorted(born, lo, side="left")
        b = np.searchsorted(born, hi, side="right")
        b = np.maximum(b, np.minimum(a + 1, len(order)))
        a = np.minimum(a, b - 1)
        return order[a + (rng.random(len(lo)) * (b - a)).astype(np.int64)]


def _birth_years(rng: np.random.Generator, knots: tuple[tuple[int, float], ...], n: int) -> np.ndarray:
    years = np.arange(knots[0][0], knots[-1][0] + 1)
    w = np.interp(years, [k[0] for k in knots], [k[1] for k in knots])
    out: np.ndarray = years[weighted(rng, w, n)]
    return out


def _names(rng: np.random.Generator, male: np.ndarray) -> pa.Array:
    n = len(male)
    surname = pick([s for s, _ in SURNAMES], weighted(rng, [w for _, w in SURNAMES], n))
    is_male = pa.array(male)
    first = pc.if_else(is_male, pick(GIVEN_MALE, rng.integers(0, len(GIVEN_MALE), n)),
                       pick(GIVEN_FEMALE, rng.integers(0, len(GIVEN_FEMALE), n)))
    second = pc.if_else(is_male, pick(GIVEN_MALE, rng.integers(0, len(GIVEN_MALE), n)),
                        pick(GIVEN_FEMALE, rng.integers(0, len(GIVEN_FEMALE), n)))
    second = pc.if_else(pa.array(rng.random(n) < 0.2), pa.scalar(""), second)  # one in five: one-character name
    return pc.binary_join_element_wise(surname, first, second, "")


def _education(rng: np.random.Generator, age: np.ndarray) -> pa.Array:
    bracket = np.searchsorted(_AGE_BOUNDS, age, side="right")
    cum = np.cumsum(_EDU_P, axis=1)
    cum[:, -1] = 1.0
    u = rng.random(len(age))
    idx = (u[:, None] >= cum[bracket]).sum(axis=1)
    return pick(EDUCATION, np.minimum(idx, len(EDUCATION) - 1))


def generate_population(rng: np.random.Generator, n: int) -> Population:
    """``n`` residents of Cixi with consistent ID numbers, birth dates and genders."""
    region_codes = np.array([int(r) for r, _ in REGIONS], dtype=np.int64)
    region_idx = weighted(rng, [w for _, w in REGIONS], n)
    local = region_codes[region_idx] == int(CIXI)
    years = np.where(local, _birth_years(rng, _LOCAL_KNOTS, n), _birth_years(rng, _MIGRANT_KNOTS, n))
    start = ymd(years, np.ones(n, dtype=np.int64))
    length = ymd(years + 1, np.ones(n, dtype=np.int64)) - start
    birth = np.minimum(start + (rng.random(n) * length).astype(np.int64), LAST_DAY - 1)
    male = rng.random(n) < 0.51

    # Sequence digits: distinct within (region, birth date, gender), odd for men (GB 11643).
    key = ((region_idx.astype(np.int64) * 100_000 + (birth - birth.min())) * 2 + male)
    rank, size, group = group_rank(key)
    offset = (rng.random(int(group.max()) + 1)[group] * np.maximum(500 - size + 1, 1)).astype(np.int64)
    seq = 2 * np.minimum(offset + rank, 499) + male
    if int(size.max()) > 500:  # pragma: no cover — would need ~1,000 same-day births in one county
        raise ValueError("too many people born on one day in one region for distinct ID numbers")
    ids = id_cards(region_codes[region_idx], birth, seq)

    age = 2025 - year_of(birth)
    towns = towns_weighted(rng, n)
    has_mobile = (age >= 14) & (rng.random(n) < 0.96)
    phone = pc.if_else(pa.array(has_mobile), mobiles(rng, n), pa.scalar(None, pa.string()))

    registered_local = birth + rng.integers(3, 61, size=n)
    lower = np.maximum(birth + 30, day(2005, 1, 1))
    lower = np.where(lower > LAST_DAY, birth + 30, lower)
    registered_moved = lower + (rng.random(n) * np.maximum(LAST_DAY - lower, 0)).astype(np.int64)
    registered = np.minimum(np.where(local, registered_local, registered_moved), LAST_DAY)
    hukou = local | (rng.random(n) < 0.12)

    table = pa.table({
        "id_card": ids,
        "name": _names(rng, male),
        "gender": pick(("女", "男"), male.astype(np.int64)),
        "birth_date": dates(birth),
        "ethnicity": pick([e for e, _ in ETHNICITIES], weighted(rng, [w for _, w in ETHNICITIES], n)),
        "education": _education(rng, age),
        "residence_type": pick(("流动人口", "户籍人口"), hukou.astype(np.int64)),
        "town": town_names(towns),
        "address": home_addresses(rng, towns),
        "mobile": phone,
        "registered_on": dates(registered),
    })
    grown_ups = np.flatnonzero((year_of(birth) < 2002) & has_mobile)
    return Population(table, birth, towns, grown_ups)
