"""申请-审批: request → approve (narrowing) or reject → grant → reads under it; IDOR; revocation."""

from __future__ import annotations

from typing import Any

import pytest

from shucang.errors import Conflict, InputError, NotFound, PermissionDenied
from shucang.share import audit, grants
from shucang.share.reads import aggregate, read_rows

from .conftest import actor_of, people_table


def _request(wh: Any, who: str = "ana", **kw: Any) -> Any:
    kw.setdefault("columns", ["town", "age", "name", "id_card"])
    kw.setdefault("max_level", 3)
    return grants.create_request(wh, actor_of(wh, who), "people", purpose="人口结构分析 population study", **kw)


def test_request_approve_narrow_and_read(wh: Any) -> None:
    req = _request(wh, row_filter={"column": "town", "op": "=", "value": "周巷镇"}, duration_days=60)
    steward = actor_of(wh, "st_gaj")
    # the steward narrows: drops id_card, lowers the level to 2, shortens, and adds a row condition
    decided, grant = grants.decide_request(wh, steward, req.id, approve=True, columns=["town", "age", "name"],
                                           max_level=2, duration_days=7,
                                           row_filter={"column": "age", "op": "<", "value": 40})
    assert decided.status == "approved" and grant is not None
    assert grant.columns == ["town", "age", "name"] and grant.max_level == 2
    ana = actor_of(wh, "ana")
    result = read_rows(wh, ana, "people", limit=1000)
    rows = result.table.to_pylist()
    source = [r for r in people_table().to_pylist() if r["town"] == "周巷镇" and r["age"] < 40]
    assert len(rows) == len(source) > 0
    assert set(result.table.column_names) <= {"town", "age", "name"}
    real_names = {r["name"] for r in people_table().to_pylist()}
    assert not any(r.get("name") in real_names for r in rows)  # level 3 > grant level 2: masked
    assert "name" in result.masked_columns or "name" in result.dropped_columns
    with pytest.raises(PermissionDenied):  # id_card was narrowed away
        read_rows(wh, ana, "people", columns=["id_card"])
    with pytest.raises(PermissionDenied):  # cannot filter on a masked column (would leak it)
        read_rows(wh, ana, "people", filter={"column": "name", "op": "like", "value": "欧阳%"})
    actions = [e.action for e in audit.search(wh, dataset="people")]
    assert actions[:3] == ["read", "read", "read"] or "request.approve" in actions
    assert "request.create" in actions and "request.approve" in actions


def test_approval_cannot_widen(wh: Any) -> None:
    req = _request(wh, columns=["town"], max_level=1, duration_days=10)
    steward = actor_of(wh, "st_gaj")
    for kw in ({"columns": ["town", "id_card"]}, {"max_level": 3}, {"duration_days": 30}):
        with pytest.raises(InputError):
            grants.decide_request(wh, steward, req.id, approve=True, **kw)


def test_reject_needs_reason_and_is_final(wh: Any) -> None:
    req = _request(wh)
    steward = actor_of(wh, "st_gaj")
    with pytest.raises(InputError):
        grants.decide_request(wh, steward, req.id, approve=False, reason="")
    decided, grant = grants.decide_request(wh, steward, req.id, approve=False, reason="用途不明确 unclear purpose")
    assert decided.status == "rejected" and grant is None and decided.reason
    with pytest.raises(Conflict):
        grants.decide_request(wh, steward, req.id, approve=True)
    with pytest.raises(PermissionDenied):
        read_rows(wh, actor_of(wh, "ana"), "people")


