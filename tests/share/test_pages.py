"""Remembered protected pages: exactly what protection makes, per caller, never past a narrowed grant,
a changed policy or a new version — and a leaked page still names its caller."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from shucang.errors import PermissionDenied
from shucang.share import grants
from shucang.share.cache import caches
from shucang.share.pages import PageCache, ProtectedPage, page_cache
from shucang.share.reads import read_rows

from .conftest import actor_of, bearer


def _grant(wh: Any, user: str, columns: list[str], max_level: int) -> Any:
    req = grants.create_request(wh, actor_of(wh, user), "people", purpose="页面缓存测试 page cache test",
                                columns=columns, max_level=max_level)
    return grants.decide_request(wh, actor_of(wh, "st_gaj"), req.id, approve=True)[1]


def _fresh(wh: Any, read: Any) -> Any:
    """The same read with remembered pages turned off: protection runs on it now."""
    cache = page_cache(wh)
    budget, cache.budget = cache.budget, 0
    try:
        return read()
    finally:
        cache.budget = budget


def test_a_remembered_page_is_exactly_what_protection_makes_now(wh: Any) -> None:
    from shucang.protect.registry import get_extract

    _grant(wh, "ana", ["town", "name", "mobile", "income", "age"], max_level=3)
    ana = actor_of(wh, "ana")

    def read() -> Any:
        return read_rows(wh, ana, "people", filter={"column": "age", "op": ">=", "value": 30}, limit=20)

    first = read()
    hits = page_cache(wh).hits
    second = read()
    assert page_cache(wh).hits == hits + 1
    fresh = _fresh(wh, read)
    assert second.table.equals(fresh.table) and second.table.equals(first.table)
    assert (second.masked_columns, second.dropped_columns) == (fresh.masked_columns, fresh.dropped_columns)
    assert len({first.extract_id, second.extract_id, fresh.extract_id}) == 3
    mine, theirs = get_extract(wh, second.extract_id).to_dict(), get_extract(wh, fresh.extract_id).to_dict()
    for key in ("id", "created_at"):
        mine.pop(key), theirs.pop(key)
    assert mine == theirs and mine["recipient"] == "ana"


def test_a_narrower_grant_is_never_served_a_wider_page(wh: Any) -> None:
    _grant(wh, "ana", ["town", "name", "age"], max_level=3)
    ana = actor_of(wh, "ana")
    clear = read_rows(wh, ana, "people", limit=10)
    assert "name" not in clear.masked_columns
    read_rows(wh, ana, "people", limit=10)  # remembered now
    _grant(wh, "ana", ["town", "name", "age"], max_level=2)  # supersedes: names above level 2 now
    narrowed = read_rows(wh, ana, "people", limit=10)
    assert "name" in narrowed.masked_columns
    assert narrowed.table.column("name").to_pylist() != clear.table.column("name").to_pylist()
    assert narrowed.table.equals(_fresh(wh, lambda: read_rows(wh, ana, "people", limit=10)).table)
    _grant(wh, "ana", ["town", "age"], max_level=2)
    with pytest.raises(PermissionDenied):
        read_rows(wh, ana, "people", columns=["name"], limit=10)


def test_pages_are_remembered_per_caller(wh: Any) -> None:
    for user in ("ana", "bob"):
        _grant(wh, user, ["town", "name", "age"], max_level=2)
    cache = page_cache(wh)
    bob = read_rows(wh, actor_of(wh, "bob"), "people", limit=10)
    again = read_rows(wh, actor_of(wh, "bob"), "people", limit=10)
    hits = cache.hits
    ana = read_rows(wh, actor_of(wh, "ana"), "people", limit=10)
    assert cache.hits == hits  # bob's page is not ana's
    assert again.table.equals(bob.table)
    assert ana.table.equals(_fresh(wh, lambda: read_rows(wh, actor_of(wh, "ana"), "people", limit=10)).table)
    from shucang.protect.registry import get_extract

    assert get_extract(wh, again.extract_id).recipient == "bob" and get_extract(wh, ana.extract_id).recipient == "ana"


def test_a_new_masking_policy_makes_new_pages(wh: Any) -> None:
    from shucang.protect.policy import set_column_rule

    steward = actor_of(wh, "st_gaj")
    before = read_rows(wh, steward, "people", limit=5)
    assert "id_card" in before.table.column_names  # above the steward's clearance: masked, not dropped
    read_rows(wh, steward, "people", limit=5)
    set_column_rule(wh, "people", "id_card", "drop")
    caches(wh).releases.clear()  # as after ≤ 1 s: protection's lookups are made again
    after = read_rows(wh, steward, "people", limit=5)
    assert "id_card" not in after.table.column_names and "id_card" in after.dropped_columns


def test_a_new_version_makes_new_pages(wh: Any) -> None:
    from shucang.warehouse import IngestOptions

    from .conftest import people_table

    steward = actor_of(wh, "st_gaj")
    old = read_rows(wh, steward, "people", columns=["town", "age"], limit=5)
    read_rows(wh, steward, "people", columns=["town", "age"], limit=5)
    table = people_table().set_column(4, "age", pa.array([99] * 60, pa.int64()))
    wh.ingest_arrow(table, IngestOptions(dataset="people", department="gaj", mode="replace", synthetic=True))
    caches(wh).datasets.clear()  # as after ≤ 1 s: the catalog's current version is read again
    new = read_rows(wh, steward, "people", columns=["town", "age"], limit=5)
    assert new.version == old.version + 1 and set(new.table.column("age").to_pylist()) == {99}


def test_page_cache_keeps_to_its_budget_and_counts_serialised_forms() -> None:
    cache = PageCache(budget_mb=1)
    table = pa.table({"a": pa.array(range(4_000), pa.int64())})  # 32 kB (+2 kB accounted): ≤ 30 fit in 1 MB

    def page() -> ProtectedPage:
        return ProtectedPage(table, None, [], [], {})

    for i in range(60):
        cache.put(("k", i), page())
    held = [i for i in range(60) if cache.get(("k", i)) is not None]
    assert held and held[-1] == 59 and 0 not in held and len(held) <= 30
    found = cache.get(("k", 59))
    assert found is not None
    found.remember_encoded("json", (b"x" * 600_000, b""), 600_000)  # counted: older pages make room
    assert found.encoded["json"][0] and cache.get(("k", 59)) is found
    assert sum(1 for i in range(60) if cache.get(("k", i)) is not None) < len(held)
    assert PageCache(budget_mb=0).get(("k", 0)) is None


def test_a_leaked_api_page_names_its_caller_even_when_served_from_memory(client: Any, app: Any,
                                                                          tmp_path: Path) -> None:
    """Pages read over HTTP (each asked twice, the second answer remembered) and leaked as CSV trace
    back to the caller: remembering pages keeps every page's fingerprint."""
    import numpy as np

    from shucang.protect import trace_file
    from shucang.warehouse import IngestOptions

    from .conftest import pin_grades

    wh = app.state.warehouse
    rng = np.random.default_rng(5)
    rows = 3000
    wh.ingest_arrow(pa.table({"case_no": [f"P{i:05d}" for i in range(rows)],
                              "town": pa.array(rng.choice(["周巷镇", "龙山镇", "浒山街道"], rows)),
                              "amount": pa.array(np.round(rng.lognormal(8, 1.2, rows), 2))}),
                    IngestOptions(dataset="payments", department="gaj", mode="replace", synthetic=True))
    pin_grades(wh, "payments", {"case_no": (None, 1), "town": (None, 1), "amount": (None, 2)})
    r = client.post("/api/v1/requests", headers=bearer("ana"), json={
        "dataset": "payments", "purpose": "追溯测试 trace test", "columns": ["case_no", "town", "amount"],
        "max_level": 2})
    assert r.status_code == 201, r.text
    r = client.post(f"/api/v1/requests/{r.json()['request']['id']}/approve", json={}, headers=bearer("st_gaj"))
    assert r.status_code == 200, r.text
    hits = page_cache(wh).hits
    leaked: list[dict[str, Any]] = []
    for round_ in range(2):
        cursor = None
        while True:
            params = {"limit": 300, **({"cursor": cursor} if cursor else {})}
            body = client.get("/api/v1/datasets/payments/rows", params=params, headers=bearer("ana")).json()
            if round_ == 1:
                leaked += body["rows"]
            cursor = body["next_cursor"]
            if not cursor:
                break
    assert page_cache(wh).hits >= hits + 10  # the second round came from memory
    assert len(leaked) == rows
    path = tmp_path / "leak.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["case_no", "town", "amount"])
        writer.writeheader()
        writer.writerows(leaked[:1500])
    found = trace_file(wh, path)
    assert found["recipient"] == "ana", json.dumps(found, ensure_ascii=False, default=str)[:2000]
