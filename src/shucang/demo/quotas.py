"""Turning designed year-end figures into dated events, exactly.

A year-end stock (robots in service, valid patents, 5G stations) is produced by dated inflows and
outflows whose counts are derived from the designed values, so counting the generated rows as of
Y-12-31 gives the design back exactly, at any scale.
"""

from __future__ import annotations

import numpy as np

from shucang.demo.columns import day, largest_remainder, ymd
from shucang.demo.design import YEARS

NONE = -1
"""End day meaning "still active" (null in the table)."""


def random_days(rng: np.random.Generator, years: np.ndarray, *, lo: np.ndarray | None = None,
                hi: np.ndarray | None = None) -> np.ndarray:
    """A uniformly random day of each year, optionally kept within per-row ``[lo, hi]`` bounds."""
    years = np.asarray(years, dtype=np.int64)
    start = ymd(years, np.ones_like(years))
    end = ymd(years + 1, np.ones_like(years)) - 1
    if lo is not None:
        start = np.maximum(start, lo)
    if hi is not None:
        end = np.minimum(end, hi)
    if np.any(end < start):
        raise ValueError("empty day range")
    out: np.ndarray = start + (rng.random(len(years)) * (end - start + 1)).astype(np.int64)
    return out


def spread_years(counts: dict[int, int]) -> np.ndarray:
    """An array holding year ``y`` exactly ``counts[y]`` times, in year order."""
    return np.repeat(np.array(list(counts), dtype=np.int64), np.array(list(counts.values()), dtype=np.int64))


def ramp(first: int, last: int, total: int, power: float = 1.5) -> dict[int, int]:
    """``total`` events spread over ``first…last`` with a rising share per year (exact integer sum)."""
    years = np.arange(first, last + 1)
    w = (np.arange(len(years)) + 1.0) ** power
    return dict(zip(years.tolist(), largest_remainder(w, total).tolist(), strict=True))


def inflows(counts: dict[int, int], before: dict[int, int]) -> dict[int, int]:
    """New items per year for cumulative year-end ``counts`` (no outflows); ``before`` splits the 2020 stock."""
    if sum(before.values()) != counts[YEARS[0]]:
        raise ValueError("the years before the plan must add up to the 2020 figure")
    out = dict(before)
    for prev, year in zip(YEARS, YEARS[1:], strict=False):
        added = counts[year] - counts[prev]
        if added < 0:
            raise ValueError(f"cumulative count falls in {year}")
        out[year] = out.get(year, 0) + added
    return out


def stock_flows(rng: np.random.Generator, counts: dict[int, int], outflows: dict[int, int], *,
                pre_outflow: int, pre_first_year: int, min_age_days: int = 365) -> tuple[np.ndarray, np.ndarray]:
    """Start and end days of items whose number active at each year end equals ``counts[year]``.

    ``outflows[year]`` items end during each year after 2020 (chosen among items at least
    ``min_age_days`` old); ``pre_outflow`` items both started and ended before 2021. Items still active
    at the end of 2025 have end day :data:`NONE`.
    """
    base = YEARS[0]
    n_pre = counts[base] + pre_outflow
    pre_years = spread_years(ramp(pre_first_year, base, n_pre))
    start = random_days(rng, pre_years)
    end = np.full(n_pre, NONE, dtype=np.int64)
    last_pre = day(base, 12, 31)
    can_end = np.flatnonzero(start <= last_pre - min_age_days - 1)
    if len(can_end) < pre_outflow:
        raise ValueError("not enough old items for the outflows before 2021")
    gone = rng.choice(can_end, size=pre_outflow, replace=False)
    lo = start[gone] + min_age_days
    end[gone] = lo + (rng.random(pre_outflow) * (last_pre - lo + 1)).astype(np.int64)

    starts, ends = [start], [end]
    for prev, year in zip(YEARS, YEARS[1:], strict=False):
        s, e = np.concatenate(starts), np.concatenate(ends)
        first_day = day(year, 1, 1)
        eligible = np.flatnonzero((e == NONE) & (s <= first_day - min_age_days))
        n_out = outflows.get(year, 0)
        if len(eligible) < n_out:
            raise ValueError(f"not enough items to retire in {year}")
        # Older items are likelier to go: weight by age.
        age = (first_day - s[eligible]).astype(np.float64)
        leaving = eligible[rng.choice(len(eligible), size=n_out, replace=False, p=age / age.sum())]
        e[leaving] = random_days(rng, np.full(n_out, year))
        starts, ends = [s], [e]
        added = counts[year] - counts[prev] + n_out
        if added < 0:
            raise ValueError(f"outflows of {year} too small for the designed fall")
        starts.append(random_days(rng, np.full(added, year)))
        ends.append(np.full(added, NONE, dtype=np.int64))
    return np.concatenate(starts), np.concatenate(ends)


def active_at(start: np.ndarray, end: np.ndarray, year: int) -> int:
    """How many items are active on ``year``-12-31 (the metric's definition)."""
    last = day(year, 12, 31)
    return int(np.count_nonzero((start <= last) & ((end == NONE) | (end > last))))
