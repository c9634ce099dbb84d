"""The JSON API and the /city pages: who sees values, who may handle, CSRF, the JSON twins."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from shucang.share.access import PUBLIC, Actor

with warnings.catch_warnings():  # starlette warns that plain httpx is deprecated for its test client
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

ADMIN = Actor(name="boss", role="admin", via="token")
STEWARD = Actor(name="water", role="steward", department="slj", via="token")
OTHER = Actor(name="trade", role="steward", department="swj", via="token")
BROWSER = Actor(name="water", role="steward", department="slj", via="session", csrf="tok-123")


@pytest.fixture
def app(settings: Any, warehouse: Any, put_levels: Callable[..., int], level_sign: Callable[..., Any]) -> Iterator[Any]:
    from shucang.api import create_app

    level_sign(title="测试水位")
    put_levels({"甲站": 2.0, "乙站": 4.0, "丙站": 6.0})
    application = create_app(settings)
    application.state.who = PUBLIC
    application.state.resolve_actor = lambda request: request.app.state.who
    yield application
    application.state.warehouse.close()


def _client(app: Any, who: Actor, **kw: Any) -> TestClient:
    app.state.who = who
    return TestClient(app, raise_server_exceptions=False, **kw)


def test_values_only_for_those_who_may_see_them(app: Any) -> None:
    anon = _client(app, PUBLIC).get("/api/v1/signs").json()
    sign = next(s for s in anon["signs"] if s["id"] == "gauge_level")
    assert sign["state"] == "red" and sign["levels"] == {"ok": 1, "yellow": 1, "red": 1}
    assert sign["value"] is None and sign["groups"] == [] and sign["sql"] is None and not sign["visible"]
    alerts = _client(app, PUBLIC).get("/api/v1/alerts").json()["alerts"]
    mine = [a for a in alerts if a["sign"] == "gauge_level"]
    assert len(mine) == 2 and all(a["value"] is None and a["group"] is None for a in mine)
    for who in (ADMIN, STEWARD):
        seen = _client(app, who).get("/api/v1/signs/gauge_level").json()["sign"]
        assert seen["value"] == 6.0 and seen["group"] == "丙站" and len(seen["groups"]) == 3
    other = _client(app, OTHER).get("/api/v1/alerts").json()["alerts"]
    assert all(a["value"] is None for a in other if a["sign"] == "gauge_level")
    assert _client(app, PUBLIC).get("/api/v1/signs/nosuch").status_code == 404
    bad = _client(app, PUBLIC).get("/api/v1/alerts", params={"status": "bogus"})
    assert bad.status_code == 422 and bad.json()["ok"] is False


def test_handling_through_the_api(app: Any) -> None:
    alert = next(a for a in _client(app, ADMIN).get("/api/v1/alerts").json()["alerts"] if a["level"] == "red")
    url = f"/api/v1/alerts/{alert['id']}"
    assert _client(app, PUBLIC).post(url + "/ack", json={}).status_code == 401
    refused = _client(app, OTHER).post(url + "/ack", json={})
    assert refused.status_code == 403 and refused.json()["ok"] is False
    steward = _client(app, STEWARD)
    assert steward.post(url + "/ack", json={"note": "收到"}).json()["alert"]["acknowledged_by"] == "water"
    sent = steward.post(url + "/dispatch", json={"department": "slj", "hours": 2, "note": "现场核查"}).json()["alert"]
    assert sent["status"] == "open" and sent["dispatched_to"] == "slj" and sent["deadline"]
    assert steward.post(url + "/handle", json={"note": ""}).status_code == 422
    assert steward.post(url + "/handle", json={"note": "已开闸"}).json()["alert"]["handling"] == "已开闸"
    closed = steward.post(url + "/close", json={}).json()["alert"]
    assert closed["status"] == "closed" and [e["kind"] for e in closed["events"]][-1] == "closed"
    assert steward.post(url + "/close", json={}).status_code == 409
    detail = _client(app, PUBLIC).get(url).json()["alert"]
    assert detail["value"] is None and detail["data"]["reading"] is None and detail["data"]["sql"] is not None


def test_city_pages(app: Any) -> None:
    html = {"accept": "text/html"}
    page = _client(app, PUBLIC, headers=html).get("/city")
    assert page.status_code == 200 and "测试水位" in page.text and 'data-testid="city-map"' in page.text
    assert 'href="/city"' in page.text  # the navigation entry
    as_json = _client(app, ADMIN).get("/city?format=json").json()
    assert as_json["open_counts"]["total"] == 2
    alert_id = next(a["id"] for a in as_json["alerts"] if a["level"] == "red")
    detail = _client(app, PUBLIC, headers=html).get(f"/city/alerts/{alert_id}")
    assert detail.status_code == 200 and 'data-testid="alert-actions"' not in detail.text
    browser = _client(app, BROWSER, headers=html)
    assert 'data-testid="alert-actions"' in browser.get(f"/city/alerts/{alert_id}").text
    forged = browser.post(f"/city/alerts/{alert_id}/act", data={"action": "close", "csrf_token": "wrong"},
                          follow_redirects=False)
    assert forged.status_code == 403
    done = browser.post(f"/city/alerts/{alert_id}/act", data={"action": "close", "note": "已处置", "csrf_token": "tok-123"},
                        follow_redirects=False)
    assert done.status_code == 303
    assert _client(app, ADMIN).get(f"/api/v1/alerts/{alert_id}").json()["alert"]["status"] == "closed"
    loop = _client(app, PUBLIC).get("/api/v1/city/loop").json()
    assert loop["ok"] and loop["available"] is False  # no hotline data in this warehouse
    assert _client(app, PUBLIC, headers=html).get("/city/loop").status_code == 200
    assert "/api/v1/signs" in _client(app, PUBLIC).get("/api/v1/openapi.json").json()["paths"]
