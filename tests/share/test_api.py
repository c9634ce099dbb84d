"""The sharing JSON API through an in-process client: auth, tokens, reads, aggregates, workflow, limits."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest

from .conftest import PASSWORD, TOKENS, bearer, people_table


def _login(client: Any, user: str) -> str:
    r = client.post("/api/v1/auth/login", json={"username": user, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return r.json()["csrf_token"]


def _grant(client: Any, user: str = "ana", **body: Any) -> dict[str, Any]:
    body = {"dataset": "people", "purpose": "人口结构分析 population study", **body}
    r = client.post("/api/v1/requests", json=body, headers=bearer(user))
    assert r.status_code == 201, r.text
    rid = r.json()["request"]["id"]
    r = client.post(f"/api/v1/requests/{rid}/approve", json={}, headers=bearer("st_gaj"))
    assert r.status_code == 200, r.text
    return r.json()["grant"]


def test_login_cookie_flags_me_and_logout(client: Any) -> None:
    r = client.post("/api/v1/auth/login", json={"username": "ana", "password": PASSWORD})
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    assert client.get("/api/v1/auth/me").json()["actor"]["name"] == "ana"
    csrf = r.json()["csrf_token"]
    assert client.post("/api/v1/auth/logout").status_code == 403  # no CSRF header
    assert client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 200
    assert client.get("/api/v1/auth/me").json()["actor"]["role"] == "public"


def test_bad_login_is_401_and_audited(client: Any, app: Any) -> None:
    from shucang.share.audit import search

    r = client.post("/api/v1/auth/login", json={"username": "ana", "password": "nope-nope-nope"})
    assert r.status_code == 401 and r.json()["ok"] is False and r.json()["code"] == "unauthenticated"
    assert search(app.state.warehouse, action="login", outcome="failed")[0].actor == "ana"


def test_session_writes_need_the_csrf_header(client: Any) -> None:
    csrf = _login(client, "ana")
    body = {"dataset": "people", "purpose": "测试用途 testing", "columns": ["town"]}
    r = client.post("/api/v1/requests", json=body)
    assert r.status_code == 403 and "CSRF" in r.json()["error"]
    r = client.post("/api/v1/requests", json=body, headers={"X-CSRF-Token": "wrong"})
    assert r.status_code == 403
    assert client.post("/api/v1/requests", json=body, headers={"X-CSRF-Token": csrf}).status_code == 201


def test_tokens_via_api_shown_once_and_revocable(client: Any) -> None:
    csrf = _login(client, "bob")
    r = client.post("/api/v1/tokens", json={"label": "etl", "days": 5}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 201
    secret, token_id = r.json()["token"], r.json()["info"]["id"]
    listing = client.get("/api/v1/tokens").text
    assert secret not in listing and secret.split("_", 2)[2] not in listing
    assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {secret}"}).json()["actor"]["name"] == "bob"
    # a token cannot mint more tokens
    assert client.post("/api/v1/tokens", json={}, headers={"Authorization": f"Bearer {secret}"}).status_code == 403
    client.post(f"/api/v1/tokens/{token_id}/revoke", headers={"X-CSRF-Token": csrf})
    assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    # nobody revokes another user's token
    other = client.post("/api/v1/tokens/1/revoke", headers={"X-CSRF-Token": csrf})
    assert other.status_code in (403, 404)


def test_dataset_listing_and_metadata(client: Any) -> None:
    public = client.get("/api/v1/datasets").json()
    assert public["datasets"] == []  # nothing is open yet
    listing = client.get("/api/v1/datasets", headers=bearer("ana")).json()["datasets"]
    assert {d["name"]: d["can_read"] for d in listing} == {"firms": False, "people": False}
    meta = client.get("/api/v1/datasets/people", headers=bearer("st_gaj")).json()
    levels = {c["name"]: c["level"] for c in meta["columns"]}
    assert levels["id_card"] == 4 and levels["town"] == 1
    clear = {c["name"]: c["clear"] for c in meta["columns"]}
    assert clear["name"] and not clear["id_card"]  # steward clearance 3
    assert client.get("/api/v1/datasets?q=人口", headers=bearer("ana")).json()["total"] == 1


def test_rows_in_every_format_with_filters_sort_and_cursor(client: Any) -> None:
    _grant(client, columns=["town", "age", "registered_on"], max_level=2)
    flt = json.dumps({"or": [{"column": "town", "op": "=", "value": "龙山镇"},
                             {"column": "age", "op": ">=", "value": 60}]})
    expected = [r for r in people_table().to_pylist() if r["town"] == "龙山镇" or r["age"] >= 60]
    got, cursor = [], None
    while True:
        params = {"filter": flt, "limit": 7, "sort": "-age,registered_on"}
        if cursor:
            params["cursor"] = cursor
        body = client.get("/api/v1/datasets/people/rows", params=params, headers=bearer("ana")).json()
        got += body["rows"]
        cursor = body["next_cursor"]
        if not cursor:
            break
    expected.sort(key=lambda r: (-r["age"], r["registered_on"]))
    assert [(r["age"], r["registered_on"]) for r in got] == [(r["age"], r["registered_on"].isoformat())
                                                             for r in expected]
    r = client.get("/api/v1/datasets/people/rows", params={"filter": flt, "format": "csv", "limit": 1000},
                   headers=bearer("ana"))
    assert r.headers["content-type"].startswith("text/csv") and r.headers.get("x-shucang-extract-id")
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert len(rows) == len(expected)
    r = client.post("/api/v1/datasets/people/query", json={"filter": json.loads(flt), "format": "xlsx", "limit": 1000},
                    headers=bearer("ana"))
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(r.content)).active
    assert sheet.max_row == len(expected) + 1


def test_aggregates_get_and_post(client: Any) -> None:
    _grant(client, columns=["town", "age"], max_level=2)
    r = client.get("/api/v1/datasets/people/aggregate", params={"group_by": "town", "agg": "count,max:age"},
                   headers=bearer("ana"))
    assert r.status_code == 200, r.text
    counts = {row["town"]: row["count"] for row in r.json()["rows"]}
    assert sum(counts.values()) == people_table().num_rows
    r = client.post("/api/v1/datasets/people/aggregate", headers=bearer("ana"),
                    json={"group_by": [], "aggregates": [{"fn": "avg", "column": "age", "as": "mean_age"}]})
    ages = people_table().column("age").to_pylist()
    assert r.json()["rows"] == [{"mean_age": sum(ages) / len(ages)}]


def test_rate_limit_answers_429_with_retry_after(client: Any, app: Any) -> None:
    from shucang.share.identity import create_token

    _info, secret = create_token(app.state.warehouse, "bob", rate_per_minute=1)
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
    r = client.get("/api/v1/auth/me", headers=headers)
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1 and r.json()["code"] == "rate_limited"
    assert client.get("/api/v1/auth/me", headers=bearer("bob")).status_code == 200  # other tokens unaffected


def test_raw_sql_is_for_admins_only(client: Any) -> None:
    body = {"sql": "SELECT count(*) AS n FROM people"}
    assert client.post("/api/v1/sql", json=body, headers=bearer("st_gaj")).status_code == 403
    r = client.post("/api/v1/sql", json=body, headers=bearer("admin"))
    assert r.status_code == 200 and r.json()["rows"] == [{"n": 60}]
    assert client.post("/api/v1/sql", json={"sql": "DROP TABLE people"}, headers=bearer("admin")).status_code == 400


def test_workflow_over_http_and_idor(client: Any) -> None:
    r = client.post("/api/v1/requests", headers=bearer("ana"),
                    json={"dataset": "people", "purpose": "测试用途 testing", "columns": ["town"]})
    rid = r.json()["request"]["id"]
    assert client.get(f"/api/v1/requests/{rid}", headers=bearer("bob")).status_code == 404
    assert client.get(f"/api/v1/requests/{rid}", headers=bearer("st_scjgj")).status_code == 404
    assert client.post(f"/api/v1/requests/{rid}/approve", json={}, headers=bearer("st_scjgj")).status_code == 404
    assert client.post(f"/api/v1/requests/{rid}/approve", json={}, headers=bearer("ana")).status_code == 403
    r = client.post(f"/api/v1/requests/{rid}/reject", json={"reason": "x"}, headers=bearer("st_gaj"))
    assert r.status_code == 422  # reason too short
    r = client.post(f"/api/v1/requests/{rid}/reject", json={"reason": "无合法用途"}, headers=bearer("st_gaj"))
    assert r.json()["request"]["status"] == "rejected"
    pending = client.get("/api/v1/requests", params={"status": "rejected"}, headers=bearer("st_gaj")).json()
    assert [x["id"] for x in pending["requests"]] == [rid]


def test_audit_api_scoped_for_stewards_and_verify_for_admins(client: Any) -> None:
    _grant(client, columns=["town"], max_level=1)
    client.get("/api/v1/datasets/people/rows", headers=bearer("ana"))
    client.get("/api/v1/datasets/firms/rows", headers=bearer("ana"))  # denied
    entries = client.get("/api/v1/audit", headers=bearer("st_gaj")).json()["entries"]
    assert entries and all(e["department"] == "gaj" for e in entries)
    assert any(e["action"] == "read" and e["rows"] == 60 for e in entries)
    firms = client.get("/api/v1/audit", params={"dataset": "firms"}, headers=bearer("st_scjgj")).json()["entries"]
    assert firms[0]["outcome"] == "denied" and firms[0]["actor"] == "ana"
    assert client.get("/api/v1/audit", headers=bearer("ana")).status_code == 403
    assert client.get("/api/v1/audit/verify", headers=bearer("st_gaj")).status_code == 403
    assert client.get("/api/v1/audit/verify", headers=bearer("admin")).json()["report"]["ok"] is True


ROUTES = [("GET", "/api/v1/datasets/people"), ("GET", "/api/v1/datasets/people/rows"),
          ("GET", "/api/v1/datasets/people/aggregate"), ("POST", "/api/v1/requests"), ("GET", "/api/v1/grants/1"),
          ("GET", "/api/v1/audit"), ("GET", "/api/v1/users"), ("POST", "/api/v1/sql"),
          ("GET", "/api/v1/datasets/nope/rows"), ("GET", "/api/v1/open/datasets/people")]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_every_error_has_the_one_json_shape(client: Any, method: str, path: str) -> None:
    for headers in ({}, bearer("bob"), {"Authorization": "Bearer sct_1_forged"}, {"Authorization": "Basic x"}):
        r = client.request(method, path, headers=headers, json={})
        if headers == bearer("bob") and r.status_code < 400:
            continue  # bob may see the catalog entry
        assert r.status_code >= 400
        body = r.json()
        assert body["ok"] is False and body["status"] == r.status_code and body["error"] and "code" in body
        assert "Traceback" not in r.text


def test_tokens_fixture_is_complete(base_home: Any) -> None:  # base_home fills TOKENS
    assert set(TOKENS) == {"admin", "st_gaj", "st_scjgj", "ana", "bob"}
