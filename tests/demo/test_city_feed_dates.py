"""The demo's city feeds end on the latest complete day of the build date (as the economy reports end on
its latest complete month): deterministic per date, fixed-length windows, the 2020–2025 design untouched."""

from __future__ import annotations

from datetime import date, datetime

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from shucang.demo import generate_tables
from shucang.demo.city_feeds import DAYS, last_complete_day
from shucang.demo.columns import day

TIMES = {"water_levels": "measured_at", "air_quality": "measured_at", "traffic_counts": "counted_at",
         "power_load": "measured_at", "enterprise_changes": "change_date", "hotline_12345": "received_at",
         "gov_service_cases": "submitted_at", "hotline_flow": "received_at"}
HOURLY = ("water_levels", "air_quality", "traffic_counts", "power_load")
SCALE = 0.01


@pytest.fixture(scope="module")
def by_date() -> dict[date, dict[str, pa.Table]]:
    return {d: {k: t.table for k, t in generate_tables(scale=SCALE, as_of=d).items() if k in TIMES}
            for d in (date(2026, 1, 1), date(2026, 12, 7))}


def _last(table: pa.Table, column: str) -> date:
    value = pc.max(table[column]).as_py()
    return value.date() if isinstance(value, datetime) else value


def test_last_complete_day() -> None:
    assert last_complete_day(date(2026, 12, 7)) == day(2026, 12, 6)
    assert last_complete_day(date(2026, 3, 1)) == day(2026, 2, 28)
    assert last_complete_day(date(2025, 6, 1)) == day(2025, 12, 31)  # never before the yearly data ends


def test_feeds_end_on_the_latest_complete_day(by_date: dict[date, dict[str, pa.Table]]) -> None:
    tables = by_date[date(2026, 12, 7)]
    for name in HOURLY + ("enterprise_changes",):
        assert _last(tables[name], TIMES[name]) == date(2026, 12, 6), name
    assert pc.max(tables["water_levels"]["measured_at"]).as_py() == datetime(2026, 12, 6, 23)
    for name in ("gov_service_cases", "hotline_12345"):  # sparse at this scale: the last case within days
        assert date(2026, 11, 20) <= _last(tables[name], TIMES[name]) <= date(2026, 12, 6), name
    old = by_date[date(2026, 1, 1)]
    for name in TIMES:
        assert _last(old[name], TIMES[name]) <= date(2025, 12, 31), name


def test_windows_keep_their_length(by_date: dict[date, dict[str, pa.Table]]) -> None:
    early, late = by_date[date(2026, 1, 1)], by_date[date(2026, 12, 7)]
    for name in HOURLY + ("enterprise_changes",):
        assert early[name].num_rows == late[name].num_rows, name
    hours = pc.count_distinct(late["water_levels"]["measured_at"]).as_py()
    assert hours == DAYS * 24


def test_same_date_same_data_and_the_yearly_design_untouched(by_date: dict[date, dict[str, pa.Table]]) -> None:
    again = {k: t.table for k, t in generate_tables(scale=SCALE, as_of=date(2026, 12, 7)).items() if k in TIMES}
    assert all(again[k].equals(by_date[date(2026, 12, 7)][k]) for k in TIMES)
    cut = pa.scalar(datetime(2026, 1, 1), pa.timestamp("us"))
    for name in ("hotline_12345", "gov_service_cases"):
        late = by_date[date(2026, 12, 7)][name]
        yearly = late.filter(pc.less(late[TIMES[name]], cut))
        early = by_date[date(2026, 1, 1)][name]
        assert late.num_rows > early.num_rows, name  # 2026 runs on …
        keep = [c for c in yearly.column_names if c != "status"]  # (only the last days' 办理中 moves with the end)
        assert yearly.select(keep).equals(early.select(keep)), name  # … and 2020–2025 stay as designed
