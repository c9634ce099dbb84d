"""Generate every demo dataset (pure) and store them in a warehouse (``shucang demo``).

Each dataset draws from its own seeded random stream, so the same seed gives byte-identical tables
and one generator's change does not reshuffle the others.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np
import pyarrow as pa

from shucang.demo.city_feeds import (
    air_quality,
    enterprise_changes,
    hotline_flow,
    last_complete_day,
    power_load,
    traffic_counts,
    water_levels,
)
from shucang.demo.design import DATASETS, DEPARTMENTS, TOPICS
from shucang.demo.digitalisation import enterprise_cloud, industrial_robots, smart_factories
from shucang.demo.economy import codes_for, economy_tables
from shucang.demo.enterprises import generate_registry
from shucang.demo.hotline import hotline_12345
from shucang.demo.industry import industrial_monthly
from shucang.demo.innovation import high_tech_enterprises, patents
from shucang.demo.people import generate_population
from shucang.demo.services import base_stations_5g, gov_service_cases, online_retail
from shucang.errors import InputError
from shucang.warehouse import IngestOptions, IngestResult, Warehouse

POPULATION = 1_000_000
MIN_SCALE, MAX_SCALE = 0.01, 2.0

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class DemoTable:
    """One generated dataset with its catalog entry."""

    name: str
    title: str
    department: str
    cadence: str
    key: tuple[str, ...]
    table: pa.Table
    description: str

    def options(self) -> IngestOptions:
        """How the table is stored: replacing any earlier demo version, flagged synthetic."""
        return IngestOptions(dataset=self.name, mode="replace", department=self.department, title=self.title,
                             description=self.description, key=self.key, not_null=self.key, cadence=self.cadence,
                             synthetic=True, created_by="shucang demo")


def _stream(seed: int, name: str) -> np.random.Generator:
    """An independent random stream per dataset (stable across Python runs: no ``hash()``)."""
    return np.random.default_rng([seed, *name.encode()])


def check_scale(scale: float) -> float:
    if not MIN_SCALE <= scale <= MAX_SCALE:
        raise InputError(f"演示数据规模须在 {MIN_SCALE} 与 {MAX_SCALE} 之间 (scale must be between "
                         f"{MIN_SCALE} and {MAX_SCALE}): {scale}", hint="e.g. --scale 0.05 for a quick demo")
    return scale


def generate_tables(*, scale: float = 1.0, seed: int = 2021, progress: Progress | None = None,
                    as_of: date | None = None) -> dict[str, DemoTable]:
    """Every demo dataset as an Arrow table, in catalog order; pure (no I/O), deterministic per seed
    (and per ``as_of`` date, default today: the economy monthly reports end at its latest complete month,
    the city feeds at its latest complete day)."""
    check_scale(scale)
    population = generate_population(_stream(seed, "population"), round(POPULATION * scale))
    registry = generate_registry(_stream(seed, "enterprise_registry"), scale, population)
    made: dict[str, tuple[pa.Table, pa.Table]] = {}
    end_day = last_complete_day(as_of)

    def economy() -> tuple[pa.Table, pa.Table]:
        if "economy" not in made:  # both economy tables come from one draw
            made["economy"] = economy_tables(_stream(seed, "economy_monthly"), registry, as_of)
        return made["economy"]

    makers: dict[str, Callable[[], pa.Table]] = {
        "population": lambda: population.table,
        "enterprise_registry": lambda: registry.table,
        "enterprise_cloud": lambda: enterprise_cloud(_stream(seed, "enterprise_cloud"), registry),
        "industrial_monthly": lambda: industrial_monthly(_stream(seed, "industrial_monthly"), registry,
                                                         lambda uscc: codes_for(economy()[0], uscc)),
        "industrial_robots": lambda: industrial_robots(_stream(seed, "industrial_robots"), registry),
        "patents": lambda: patents(_stream(seed, "patents"), registry, population),
        "online_retail": lambda: online_retail(_stream(seed, "online_retail"), scale, registry),
        "gov_service_cases": lambda: gov_service_cases(_stream(seed, "gov_service_cases"), scale, population,
                                                       end_day),
        "hotline_12345": lambda: hotline_12345(_stream(seed, "hotline_12345"), scale, population, end_day),
        "base_stations_5g": lambda: base_stations_5g(_stream(seed, "base_stations_5g")),
        "high_tech_enterprises": lambda: high_tech_enterprises(_stream(seed, "high_tech_enterprises"), registry),
        "smart_factories": lambda: smart_factories(_stream(seed, "smart_factories"), registry),
        "economy_monthly": lambda: economy()[0],
        "enterprise_land": lambda: economy()[1],
        "water_levels": lambda: water_levels(_stream(seed, "water_levels"), end_day),
        "air_quality": lambda: air_quality(_stream(seed, "air_quality"), end_day),
        "traffic_counts": lambda: traffic_counts(_stream(seed, "traffic_counts"), end_day),
        "power_load": lambda: power_load(_stream(seed, "power_load"), end_day),
        "enterprise_changes": lambda: enterprise_changes(_stream(seed, "enterprise_changes"), end_day),
        "hotline_flow": lambda: hotline_flow(_stream(seed, "hotline_flow"), out["hotline_12345"].table, end_day),
    }
    out: dict[str, DemoTable] = {}
    for i, spec in enumerate(DATASETS):
        if progress is not None:
            progress(f"生成 {spec.name}", i, len(DATASETS))
        table = makers[spec.name]()
        out[spec.name] = DemoTable(spec.name, spec.title, spec.department, spec.cadence, spec.key,
                                   table.combine_chunks(), spec.description)
    return out


def build_demo(wh: Warehouse, *, scale: float = 1.0, seed: int = 2021,
               progress: Progress | None = None, as_of: date | None = None) -> list[IngestResult]:
    """Generate the demo datasets and store each as a new (replacing) version of ``wh``."""
    started = time.perf_counter()
    tables = generate_tables(scale=scale, seed=seed, progress=progress, as_of=as_of)
    for code, name in DEPARTMENTS.items():
        wh.ensure_department(code, name)
    results: list[IngestResult] = []
    for i, demo in enumerate(tables.values()):
        if progress is not None:
            progress(f"写入 {demo.name}", i, len(tables))
        results.append(wh.ingest_arrow(demo.table, demo.options(), source=f"shucang demo (seed {seed}, scale {scale})"))
        # Opening a dataset is the sharing stage's job (level-1 columns, k-anonymity check):
        # platform.build_demo_warehouse publishes design.OPEN_DATASETS through it.
        wh.update_dataset(demo.name, topic=TOPICS[demo.name])
    if progress is not None:
        progress(f"完成 ({time.perf_counter() - started:.1f} s)", len(tables), len(tables))
    return results

