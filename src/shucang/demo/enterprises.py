"""The enterprise register (企业登记信息) every enterprise dataset joins on ``uscc``.

Rows ``0 … FIXED-1`` are established enterprises that the exact-count datasets (cloud, robots,
patents, high-tech certificates, smart factories) draw from, so those never shrink; the rest are
smaller market entities (enterprises, individual businesses 92…, cooperatives 93…) scaled with ``scale``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shucang.demo.codes import credit_codes, landlines
from shucang.demo.columns import dates, day, join, pick, weighted
from shucang.demo.people import Population
from shucang.demo.places import TOWN_NAMES, street_addresses, town_names, towns_weighted, zones_for
from shucang.demo.quotas import random_days
from shucang.demo.vocab import (
    BRAND_CHARS,
    COOP_WORDS,
    INDIVIDUAL_TRADES,
    INDUSTRIES,
    MANUFACTURING_PREFIX,
)

FIXED = 15_000
"""Established enterprises (credit code 91…) kept at every scale."""
EXTRA = 45_000
"""Further market entities at scale 1 (≈ 30,000 enterprises, 13,000 individual businesses, 2,000 cooperatives)."""
ABOVE_SCALE = 2_080
"""Industrial enterprises above designated size (规上) at scale 1."""

_CAPITAL = np.array([10, 30, 50, 100, 200, 300, 500, 800, 1000, 2000, 3000, 5000, 10000], dtype=np.float64)
_CAPITAL_W = np.array([6, 8, 14, 18, 14, 10, 10, 5, 6, 4, 2, 2, 1], dtype=np.float64)
_FORMS = ("有限公司", "有限公司", "有限公司", "有限公司", "股份有限公司", "有限责任公司")


@dataclass(frozen=True)
class Registry:
    """The register as a table plus the per-row attributes the other generators select on."""

    table: pa.Table
    kind: np.ndarray
    towns: np.ndarray
    core: np.ndarray
    manufacturing: np.ndarray
    above: np.ndarray
    established: np.ndarray
    size: np.ndarray
    """Relative size of the enterprise (drives amounts in the monthly reports)."""

    def take(self, idx: np.ndarray, columns: tuple[str, ...] = ("uscc", "company_name", "town")) -> dict[str, pa.Array]:
        ids = pa.array(np.asarray(idx, dtype=np.int64))
        return {c: pc.take(self.table.column(c), ids).combine_chunks() for c in columns}

    def eligible_before(self, rng: np.random.Generator, pool: np.ndarray, days: np.ndarray) -> np.ndarray:
        """For each date, a random enterprise of ``pool`` already established by then."""
        order = pool[np.argsort(self.established[pool], kind="stable")]
        count = np.searchsorted(self.established[order], days, side="right")
        if np.any(count == 0):
            raise ValueError("no enterprise established early enough")
        return order[(rng.random(len(days)) * count).astype(np.int64)]


def _brands(rng: np.random.Generator, n: int) -> pa.Array:
    k = len(BRAND_CHARS)
    return join(pick(BRAND_CHARS, rng.integers(0, k, n)), pick(BRAND_CHARS, rng.integers(0, k, n)))


def _short_town(towns: np.ndarray) -> pa.Array:
    short = [t.removesuffix("街道").removesuffix("镇") for t in TOWN_NAMES]
    return pick(short, towns)


def _names(rng: np.random.Generator, kind: np.ndarray, industry: np.ndarray, trade: np.ndarray,
           towns: np.ndarray) -> pa.Array:
    """Company names; regenerated where a name repeats until every name is distinct."""
    n = len(kind)
    words = [w for *_, ws in INDUSTRIES for w in ws]
    word_start = np.cumsum([0] + [len(ws) for *_, ws in INDUSTRIES])[:-1]
    word_count = np.array([len(ws) for *_, ws in INDUSTRIES])
    trade_words = [w for _, ws in INDIVIDUAL_TRADES for w in ws]
    trade_start = np.cumsum([0] + [len(ws) for _, ws in INDIVIDUAL_TRADES])[:-1]
    trade_count = np.array([len(ws) for _, ws in INDIVIDUAL_TRADES])
    names = pa.nulls(n, pa.string())
    todo = np.arange(n)
    for _ in range(20):
        k, ind, tr, t = kind[todo], industry[todo], trade[todo], towns[todo]
        m = len(todo)
        brand = _brands(rng, m)
        prefix = pick(("慈溪市", "宁波"), (rng.random(m) < 0.2).astype(np.int64))
        word = pick(words, word_start[ind] + (rng.random(m) * word_count[ind]).astype(np.int64))
        company = join(prefix, brand, word, pick(_FORMS, rng.integers(0, len(_FORMS), m)))
        trade_word = pick(trade_words, trade_start[tr] + (rng.random(m) * trade_count[tr]).astype(np.int64))
        shop = join("慈溪市", _short_town(t), brand, trade_word)
        coop = join("慈溪市", brand, pick(COOP_WORDS, rng.integers(0, len(COOP_WORDS), m)), "专业合作社")
        made = pc.if_else(pa.array(k == 92), shop, pc.if_else(pa.array(k == 93), coop, company))
        merged = np.asarray(names.to_numpy(zero_copy_only=False), dtype=object)
        merged[todo] = np.asarray(made.to_numpy(zero_copy_only=False), dtype=object)
        names = pa.array(merged, type=pa.string())
        _, first = np.unique(merged.astype(str), return_index=True)
        repeated = np.ones(n, dtype=bool)
        repeated[first] = False
        todo = np.flatnonzero(repeated)
        if todo.size == 0:
            return names
    raise ValueError("could not make company names distinct")  # pragma: no cover


def generate_registry(rng: np.random.Generator, scale: float, population: Population) -> Registry:
    """The enterprise register: FIXED established enterprises plus ``EXTRA × scale`` further entities."""
    n_extra = round(EXTRA * scale)
    n = FIXED + n_extra
    u = rng.random(n_extra)
    kind = np.concatenate([np.full(FIXED, 91), np.where(u < 30 / 45, 91, np.where(u < 43 / 45, 92, 93))])
    fixed = np.arange(n) < FIXED

    ind_w = np.array([w for _, _, w, _ in INDUSTRIES])
    industry = weighted(rng, ind_w, n)
    agri = next(i for i, (name, *_) in enumerate(INDUSTRIES) if name.startswith("A "))
    industry = np.where(kind == 93, agri, industry)
    trade = rng.integers(0, len(INDIVIDUAL_TRADES), n)
    core = np.array([c for _, c, _, _ in INDUSTRIES])[industry] & (kind == 91)
    manufacturing = np.array([name.startswith(MANUFACTURING_PREFIX) for name, *_ in INDUSTRIES])[industry] & (kind == 91)
    industry_text = pc.if_else(pa.array(kind == 92), pick([t for t, _ in INDIVIDUAL_TRADES], trade),
                               pick([name for name, *_ in INDUSTRIES], industry))

    # Established enterprises date from 1985–2015; newer entities from 1995 to 2025.
    years = np.where(fixed, weighted(rng, np.linspace(1, 4, 31), n) + 1985,
                     weighted(rng, np.linspace(1, 6, 31), n) + 1995)
    established = random_days(rng, years, hi=np.full(n, day(2025, 12, 31)))

    above = np.zeros(n, dtype=bool)
    n_above = max(40, round(ABOVE_SCALE * scale))
    n_core_above = max(8, round(0.22 * n_above))
    man_core = np.flatnonzero(fixed & manufacturing & core)
    man_other = np.flatnonzero(fixed & manufacturing & ~core)
    n_core_above = min(n_core_above, len(man_core))
    above[rng.choice(man_core, size=n_core_above, replace=False)] = True
    above[rng.choice(man_other, size=n_above - n_core_above, replace=False)] = True

    size = rng.lognormal(0.0, 0.9, n) * np.where(above, 8.0, 1.0)
    capital = _CAPITAL[weighted(rng, _CAPITAL_W, n)] * np.where(above, 5.0, 1.0)
    capital = np.where(kind == 92, np.round(rng.uniform(1, 30, n), 1), np.where(kind == 93, capital / 5, capital))

    towns = towns_weighted(rng, n)
    # Legal representatives were 22–62 years old when the entity was established.
    rep_idx = population.sample_born(rng, established - round(62 * 365.25), established - round(22 * 365.25))
    reps = population.take(rep_idx, ("name", "id_card", "mobile"))
    phone = pc.if_else(pa.array((kind == 91) & (rng.random(n) < 0.75)), landlines(rng, n), reps["mobile"])
    modern = established >= day(2015, 10, 1)  # credit codes with new "MA…" bodies after the 2015 reform
    zone = zones_for(rng, towns)
    zone = pc.if_else(pa.array(kind == 92), pa.scalar(None, pa.string()), zone)

    table = pa.table({
        "uscc": credit_codes(rng, kind, modern),
        "company_name": _names(rng, kind, industry, trade, towns),
        "legal_rep": reps["name"],
        "legal_rep_id_card": reps["id_card"],
        "entity_type": pick(("企业", "个体工商户", "农民专业合作社"), np.searchsorted([91, 92, 93], kind)),
        "town": town_names(towns),
        "zone": zone,
        "industry": industry_text,
        "is_digital_core": pa.array(core),
        "is_above_scale": pa.array(above),
        "established_on": dates(established),
        "registered_capital": pa.array(np.round(capital, 2)),
        "phone": phone,
        "address": street_addresses(rng, towns),
    })
    return Registry(table, kind, towns, core, manufacturing, above, established, size)
