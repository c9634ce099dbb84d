"""Item 2 of issue 15: the web's data page is the API's door — same rate limit, same protection
(pseudonyms, not display masks), same fingerprint and audit."""

from __future__ import annotations

from typing import Any

from .conftest import PASSWORD, bearer


def _grant_people(client: Any) -> None:
    r = client.post("/api/v1/requests", json={"dataset": "people", "purpose": "人口结构分析 study"},
                    headers=bearer("ana"))
    rid = r.json()["request"]["id"]
    assert client.post(f"/api/v1/requests/{rid}/approve", json={}, headers=bearer("st_gaj")).status_code == 200


def _web_page(client: Any, cursor: str | None = None) -> Any:
    client.cookies.clear()
    assert client.post("/api/v1/auth/login", json={"username": "ana", "password": PASSWORD}).status_code == 200
    return client.get("/access/people", params={"format": "json", **({"cursor": cursor} if cursor else {})})


def test_the_web_page_releases_what_the_api_releases(client: Any, app: Any) -> None:
    from shucang.share.audit import search

    _grant_people(client)
    web = _web_page(client)
    assert web.status_code == 200, web.text
    web_rows = web.json()["rows"]
    client.cookies.clear()
    api_rows = client.get("/api/v1/datasets/people/rows", params={"limit": 50}, headers=bearer("ana")).json()["rows"]
    assert [r.get("id_card") for r in web_rows] == [r.get("id_card") for r in api_rows]
    assert all("*" not in str(r.get("id_card")) for r in web_rows)  # pseudonyms, not 6+4 masks
    reads = search(app.state.warehouse, actor="ana", action="read")
    assert {e.details.get("channel") for e in reads[:2]} == {"api"}
    assert all(e.details.get("extract_id") for e in reads[:2])  # fingerprinted, traceable


def test_the_web_page_counts_against_the_api_rate_limit(client: Any, app: Any) -> None:
    from shucang.share.ratelimit import RateLimiter

    _grant_people(client)
    app.state.api_rate_limiter = RateLimiter(2)
    answers = [_web_page(client).status_code for _ in range(4)]
    assert 429 in answers, answers
