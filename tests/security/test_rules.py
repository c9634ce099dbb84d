"""Item 5 of issue 15: writes that cross the rules — other departments' plan values, one's own rate
limit, one's own request, withdraw racing approve, concurrent logins against the lock-out."""

from __future__ import annotations

import threading
from typing import Any

from .conftest import PASSWORD, bearer

PLAN = "/api/v1/plans/cixi-14th/indicators"


def test_a_steward_writes_only_its_own_departments_plan_values(client: Any) -> None:
    # digital_economy_index belongs to jxj; st_gaj is a steward of gaj
    r = client.put(f"{PLAN}/digital_economy_index/values/2025", json={"value": 1.0}, headers=bearer("st_gaj"))
    assert r.status_code == 403, r.text
    r = client.delete(f"{PLAN}/digital_economy_index/values/2025", headers=bearer("st_gaj"))
    assert r.status_code == 403, r.text
    r = client.put(f"{PLAN}/digital_economy_index/values/2025", json={"value": 96.0}, headers=bearer("admin"))
    assert r.status_code == 200, r.text


def test_a_consumer_cannot_raise_its_own_rate_limit(client: Any) -> None:
    login = client.post("/api/v1/auth/login", json={"username": "ana", "password": PASSWORD})
    csrf = {"X-CSRF-Token": login.json()["csrf_token"]}
    r = client.post("/api/v1/tokens", json={"label": "fast", "rate_per_minute": 1_000_000}, headers=csrf)
    assert r.status_code == 403, r.text
    assert client.post("/api/v1/tokens", json={"label": "normal"}, headers=csrf).status_code == 201
    client.cookies.clear()
    r = client.post("/api/v1/tokens", json={"label": "app", "rate_per_minute": 5000, "user": "ana"},
                    headers=bearer("admin"))
    assert r.status_code == 201, r.text


def test_nobody_approves_their_own_request_admins_included(client: Any, wh: Any) -> None:
    from shucang.share.access import Resource, allowed
    from shucang.share.identity import get_user

    admin = get_user(wh, "admin").actor("token")
    assert not allowed(admin, "request:decide", Resource("request", "1", "gaj", owner="admin"))
    from shucang.share import grants as workflow

    found = workflow.create_request(wh, admin, "people", purpose="管理员自批测试 self")
    r = client.post(f"/api/v1/requests/{found.id}/approve", json={}, headers=bearer("admin"))
    assert r.status_code == 403, r.text


def test_withdraw_racing_approve_never_leaves_a_withdrawn_request_with_a_grant(wh: Any) -> None:
    from shucang.errors import ShucangError
    from shucang.share import grants as workflow
    from shucang.share.identity import get_user

    ana, steward = get_user(wh, "ana").actor("token"), get_user(wh, "st_gaj").actor("token")
    for _ in range(6):
        found = workflow.create_request(wh, ana, "people", purpose="竞态测试 race test")
        barrier = threading.Barrier(2)

        def approve(rid: int = found.id, barrier: threading.Barrier = barrier) -> None:
            barrier.wait()
            try:
                workflow.decide_request(wh, steward, rid, approve=True)
            except ShucangError:
                pass

        def withdraw(rid: int = found.id, barrier: threading.Barrier = barrier) -> None:
            barrier.wait()
            try:
                workflow.withdraw_request(wh, ana, rid)
            except ShucangError:
                pass

        threads = [threading.Thread(target=approve), threading.Thread(target=withdraw)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        final = workflow.get_request(wh, ana, found.id)
        active = workflow.active_grant(wh, "ana", "people")
        if final.status == "withdrawn":
            assert active is None or active.request_id != found.id
        else:
            assert final.status == "approved" and active is not None
            workflow.revoke_grant(wh, steward, active.id, reason="reset")


def test_a_withdraw_after_approval_is_refused_by_the_update_itself(wh: Any, monkeypatch: Any) -> None:
    """The stale read is simulated: withdraw sees 'pending' although the request was approved."""
    from shucang.errors import Conflict
    from shucang.share import grants as workflow
    from shucang.share.identity import get_user

    ana, steward = get_user(wh, "ana").actor("token"), get_user(wh, "st_gaj").actor("token")
    found = workflow.create_request(wh, ana, "people", purpose="竞态测试 race test")
    workflow.decide_request(wh, steward, found.id, approve=True)
    monkeypatch.setattr(workflow, "get_request", lambda *_a: found)  # the snapshot taken before approval
    try:
        workflow.withdraw_request(wh, ana, found.id)
    except Conflict:
        pass
    monkeypatch.undo()
    assert workflow.get_request(wh, ana, found.id).status == "approved"


def test_concurrent_logins_cannot_exceed_the_lock_out_threshold(wh: Any, monkeypatch: Any) -> None:
    from shucang.errors import ShucangError
    from shucang.share import identity

    real = identity._hasher
    tried: list[str] = []

    class Counting:
        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        def verify(self, stored: str, password: str) -> bool:
            tried.append(password)
            return real.verify(stored, password)

    monkeypatch.setattr(identity, "_hasher", Counting())
    barrier = threading.Barrier(19)

    def attempt(i: int) -> None:
        barrier.wait()
        try:
            identity.authenticate(wh, "bob", f"wrong-password-{i}")
        except ShucangError:
            pass

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(19)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(tried) <= identity.LOCK_AFTER, f"{len(tried)} passwords tried before lock-out"
    assert PASSWORD


def test_plan_value_changes_through_the_api_enter_the_audit_chain(client: Any, app: Any) -> None:
    from shucang.share.audit import search

    r = client.put(f"{PLAN}/digital_economy_index/values/2025", json={"value": 96.0}, headers=bearer("admin"))
    assert r.status_code == 200
    assert client.delete(f"{PLAN}/digital_economy_index/values/2025", headers=bearer("admin")).status_code == 200
    actions = [e.action for e in search(app.state.warehouse, actor="admin", action="plan.*")]
    assert actions[:2] == ["plan.unset", "plan.set"]
