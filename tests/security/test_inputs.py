"""Item 1 and 9 of issue 15: values the catalog or the audit chain cannot store are a 4xx at the door,
before anything is written; a state change never commits without its audit entry."""

from __future__ import annotations

import json
from typing import Any

import pytest

from .conftest import TOKENS, bearer

JSON = {"content-type": "application/json"}
REQUEST = '{"dataset": "people", "purpose": "人口结构分析 study", "row_filter": %s}'


def _requests_stored(wh: Any) -> int:
    import sqlalchemy as sa

    from shucang.share.tables import requests

    with wh.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(requests)).scalar_one())


@pytest.mark.parametrize("bad_filter", [
    '{"column": "town", "op": "=", "value": "\\ud800"}',          # lone surrogate
    '{"column": "age", "op": "=", "value": 123456789012345678901234567890}',  # beyond 64 bits
    '{"column": "town", "op": "=", "value": "a\\u0000b"}',          # NUL
])
def test_unstorable_body_values_are_refused_before_writing(client: Any, app: Any, bad_filter: str) -> None:
    r = client.post("/api/v1/requests", content=REQUEST % bad_filter, headers={**bearer("ana"), **JSON})
    assert r.status_code in (400, 422), r.text
    assert r.json()["ok"] is False and r.json()["status"] == r.status_code
    assert _requests_stored(app.state.warehouse) == 0
    for path in ("/api/v1/requests", "/api/v1/grants"):
        for user in ("ana", "st_gaj", "admin"):
            assert client.get(path, headers=bearer(user)).status_code == 200


@pytest.mark.parametrize("query", [
    "filter=" + json.dumps({"column": "town", "op": "=", "value": "\\ud800"}).replace("\\\\", "\\"),
    "filter=" + json.dumps({"column": "age", "op": "=", "value": 10 ** 30}),
    "version=" + "9" * 30,
    "filter=" + json.dumps({"column": "town", "op": "=", "value": "x\x00y"}),
])
@pytest.mark.parametrize("path", ["/api/v1/datasets/people/rows", "/api/v1/datasets/people/aggregate"])
def test_unstorable_query_values_are_a_4xx_and_audited(client: Any, app: Any, query: str, path: str) -> None:
    from shucang.share.audit import search, verify

    r = client.get(f"{path}?{query}", headers=bearer("st_gaj"))
    assert 400 <= r.status_code < 500, r.text
    assert client.get("/api/v1/datasets/people/rows?limit=3", headers=bearer("st_gaj")).status_code == 200
    assert verify(app.state.warehouse).ok
    refused = search(app.state.warehouse, outcome="failed", action="input")
    assert refused, "a read refused by validation is audited too"


def test_cursor_with_a_huge_version_is_a_4xx(client: Any) -> None:
    import base64

    cursor = base64.urlsafe_b64encode(json.dumps({"v": 10 ** 30, "o": 5, "f": "x"}).encode()).decode().rstrip("=")
    r = client.get(f"/api/v1/datasets/people/rows?cursor={cursor}", headers=bearer("st_gaj"))
    assert 400 <= r.status_code < 500, r.text


def test_a_failed_audit_write_leaves_no_request_or_grant(client: Any, app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import sqlalchemy as sa

    from shucang.share import audit_journal
    from shucang.share.tables import grants

    body = {"dataset": "people", "purpose": "人口结构分析 study"}
    monkeypatch.setattr(audit_journal, "chain_hash", lambda *_a: (_ for _ in ()).throw(RuntimeError("disk full")))
    r = client.post("/api/v1/requests", json=body, headers=bearer("ana"))
    assert r.status_code == 500
    assert _requests_stored(app.state.warehouse) == 0
    monkeypatch.undo()
    r = client.post("/api/v1/requests", json=body, headers=bearer("ana"))
    assert r.status_code == 201
    rid = r.json()["request"]["id"]
    monkeypatch.setattr(audit_journal, "chain_hash", lambda *_a: (_ for _ in ()).throw(RuntimeError("disk full")))
    assert client.post(f"/api/v1/requests/{rid}/approve", json={}, headers=bearer("st_gaj")).status_code == 500
    monkeypatch.undo()
    with app.state.warehouse.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(grants)).scalar_one() == 0
    assert client.get(f"/api/v1/requests/{rid}", headers=bearer("ana")).json()["request"]["status"] == "pending"
    assert client.post(f"/api/v1/requests/{rid}/approve", json={}, headers=bearer("st_gaj")).status_code == 200
    from shucang.share.audit import verify

    assert verify(app.state.warehouse).ok


