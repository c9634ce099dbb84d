"""Caches of the read path stay exact: a change made by ANOTHER process stops the next read here.

Two warehouse objects opened on one home stand for two server processes: each has its own caches,
journal and snapshots, and they share only the catalog and the files of the home.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import opened_warehouse

from shucang.errors import AuthenticationRequired, PermissionDenied
from shucang.share import audit, grants, identity
from shucang.share.cache import MISSING, Generation, Memo, caches
from shucang.share.pages import page_cache
from shucang.share.query import ResultCache, snapshots
from shucang.share.reads import current_grant, read_rows

from .conftest import TOKENS, actor_of


@pytest.fixture
def other(share_home: Path) -> Iterator[Any]:
    """A second warehouse object on the same home: "another server process"."""
    with opened_warehouse(share_home) as warehouse:
        yield warehouse


def _grant(wh: Any, **kw: Any) -> Any:
    req = grants.create_request(wh, actor_of(wh, "ana"), "people", purpose="缓存测试 cache test",
                                columns=kw.pop("columns", ["town", "age"]), max_level=2)
    return grants.decide_request(wh, actor_of(wh, "st_gaj"), req.id, approve=True, **kw)[1]


@pytest.mark.parametrize("stop", ["revoke", "expire", "disable", "supersede"])
def test_a_change_in_another_process_stops_the_next_read(wh: Any, other: Any, stop: str) -> None:
    grant = _grant(other)
    ana = actor_of(wh, "ana")
    for _ in range(3):  # warm every cache of this "process"
        assert read_rows(wh, ana, "people", columns=["age"], limit=5).table.num_rows == 5
    steward = actor_of(other, "st_gaj")
    if stop == "revoke":
        grants.revoke_grant(other, steward, grant.id, reason="项目结束 project ended")
    elif stop == "expire":
        grants.expire_grant_now(other, grant.id)
    elif stop == "disable":
        identity.update_user(other, "ana", disabled=True)
    else:  # a narrower grant replaces the old one: "age" is no longer granted
        _grant(other, columns=["town"])
    with pytest.raises(PermissionDenied):
        read_rows(wh, ana, "people", columns=["age"], limit=5)


def test_revoked_token_is_refused_on_the_next_request_everywhere(wh: Any, other: Any) -> None:
    secret = TOKENS["bob"]
    actor = identity.resolve_token(wh, secret)
    assert identity.resolve_token(wh, secret) == actor  # cached now
    identity.revoke_token(other, actor.token_id)
    with pytest.raises(AuthenticationRequired):
        identity.resolve_token(wh, secret)


def test_session_ends_everywhere_on_logout_and_password_change(wh: Any, other: Any) -> None:
    user = identity.get_user(wh, "bob")
    cookie, _csrf = identity.create_session(wh, user)
    assert identity.resolve_session(wh, cookie).name == "bob"
    identity.end_session(other, cookie)
    assert identity.resolve_session(wh, cookie) is None
    cookie, _csrf = identity.create_session(wh, user)
    assert identity.resolve_session(wh, cookie) is not None
    identity.set_password(other, "bob", "another-long-password")
    assert identity.resolve_session(wh, cookie) is None


def test_a_grant_whose_time_runs_out_is_not_served_from_the_cache(wh: Any) -> None:
    grant = _grant(wh)
    assert current_grant(wh, "ana", "people") == grant
    memo = caches(wh).grants
    stamp = memo.generation.current()
    expired = grants.GrantInfo(**{**grant.__dict__, "expires_at": grant.expires_at - timedelta(days=400)})
    memo.put(("ana", "people"), stamp, expired)  # as if cached a moment before its expiry
    assert current_grant(wh, "ana", "people") == grant  # expired entry ignored, catalog asked again


def test_memo_forgets_on_a_new_stamp_and_after_its_ttl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gen = Generation(tmp_path)
    memo = Memo(gen, ttl=0.5)
    memo.put("k", gen.current(), 1)
    assert memo.get("k", gen.current()) == 1
    gen.bump()
    assert memo.get("k", gen.current()) is MISSING
    memo.put("k", gen.current(), 2)
    clock = [1000.0]
    monkeypatch.setattr("shucang.share.cache.time.monotonic", lambda: clock[0])
    memo.put("k", gen.current(), 3)
    clock[0] += 0.4
    assert memo.get("k", gen.current()) == 3
    clock[0] += 0.2
    assert memo.get("k", gen.current()) is MISSING
    loads = []
    assert memo.fetch("x", lambda: loads.append(1) or 7) == 7 and memo.fetch("x", lambda: 8) == 7
    assert loads == [1]
    gen.close()


def test_no_stamp_no_cache(tmp_path: Path) -> None:
    gen = Generation(tmp_path / "missing" / "dir")  # cannot be created: nothing may be cached
    memo = Memo(gen)
    assert gen.current() is None
    assert memo.fetch("k", lambda: 1) == 1 and memo.fetch("k", lambda: 2) == 2


def test_pages_are_remembered_but_every_read_is_released_and_audited(wh: Any) -> None:
    steward = actor_of(wh, "st_gaj")
    flt = {"column": "town", "op": "=", "value": "周巷镇"}
    before = len(audit.search(wh, action="read", limit=1000))
    first = read_rows(wh, steward, "people", filter=flt, limit=7)
    pages, results = page_cache(wh), snapshots(wh).results
    hits, asked = pages.hits, results.hits + results.misses
    second = read_rows(wh, steward, "people", filter=flt, limit=7)
    assert pages.hits == hits + 1 and results.hits + results.misses == asked  # from memory: no engine, no protection
    assert second.table.equals(first.table) and second.masked_columns == first.masked_columns
    assert first.extract_id != second.extract_id  # but each read is its own release …
    assert len(audit.search(wh, action="read", limit=1000)) == before + 2  # … and its own audit entry
    from shucang.protect.registry import get_extract

    assert get_extract(wh, second.extract_id).rows == 7


def test_result_keys_tell_parameter_types_apart() -> None:
    keys = {ResultCache.key("d", 1, "q", params=[v]) for v in (1, 1.0, True, "1", None)}
    assert len(keys) == 5
    cache = ResultCache(budget_mb=0)
    import pyarrow as pa

    cache.put(("d", 1, "q", ()), pa.table({"a": [1]}))
    assert cache.get(("d", 1, "q", ())) is None  # budget 0: off


def test_result_cache_evicts_least_recent_within_budget() -> None:
    import pyarrow as pa

    cache = ResultCache(budget_mb=1)
    big = pa.table({"a": pa.array(range(8_000), pa.int64())})  # 64 kB: at most 16 fit in 1 MB
    for i in range(40):
        cache.put(("d", 1, f"q{i}", ()), big)
    assert cache.get(("d", 1, "q39", ())) is not None
    assert cache.get(("d", 1, "q0", ())) is None
    assert sum(1 for i in range(40) if cache.get(("d", 1, f"q{i}", ())) is not None) <= 16


def test_registry_row_is_the_one_protection_itself_would_write(wh: Any) -> None:
    """The read path commits the registry row with its audit entry; it must be protection's own row."""
    from shucang.protect.registry import get_extract
    from shucang.protect.release import ReleaseRequest, protect_for_recipient
    from shucang.share.reads import plan_access

    steward = actor_of(wh, "st_gaj")
    result = read_rows(wh, steward, "people", limit=5)
    plan = plan_access(wh, steward, "people")
    raw = snapshots(wh).get(wh, "people", plan.version).run("SELECT * FROM __sc_snap LIMIT 5", [])
    grades = {c.name: (c.sensitive_type, c.level) for c in plan.columns.values()}
    direct = protect_for_recipient(wh, ReleaseRequest("people", "st_gaj", channel="api",
                                   version=plan.version, max_level=plan.max_level, grades=grades,
                                   created_by="st_gaj"), raw)
    assert direct.table.equals(result.table)
    mine, theirs = get_extract(wh, result.extract_id).to_dict(), get_extract(wh, direct.extract_id).to_dict()
    for key in ("id", "created_at"):
        mine.pop(key), theirs.pop(key)
    assert mine == theirs and mine["masked"]  # id_card is above the steward's clearance