def test_idor_other_departments_and_other_users(wh: Any) -> None:
    req = _request(wh)
    # another department's steward neither sees nor decides it
    with pytest.raises(NotFound):
        grants.get_request(wh, actor_of(wh, "st_scjgj"), req.id)
    with pytest.raises(NotFound):
        grants.decide_request(wh, actor_of(wh, "st_scjgj"), req.id, approve=True)
    # another consumer cannot see, withdraw or decide it
    bob = actor_of(wh, "bob")
    for call in (lambda: grants.get_request(wh, bob, req.id), lambda: grants.withdraw_request(wh, bob, req.id),
                 lambda: grants.decide_request(wh, bob, req.id, approve=True)):
        with pytest.raises(NotFound):
            call()
    assert all(r.user == "bob" for r in grants.list_requests(wh, bob))
    assert [r.id for r in grants.list_requests(wh, actor_of(wh, "st_scjgj"))] == []
    # the consumer cannot approve its own request
    with pytest.raises(PermissionDenied):
        grants.decide_request(wh, actor_of(wh, "ana"), req.id, approve=True)
    _d, grant = grants.decide_request(wh, actor_of(wh, "st_gaj"), req.id, approve=True)
    assert grant is not None
    with pytest.raises(NotFound):
        grants.get_grant(wh, bob, grant.id)
    with pytest.raises(NotFound):
        grants.revoke_grant(wh, bob, grant.id, reason="not mine")
    with pytest.raises(NotFound):
        grants.revoke_grant(wh, actor_of(wh, "st_scjgj"), grant.id, reason="not my department")
    with pytest.raises(PermissionDenied):  # the holder sees its grant but cannot revoke it
        grants.revoke_grant(wh, actor_of(wh, "ana"), grant.id, reason="hmm")


@pytest.mark.parametrize("stop", ["revoke", "expire", "disable"])
def test_revoked_or_expired_grants_stop_at_once(wh: Any, stop: str) -> None:
    req = _request(wh)
    _d, grant = grants.decide_request(wh, actor_of(wh, "st_gaj"), req.id, approve=True)
    ana = actor_of(wh, "ana")
    assert read_rows(wh, ana, "people", columns=["town"], limit=5).table.num_rows == 5
    if stop == "revoke":
        grants.revoke_grant(wh, actor_of(wh, "st_gaj"), grant.id, reason="项目结束 project ended")
    elif stop == "expire":
        grants.expire_grant_now(wh, grant.id)
    else:
        from shucang.share.identity import update_user

        update_user(wh, "ana", disabled=True)
    with pytest.raises(PermissionDenied):
        read_rows(wh, ana, "people", columns=["town"], limit=5)
    with pytest.raises(PermissionDenied):
        aggregate(wh, ana, "people", group_by=["town"])
    assert audit.search(wh, outcome="denied", dataset="people")[0].actor == "ana"


def test_new_grant_supersedes_the_old_one(wh: Any) -> None:
    steward = actor_of(wh, "st_gaj")
    first = grants.decide_request(wh, steward, _request(wh, columns=["town"]).id, approve=True)[1]
    second = grants.decide_request(wh, steward, _request(wh, columns=["age"]).id, approve=True)[1]
    assert grants.get_grant(wh, steward, first.id).state == "revoked"
    assert grants.active_grant(wh, "ana", "people").id == second.id


def test_steward_reads_own_department_without_grant(wh: Any) -> None:
    result = read_rows(wh, actor_of(wh, "st_gaj"), "people", limit=3)
    assert result.basis == "steward" and result.table.num_rows == 3
    assert "id_card" in result.masked_columns + result.dropped_columns  # clearance 3 < level 4
    with pytest.raises(PermissionDenied):
        read_rows(wh, actor_of(wh, "st_gaj"), "firms")


def test_aggregates_only_over_clear_columns(wh: Any) -> None:
    steward = actor_of(wh, "st_gaj")
    grants.decide_request(wh, steward, _request(wh, columns=["town", "age", "income"], max_level=3).id,
                          approve=True, max_level=2)
    ana = actor_of(wh, "ana")
    table = aggregate(wh, ana, "people", group_by=["town"], measures=[{"fn": "count"}, {"fn": "avg", "column": "age"}])
    expected = {}
    for r in people_table().to_pylist():
        expected.setdefault(r["town"], []).append(r["age"])
    got = {r["town"]: (r["count"], r["avg_age"]) for r in table.table.to_pylist()}
    assert got == {t: (len(v), sum(v) / len(v)) for t, v in expected.items()}
    with pytest.raises(PermissionDenied):  # income is level 3 > 2
        aggregate(wh, ana, "people", measures=[{"fn": "max", "column": "income"}])
