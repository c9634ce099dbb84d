"""The page route (shucang.api.rows) answers a plainly valid request itself exactly as it answers one
that FastAPI validated, takes only what the declared parameters accept, and keeps every check: token,
rate limit, grant, audit."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest

from shucang.api import rows
from shucang.api.rows import RowsQuery, plain_query
from shucang.share import audit

from .conftest import bearer

FLT = json.dumps({"or": [{"column": "town", "op": "=", "value": "龙山镇"}, {"column": "age", "op": ">=", "value": 60}]},
                 ensure_ascii=False)


@pytest.fixture
def routed(monkeypatch: pytest.MonkeyPatch) -> list[RowsQuery]:
    """The queries FastAPI validated and the endpoint answered (the route answers the others itself)."""
    seen: list[RowsQuery] = []
    real = rows.respond_validated

    async def spy(request: Any, actor: Any, query: RowsQuery) -> Any:
        seen.append(query)
        return await real(request, actor, query)

    monkeypatch.setattr("shucang.api.share_routes.respond_validated", spy)
    return seen


def _grant(client: Any) -> None:
    r = client.post("/api/v1/requests", headers=bearer("ana"), json={
        "dataset": "people", "purpose": "快速路径测试 fast path test", "columns": ["town", "name", "age", "income"],
        "max_level": 2})
    assert r.status_code == 201, r.text
    r = client.post(f"/api/v1/requests/{r.json()['request']['id']}/approve", json={}, headers=bearer("st_gaj"))
    assert r.status_code == 200, r.text


def _without_extract_id(r: Any) -> tuple[Any, ...]:
    headers = {k: v for k, v in r.headers.items() if k not in ("x-shucang-extract-id", "content-length", "date")}
    if r.headers["content-type"].startswith("application/json"):
        body = r.json()
        body.pop("extract_id", None)
        return r.status_code, headers, body
    return r.status_code, headers, r.content


QUERIES = [{"limit": 7}, {"filter": FLT, "limit": 5, "sort": "-age"}, {"columns": "town,age", "format": "csv"},
           {"filter": FLT, "format": "csv", "limit": 1000}, {"columns": "town,name", "limit": 3, "version": 1}]


@pytest.mark.parametrize("params", QUERIES)
def test_fast_path_answers_what_the_route_answers(client: Any, app: Any, routed: list[RowsQuery],
                                                  params: dict[str, Any]) -> None:
    _grant(client)
    url = "/api/v1/datasets/people/rows?" + urlencode(params)
    app.state.fast_rows = False
    by_route = [client.get(url, headers=bearer("ana")) for _ in range(2)]
    assert len(routed) == 2 and all(r.status_code == 200 for r in by_route), by_route[0].text
    app.state.fast_rows = True
    fast = [client.get(url, headers=bearer("ana")) for _ in range(2)]
    assert len(routed) == 2  # not through FastAPI
    assert {_without_extract_id(r) == _without_extract_id(by_route[0]) for r in [*by_route, *fast]} == {True}
    ids = [r.headers["x-shucang-extract-id"] for r in [*by_route, *fast]]
    assert len(set(ids)) == 4
    if params.get("format", "json") == "json":
        assert [r.json()["extract_id"] for r in fast] == ids[2:]
    entries = audit.search(app.state.warehouse, actor="ana", action="read" if "format" not in params else "export",
                           limit=4)
    assert [e.details["extract_id"] for e in reversed(entries)] == ids  # one audit entry per answer
    from shucang.protect.registry import get_extract

    assert all(get_extract(app.state.warehouse, i).recipient == "ana" for i in ids)
    assert audit.verify(app.state.warehouse).ok


QUERY_STRINGS = [
    "", "limit=7", "limit=0", "limit=10000", "limit=10001", "limit=007", "limit=%2B5", "limit=5&limit=6", "limit=5.0",
    "limit=", "format=json", "format=JSON", "format=csv", "format=pdf", "columns=", "columns=town", "version=1",
    "version=0", "version=-1", "cursor=" + "x" * 2000, "cursor=" + "x" * 2001, "sort=" + "a" * 1001, "unknown=1",
    "filter=" + "%20" * 20001, "filter=%7B%7D", "sort=-age&columns=town%2Cage&limit=3",
]


@pytest.mark.parametrize("query_string", QUERY_STRINGS)
def test_parser_takes_only_what_the_route_accepts(client: Any, app: Any, routed: list[RowsQuery],
                                                  query_string: str) -> None:
    parsed = plain_query("people", query_string.encode())
    app.state.fast_rows = False
    r = client.get("/api/v1/datasets/people/rows?" + query_string, headers=bearer("st_gaj"))
    if parsed is not None:
        assert r.status_code != 422 and routed == [parsed]  # the route made the very same query of it
    elif r.status_code != 422:
        assert len(routed) == 1  # accepted by the route: the fast path merely left it to FastAPI


def test_names_the_route_would_not_match_are_left_to_it(client: Any, routed: list[RowsQuery]) -> None:
    assert plain_query("n" * 129, b"") is None and plain_query("", b"") is None
    r = client.get("/api/v1/datasets/" + "n" * 129 + "/rows", headers=bearer("ana"))
    assert r.status_code == 422 and r.json()["code"] == "invalid" and routed == []  # refused by the declared limit
    for path in ("/api/v1/datasets/a/b/rows", "/api/v1/datasets//rows", "/api/v1/datasetsx/rows",
                 "/api/v1/datasets/people/rowsx"):
        assert client.get(path, headers=bearer("ana")).status_code == 404, path


def test_there_is_one_page_route(app: Any) -> None:
    """The fast path is the route itself: no middleware answers pages, and the one route is documented."""
    from shucang.api.rows import RowsRoute
    from shucang.api.share_routes import router

    found = [r for r in router.routes if getattr(r, "path", "").endswith("/datasets/{name}/rows")]
    assert len(found) == 1 and isinstance(found[0], RowsRoute) and found[0].include_in_schema
    api_middleware = [m.cls.__module__ for m in app.user_middleware if m.cls.__module__.startswith("shucang.api")]
    assert api_middleware == ["shucang.api.guard"]  # the door check only
    assert "/api/v1/datasets/{name}/rows" in app.openapi()["paths"]


def test_fast_path_keeps_refusals_limits_and_their_audit(client: Any, app: Any, routed: list[RowsQuery]) -> None:
    from shucang.share.identity import create_token, resolve_token, revoke_token

    wh = app.state.warehouse
    url = "/api/v1/datasets/people/rows?limit=3"
    r = client.get(url, headers=bearer("bob"))  # no grant
    assert r.status_code == 403 and r.json()["ok"] is False and r.json()["status"] == 403
    assert audit.search(wh, actor="bob", outcome="denied", limit=1)[0].dataset == "people"
    r = client.get(url, headers={"Authorization": "Bearer sct_1_forged"})
    assert r.status_code == 401 and r.json()["code"] and "Traceback" not in r.text
    _grant(client)
    info, secret = create_token(wh, "ana", rate_per_minute=1)  # a burst of one
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get(url, headers=headers).status_code == 200
    r = client.get(url, headers=headers)
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1 and r.json()["code"] == "rate_limited"
    _info, other = create_token(wh, "ana")
    other_headers = {"Authorization": f"Bearer {other}"}
    assert client.get(url, headers=other_headers).status_code == 200
    revoke_token(wh, resolve_token(wh, other).token_id)
    assert client.get(url, headers=other_headers).status_code == 401  # at once, from the fast path too
    r = client.get("/api/v1/datasets/people/rows?" + urlencode({"filter": '{"column": "nope"}'}), headers=bearer("ana"))
    assert r.status_code == 400 and r.json()["ok"] is False
    assert audit.search(wh, actor="ana", outcome="failed", limit=1)[0].dataset == "people"
    assert routed == []  # all of it answered without FastAPI
    assert audit.verify(wh).ok and info.id