def test_a_burst_of_one_new_query_runs_it_once(wh: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading
    import time as clock

    from shucang.share.query import Snapshot

    snap = snapshots(wh).get(wh, "people", wh.dataset("people").current_version)
    calls: list[str] = []
    real = Snapshot._execute

    def slow(self: Snapshot, sql: str, params: list[Any]) -> Any:
        calls.append(sql)
        clock.sleep(0.2)
        return real(self, sql, params)

    monkeypatch.setattr(Snapshot, "_execute", slow)
    out: list[Any] = []
    threads = [threading.Thread(target=lambda: out.append(snap.run("SELECT count(*) AS n FROM __sc_snap WHERE age > ?",
                                                                   [30]))) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and len(out) == 6 and all(o.equals(out[0]) for o in out)


def test_a_lower_clearance_masks_the_next_api_read(client: Any, other: Any) -> None:
    from .conftest import bearer, people_table

    req = grants.create_request(other, actor_of(other, "ana"), "people", purpose="姓名核对 name check",
                                columns=["town", "name"], max_level=3)
    grants.decide_request(other, actor_of(other, "st_gaj"), req.id, approve=True)
    names = set(people_table().column("name").to_pylist())
    first = client.get("/api/v1/datasets/people/rows?limit=5&columns=name", headers=bearer("ana")).json()
    assert {r["name"] for r in first["rows"]} <= names  # clearance 3, grant 3: in clear
    identity.update_user(other, "ana", clearance=2)  # "another process" lowers the clearance
    second = client.get("/api/v1/datasets/people/rows?limit=5&columns=name", headers=bearer("ana")).json()
    assert not {r.get("name") for r in second["rows"]} & names  # masked from the very next request
