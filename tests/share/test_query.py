"""Structured queries: every value bound, every name checked; injection attempts fail safely."""

from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shucang.errors import InputError, PermissionDenied
from shucang.share.query import (
    Compiled,
    Snapshot,
    aggregate_rows,
    compile_filter,
    encode_cursor,
    parse_sort,
    select_rows,
)

TABLE = pa.table({
    "id": pa.array([f"{i:04d}" for i in range(250)]),
    "town": pa.array(["周巷镇", "浒山街道", "龙山镇", "O'Brien\"; DROP TABLE x; --", None] * 50),
    "amount": pa.array([float(i % 17) for i in range(250)]),
    "day": pa.array([dt.date(2024, 1, 1) + dt.timedelta(days=i % 40) for i in range(250)], pa.date32()),
})


class _FakeWarehouse:
    """Only what Snapshot needs: connect() giving a view named after the dataset."""

    def connect(self, versions: dict[str, int]) -> duckdb.DuckDBPyConnection:
        con = duckdb.connect()
        con.register("t_raw", TABLE)
        con.execute('CREATE VIEW "demo" AS SELECT * FROM t_raw')
        return con


@pytest.fixture(scope="module")
def snap() -> Snapshot:
    return Snapshot(_FakeWarehouse(), "demo", 1)


def _ids(snap: Snapshot, spec: object, **kw: object) -> list[str]:
    where = compile_filter(spec, snap.types)
    page = select_rows(snap, ["id"], where, [], limit=1000, **kw)  # type: ignore[arg-type]
    return page.table.column("id").to_pylist()


def test_operators_match_python(snap: Snapshot) -> None:
    rows = TABLE.to_pylist()
    cases = [
        ({"column": "town", "op": "=", "value": "龙山镇"}, lambda r: r["town"] == "龙山镇"),
        ({"column": "amount", "op": ">=", "value": 10}, lambda r: r["amount"] >= 10),
        ({"column": "amount", "op": "!=", "value": 3}, lambda r: r["amount"] != 3),
        ({"column": "day", "op": "<", "value": "2024-01-05"}, lambda r: r["day"] < dt.date(2024, 1, 5)),
        ({"column": "town", "op": "in", "value": ["周巷镇", "浒山街道"]}, lambda r: r["town"] in ("周巷镇", "浒山街道")),
        ({"column": "town", "op": "like", "value": "%镇"}, lambda r: (r["town"] or "").endswith("镇")),
        ({"column": "town", "op": "is null"}, lambda r: r["town"] is None),
        ({"or": [{"column": "amount", "op": "=", "value": 1}, {"and": [
            {"column": "amount", "op": ">", "value": 15}, {"not": {"column": "town", "op": "is null"}}]}]},
         lambda r: r["amount"] == 1 or (r["amount"] > 15 and r["town"] is not None)),
    ]
    for spec, pred in cases:
        assert _ids(snap, spec) == [r["id"] for r in rows if pred(r)], spec


@pytest.mark.parametrize("evil", [
    "x' OR '1'='1", "'; DROP TABLE __sc_snap; --", "\" OR 1=1 --", "1; SELECT * FROM duckdb_settings()",
    "O'Brien\"; DROP TABLE x; --",
])
def test_injection_in_values_is_just_a_value(snap: Snapshot, evil: str) -> None:
    expected = [r["id"] for r in TABLE.to_pylist() if r["town"] == evil]
    assert _ids(snap, {"column": "town", "op": "=", "value": evil}) == expected
    assert _ids(snap, {"column": "town", "op": "in", "value": [evil]}) == expected
    assert snap.rows == 250  # nothing was dropped


@pytest.mark.parametrize("evil_column", [
    'town" OR 1=1 --', "town; DROP TABLE __sc_snap", "rowid", "(SELECT 1)", "*", "", None, 5, ["town"],
])
def test_injection_in_column_names_is_refused(snap: Snapshot, evil_column: object) -> None:
    with pytest.raises(InputError):
        compile_filter({"column": evil_column, "op": "=", "value": "x"}, snap.types)
    if isinstance(evil_column, str) and evil_column:
        with pytest.raises((InputError, PermissionDenied)):
            parse_sort([evil_column], {"town"}, snap.types)


@pytest.mark.parametrize("evil_op", ["= 1 OR 1=1 --", "==1", "; DROP", "between", "regexp"])
def test_unknown_operators_are_refused(snap: Snapshot, evil_op: str) -> None:
    with pytest.raises(InputError):
        compile_filter({"column": "town", "op": evil_op, "value": "x"}, snap.types)


