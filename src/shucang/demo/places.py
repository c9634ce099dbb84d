"""Cixi geography for the demo: towns, villages/communities, roads, addresses and coordinates.

Village, compound and road names are synthetic combinations of local-sounding parts, fixed for every
seed (the geography stays put while people and companies change with the seed).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shucang.demo.columns import join, num, pick, weighted
from shucang.demo.vocab import (
    CITY_ROADS,
    COMPOUND_TAILS,
    PLACE_HEADS,
    PLACE_TAILS,
    ROAD_TAILS,
    TOWNS,
    ZONE_TOWNS,
)

TOWN_NAMES = tuple(t[0] for t in TOWNS)
TOWN_INDEX = {name: i for i, name in enumerate(TOWN_NAMES)}
LON = np.array([t[1] for t in TOWNS])
LAT = np.array([t[2] for t in TOWNS])
URBAN = np.array([t[3] for t in TOWNS])
TOWN_WEIGHTS = np.array([t[4] for t in TOWNS])
BOUNDS = (121.10, 121.50, 30.00, 30.35)  # lon min/max, lat min/max of the demo's Cixi
PER_TOWN = 16  # villages or compounds per town, roads per town


def _names(rng: np.random.Generator, n: int, tails: tuple[str, ...], taken: set[str]) -> list[str]:
    out: list[str] = []
    while len(out) < n:  # small fixed tables (20 towns × 16 names), built once
        name = "".join(rng.choice(PLACE_HEADS, size=2)) + str(rng.choice(tails))
        if name not in taken:
            taken.add(name)
            out.append(name)
    return out


@dataclass(frozen=True)
class Gazetteer:
    """Per-town name tables, flattened so that entry ``town * PER_TOWN + k`` belongs to ``town``."""

    localities: pa.Array
    """Villages (…村) in towns, residential compounds in urban streets."""
    roads: pa.Array

    @classmethod
    def build(cls) -> Gazetteer:
        rng = np.random.default_rng(20_211_231)
        taken: set[str] = set()
        localities: list[str] = []
        roads: list[str] = []
        for urban in URBAN:
            if urban:
                localities += _names(rng, PER_TOWN, COMPOUND_TAILS, taken)
                own = _names(rng, PER_TOWN - 6, ROAD_TAILS, taken)
                roads += [str(r) for r in rng.choice(CITY_ROADS, size=6, replace=False)] + own
            else:
                localities += [v + "村" for v in _names(rng, PER_TOWN, PLACE_TAILS, taken)]
                roads += _names(rng, PER_TOWN, ROAD_TAILS, taken)
        return cls(pa.array(localities), pa.array(roads))


GAZETTEER = Gazetteer.build()


def towns_weighted(rng: np.random.Generator, n: int) -> np.ndarray:
    """Town indices in proportion to the towns' population."""
    return weighted(rng, TOWN_WEIGHTS, n)


def town_names(towns: np.ndarray) -> pa.Array:
    return pick(TOWN_NAMES, towns)


def home_addresses(rng: np.random.Generator, towns: np.ndarray) -> pa.Array:
    """Residential addresses: compounds with building/unit/room in streets, village house numbers in towns."""
    n = len(towns)
    loc = pick(GAZETTEER.localities, towns * PER_TOWN + rng.integers(0, PER_TOWN, size=n))
    road = pick(GAZETTEER.roads, towns * PER_TOWN + rng.integers(0, PER_TOWN, size=n))
    town = town_names(towns)
    floor_room = rng.integers(1, 19, size=n) * 100 + rng.integers(1, 5, size=n)
    urban = join("慈溪市", town, loc, num(rng.integers(1, 40, size=n)), "幢", num(rng.integers(1, 5, size=n)),
                 "单元", num(floor_room), "室")
    rural = join("慈溪市", town, loc, road, num(rng.integers(1, 400, size=n)), "号")
    return pc.if_else(pa.array(URBAN[towns]), urban, rural)


def street_addresses(rng: np.random.Generator, towns: np.ndarray, suffix: str = "号") -> pa.Array:
    """Addresses on a road (companies, base stations)."""
    n = len(towns)
    road = pick(GAZETTEER.roads, towns * PER_TOWN + rng.integers(0, PER_TOWN, size=n))
    return join("慈溪市", town_names(towns), road, num(rng.integers(1, 1200, size=n)), suffix)


def coordinates(rng: np.random.Generator, towns: np.ndarray, spread: float = 0.012) -> tuple[np.ndarray, np.ndarray]:
    """Longitude/latitude scattered around each town's centre, kept inside Cixi's bounding box."""
    n = len(towns)
    lon = np.clip(LON[towns] + rng.normal(0, spread, size=n), BOUNDS[0] + 1e-3, BOUNDS[1] - 1e-3)
    lat = np.clip(LAT[towns] + rng.normal(0, spread * 0.8, size=n), BOUNDS[2] + 1e-3, BOUNDS[3] - 1e-3)
    return np.round(lon, 6), np.round(lat, 6)


def zones_for(rng: np.random.Generator, towns: np.ndarray, share: float = 0.6) -> pa.Array:
    """Plan zone of an enterprise: most enterprises of a zone's towns lie in it, others in none."""
    zone_of_town = np.full(len(TOWN_NAMES), -1)
    names = list(ZONE_TOWNS)
    for z, towns_of_zone in enumerate(ZONE_TOWNS.values()):
        for t in towns_of_zone:
            zone_of_town[TOWN_INDEX[t]] = z
    z = zone_of_town[towns]
    inside = (z >= 0) & (rng.random(len(towns)) < share)
    return pick(names, np.where(inside, z, 0), mask=~inside)