def test_a_bad_entry_in_a_shared_commit_fails_only_its_own_caller(wh: Any) -> None:
    from shucang.share.audit import make_entry
    from shucang.share.audit_journal import journal

    good = make_entry("a", "read", outcome="ok", dataset="people", department=None, columns=None, filter=None,
                      rows=1, details={})
    bad = make_entry("b", "read", outcome="ok", dataset="people", department=None, columns=None, filter=None,
                     rows=1, details={"x": "\ud800", "n": 10 ** 30})
    from shucang.share.audit_journal import _Pending

    batch = [_Pending(good, []), _Pending(bad, []), _Pending(dict(good), [])]
    journal(wh)._commit(batch)
    assert batch[0].error is None and batch[2].error is None and batch[0].seq and batch[2].seq


def test_odd_bearer_tokens_and_deep_json_are_not_500(client: Any) -> None:
    for value in (b"sct_" + b"1" * 30 + b"_x", b"sct_-1_x", b"sct_0_", b"sct_1_\xe9"):
        r = client.get("/api/v1/datasets", headers={"Authorization": b"Bearer " + value})
        assert r.status_code == 401, (value, r.text)
    deep = '{"dataset": "people", "purpose": "abcd", "row_filter": ' + "[" * 3000 + "]" * 3000 + "}"
    r = client.post("/api/v1/requests", content=deep, headers={**bearer("ana"), **JSON})
    assert r.status_code in (400, 422) and r.json()["ok"] is False
    assert TOKENS


def test_a_request_refused_by_parameter_validation_is_audited(client: Any, app: Any) -> None:
    from shucang.share.audit import search

    r = client.get("/api/v1/datasets/people/rows?limit=0", headers=bearer("st_gaj"))
    assert r.status_code == 422
    refused = search(app.state.warehouse, action="input", outcome="failed")
    assert refused and refused[0].actor == "st_gaj" and refused[0].details["path"].endswith("/rows")


def test_a_failed_audit_write_leaves_no_user_or_token(client: Any, app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from shucang.share import audit_journal
    from shucang.share.identity import list_tokens, user_exists

    wh = app.state.warehouse
    before = len(list_tokens(wh, "ana"))
    monkeypatch.setattr(audit_journal, "chain_hash", lambda *_a: (_ for _ in ()).throw(RuntimeError("disk full")))
    r = client.post("/api/v1/users", json={"name": "carol", "role": "consumer", "department": "fgj"},
                    headers=bearer("admin"))
    assert r.status_code == 500 and not user_exists(wh, "carol")
    r = client.post("/api/v1/tokens", json={"label": "app", "user": "ana"}, headers=bearer("admin"))
    assert r.status_code == 500 and len(list_tokens(wh, "ana")) == before
    r = client.patch("/api/v1/users/bob", json={"clearance": 4}, headers=bearer("admin"))
    assert r.status_code == 500
    monkeypatch.undo()
    assert client.get("/api/v1/users", headers=bearer("admin")).json()["users"][-1]["name"] != "carol"
    bob = next(u for u in client.get("/api/v1/users", headers=bearer("admin")).json()["users"] if u["name"] == "bob")
    assert bob["clearance"] == 2
    assert client.post("/api/v1/users", json={"name": "carol", "role": "consumer", "department": "fgj"},
                       headers=bearer("admin")).status_code == 201


def test_web_forms_with_a_nul_are_refused_before_anything_is_written(client: Any, app: Any) -> None:
    r = client.post("/login", data={"username": "ana\x00", "password": "12345678901234567890123", "csrf_token": "x"})
    assert r.status_code == 400 and r.json()["code"] == "invalid_value"
    r = client.post("/login", data={"username": "ana", "password": "12345678901234567890123", "csrf_token": "x"})
    assert r.status_code != 400  # an all-digit password is no number to refuse
    assert _requests_stored(app.state.warehouse) == 0
