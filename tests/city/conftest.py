"""Helpers of the city tests: a tiny dataset stored as successive versions, and signs written to the home."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pytest

from shucang.city.definitions import add_sign
from shucang.warehouse import IngestOptions


@pytest.fixture
def put_levels(warehouse: Any) -> Callable[..., int]:
    """``put_levels({"A": 1.0, "B": 2.0})`` stores the readings as the next version of dataset ``gauges``."""

    def put(values: dict[str, float], dataset: str = "gauges", cadence: str | None = "daily") -> int:
        table = pa.table({"station": list(values), "level": [float(v) for v in values.values()]})
        result = warehouse.ingest_arrow(table, IngestOptions(dataset=dataset, mode="replace", cadence=cadence,
                                                             department="slj"))
        return int(result.version)

    return put


@pytest.fixture
def level_sign(warehouse: Any) -> Callable[..., Any]:
    """Write a threshold sign over ``gauges`` into the home (the bundled signs read other datasets)."""

    def make(sign_id: str = "gauge_level", **extra: Any) -> Any:
        values = {"id": sign_id, "dataset": "gauges", "sql": "SELECT station AS grp, level AS value FROM gauges",
                  "yellow_above": 3.0, "red_above": 5.0, "unit": "m", "department": "slj", **extra}
        return add_sign(warehouse.settings.home, values, replace=True)

    return make
