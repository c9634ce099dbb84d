"""What makes a round cheap must not change what it reads: a dataset version loaded into the connection's
memory gives the same columns, types and readings as the warehouse's typed view, and the collector pause
of a round is always undone."""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pytest

from shucang.city import connections as conns
from shucang.city.evaluate import evaluate_signs
from shucang.city.model import Sign
from shucang.city.readings import read_result
from shucang.warehouse import IngestOptions

SQL = "SELECT station AS grp, sum(level) AS value, max(day) AS at FROM gauges_typed GROUP BY ALL"


def _put_text_typed(warehouse: Any) -> int:
    """Numbers and dates stored as text: the typed view casts them; a loaded table must keep the casts."""
    table = pa.table({"station": ["A", "B", "A"], "level": ["1.5", "4.25", "2"],
                      "day": ["2026-12-01", "2026-12-01", "2026-12-02"]})
    result = warehouse.ingest_arrow(table, IngestOptions(dataset="gauges_typed", mode="replace", cadence="daily"))
    return int(result.version)


def _through(warehouse: Any, version: int, loaded: bool) -> tuple[Any, list[str], dict[str, Any]]:
    """Column shape, tables and the sign's reading on a fresh connection (loaded or view only)."""
    store = conns.connections(warehouse)
    store.close()
    con, _ = store.get(warehouse, "gauges_typed", version, rows=3 if loaded else None)
    shape = con.sql("DESCRIBE SELECT * FROM gauges_typed").fetchall()
    tables = [r[0] for r in con.sql("SELECT table_name FROM duckdb_tables()").fetchall()]
    reading = read_result(SIGN, warehouse.select_on(con, SQL)).to_dict()
    store.close()
    return shape, tables, reading


SIGN = Sign(id="typed", dataset="gauges_typed", sql=SQL, yellow_above=3.0, red_above=5.0)


def test_a_loaded_version_reads_exactly_like_its_view(warehouse: Any) -> None:
    version = _put_text_typed(warehouse)
    view_shape, view_tables, view_reading = _through(warehouse, version, loaded=False)
    loaded_shape, loaded_tables, loaded_reading = _through(warehouse, version, loaded=True)
    assert loaded_shape == view_shape
    assert "VARCHAR" not in {r[1] for r in view_shape if r[0] != "station"}  # the view really casts text
    assert view_tables == [] and loaded_tables == [conns.loaded_name("gauges_typed")]
    assert loaded_reading == view_reading
    assert {g["grp"]: g["value"] for g in loaded_reading["groups"]} == {"A": 3.5}  # B has no reading on 12-02
    assert loaded_reading["series"]["B"] == [("2026-12-01T00:00:00", 4.25)]
    (outcome,) = evaluate_signs(warehouse, [SIGN])  # the evaluation's own path loads this small version
    assert outcome.error is None and outcome.state == "yellow"


def test_a_new_version_replaces_the_loaded_connection(warehouse: Any, put_levels: Callable[..., int]) -> None:
    sign = Sign(id="lv", dataset="gauges", sql="SELECT station AS grp, level AS value FROM gauges",
                yellow_above=3.0, red_above=5.0)
    store = conns.connections(warehouse)
    first = put_levels({"A": 1.0})
    assert evaluate_signs(warehouse, [sign])[0].state == "ok"
    con, _ = store.get(warehouse, "gauges", first)
    second = put_levels({"A": 6.0, "B": 1.0})
    assert evaluate_signs(warehouse, [sign])[0].state == "red"
    again, _ = store.get(warehouse, "gauges", second)
    assert again is con  # re-pointed at the new version, not set up anew
    assert sorted(again.sql("SELECT * FROM gauges").fetchall()) == [("A", 6.0), ("B", 1.0)]
    assert [r[0] for r in again.sql("SELECT table_name FROM duckdb_tables()").fetchall()] == ["gauges__loaded"]
    third = put_levels({"A": 2.0})
    limit = conns.LOAD_ROWS
    try:
        conns.LOAD_ROWS = 0  # this version is read through its view: the loaded table of the last one goes
        viewed, _ = store.get(warehouse, "gauges", third, rows=1)
    finally:
        conns.LOAD_ROWS = limit
    assert viewed is con and viewed.sql("SELECT * FROM gauges").fetchall() == [("A", 2.0)]
    assert viewed.sql("SELECT table_name FROM duckdb_tables()").fetchall() == []
    with pytest.raises(Exception, match="lock|configuration"):
        viewed.execute("SET enable_external_access=true")  # the lock survived re-pointing


@pytest.mark.parametrize("enabled", [True, False])
def test_a_round_restores_the_collector(warehouse: Any, put_levels: Callable[..., int], enabled: bool) -> None:
    put_levels({"A": 1.0})
    sign = Sign(id="gc", dataset="gauges", sql="SELECT station AS grp, level AS value FROM gauges", yellow_above=3.0)
    broken = Sign(id="gc_bad", dataset="gauges", sql="SELECT nope", yellow_above=3.0)
    was = gc.isenabled()
    try:
        (gc.enable if enabled else gc.disable)()
        seen: list[bool] = []
        original = conns.Connections.get

        def spy(self: Any, *args: Any, **kwargs: Any) -> Any:
            seen.append(gc.isenabled())
            return original(self, *args, **kwargs)

        conns.Connections.get = spy  # type: ignore[method-assign]
        try:
            outcomes = evaluate_signs(warehouse, [sign, broken])
        finally:
            conns.Connections.get = original  # type: ignore[method-assign]
        assert seen == [False]  # paused during the round
        assert {o.sign: o.state for o in outcomes} == {"gc": "ok", "gc_bad": "error"}
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()


def test_loading_stays_within_the_budget(warehouse: Any, put_levels: Callable[..., int],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the budget of all loaded rows a version is read through its view, with the same values."""
    monkeypatch.setattr(conns, "LOAD_BUDGET", 3)
    store = conns.Connections()
    first = put_levels({"A": 1.0, "B": 2.0})
    other = put_levels({"Q": 7.0, "R": 8.0}, dataset="other_data")
    gauges, _ = store.get(warehouse, "gauges", first, rows=2)
    others, _ = store.get(warehouse, "other_data", other, rows=2)  # 2 + 2 > 3: not loaded
    tables = "SELECT table_name FROM duckdb_tables()"
    assert gauges.sql(tables).fetchall() == [("gauges__loaded",)] and others.sql(tables).fetchall() == []
    assert sorted(others.sql("SELECT * FROM other_data").fetchall()) == [("Q", 7.0), ("R", 8.0)]
    second = put_levels({"A": 3.0})  # its new version replaces its own count: 1 + 0 fits
    assert store.get(warehouse, "gauges", second, rows=1)[0].sql(tables).fetchall() == [("gauges__loaded",)]
    store.close()