@pytest.mark.parametrize("spec", [
    {"column": "town", "op": "=", "value": {"nested": 1}},
    {"column": "town", "op": "in", "value": []},
    {"column": "town", "op": "in", "value": "abc"},
    {"column": "town", "op": "=", "value": None},
    {"column": "town", "op": "like", "value": 3},
    {"column": "town", "op": "=", "value": "x", "sql": "1=1"},
    {"and": []},
    {"and": [{}], "or": []},
    "town = 'x'",
    {"column": "amount", "op": ">", "value": "not a number"},
])
def test_malformed_filters_are_input_errors(snap: Snapshot, spec: object) -> None:
    with pytest.raises(InputError):
        where = compile_filter(spec, snap.types)
        select_rows(snap, ["id"], where, [])


def test_filterable_limits_columns(snap: Snapshot) -> None:
    with pytest.raises(PermissionDenied):
        compile_filter({"column": "amount", "op": ">", "value": 1}, snap.types, filterable={"town"})
    with pytest.raises(PermissionDenied):
        parse_sort("-amount", {"town"}, snap.types)


def test_deep_or_wide_filters_are_bounded(snap: Snapshot) -> None:
    deep: dict = {"column": "town", "op": "is null"}
    for _ in range(20):
        deep = {"not": deep}
    with pytest.raises(InputError):
        compile_filter(deep, snap.types)
    wide = {"or": [{"column": "amount", "op": "=", "value": i} for i in range(100)]}
    with pytest.raises(InputError):
        compile_filter(wide, snap.types)


def test_cursor_pages_cover_everything_once(snap: Snapshot) -> None:
    where = compile_filter({"column": "amount", "op": ">", "value": 4}, snap.types)
    for sort in ([], [("amount", True), ("id", False)]):
        seen, cursor = [], None
        while True:
            page = select_rows(snap, ["id"], where, sort, limit=37, cursor=cursor, fingerprint="q")
            seen += page.table.column("id").to_pylist()
            cursor = page.next_cursor
            if cursor is None:
                break
        expected = [r for r in TABLE.to_pylist() if r["amount"] > 4]
        if sort:
            expected.sort(key=lambda r: (-r["amount"], r["id"]))
        assert seen == [r["id"] for r in expected]


@pytest.mark.parametrize("cursor", ["garbage", encode_cursor({"v": 1, "q": "other", "r": 3}),
                                    encode_cursor({"v": 1, "q": "q", "r": "1 OR 1=1"}), "eyJ2Ijo"])
def test_tampered_cursors_are_refused(snap: Snapshot, cursor: str) -> None:
    with pytest.raises(InputError):
        select_rows(snap, ["id"], Compiled(), [], cursor=cursor, fingerprint="q")


def test_aggregates_match_python(snap: Snapshot) -> None:
    table = aggregate_rows(snap, ["town"], [{"fn": "count"}, {"fn": "sum", "column": "amount"},
                                            {"fn": "max", "column": "day", "as": "latest"}],
                           compile_filter(None, snap.types), usable=set(snap.types), sort="-count,town")
    got = {r["town"]: (r["count"], r["sum_amount"], r["latest"]) for r in table.to_pylist()}
    rows = TABLE.to_pylist()
    for town in {r["town"] for r in rows}:
        mine = [r for r in rows if r["town"] == town]
        assert got[town] == (len(mine), sum(r["amount"] for r in mine), max(r["day"] for r in mine))


def test_aggregates_refuse_hidden_and_non_numeric(snap: Snapshot) -> None:
    where = compile_filter(None, snap.types)
    with pytest.raises(PermissionDenied):
        aggregate_rows(snap, ["town"], [{"fn": "sum", "column": "amount"}], where, usable={"town"})
    with pytest.raises(PermissionDenied):
        aggregate_rows(snap, ["amount"], [], where, usable={"town"})
    with pytest.raises(InputError):
        aggregate_rows(snap, [], [{"fn": "sum", "column": "town"}], where, usable=set(snap.types))
    with pytest.raises(InputError):
        aggregate_rows(snap, [], [{"fn": "median; DROP", "column": "amount"}], where, usable=set(snap.types))


@settings(max_examples=60, deadline=None)
@given(value=st.one_of(st.text(max_size=30), st.integers(-10**6, 10**6)))
def test_any_text_value_is_bound_not_executed(snap: Snapshot, value: object) -> None:
    spec = {"column": "town", "op": "=", "value": str(value)}
    assert _ids(snap, spec) == [r["id"] for r in TABLE.to_pylist() if r["town"] == str(value)]


def test_page_falls_back_to_an_explicit_sort_if_order_is_lost(snap: Snapshot, monkeypatch: pytest.MonkeyPatch) -> None:
    real = snap.run
    calls: list[str] = []

    def shuffled(sql: str, params: list) -> pa.Table:  # type: ignore[type-arg]
        calls.append(sql)
        table = real(sql, params)
        return table if "ORDER BY" in sql else table.take(list(reversed(range(table.num_rows))))

    monkeypatch.setattr(snap, "run", shuffled)
    page = select_rows(snap, ["id"], Compiled(), [], limit=10, fingerprint="q")
    assert page.table.column("id").to_pylist() == [f"{i:04d}" for i in range(10)]
    assert any("ORDER BY rowid" in sql for sql in calls)
