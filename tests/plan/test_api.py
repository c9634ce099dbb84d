"""The /api/v1/plans routes through an in-process client: reads for all, writes for stewards only."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from shucang.settings import Settings

BASE = "/api/v1/plans/cixi-14th"


@pytest.fixture(scope="module")
def module_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from shucang.api.app import create_app

    application = create_app(Settings.load(tmp_path_factory.mktemp("plan-api") / "home"))
    yield application
    application.state.warehouse.close()


@pytest.fixture
def app(module_app: Any) -> Iterator[Any]:
    """One app per module (start-up is the slow part); each test starts as the anonymous public."""
    module_app.state.resolve_actor = None
    yield module_app
    module_app.state.resolve_actor = None


@pytest.fixture
def client(app: Any) -> Iterator[Any]:
    with warnings.catch_warnings():  # starlette warns that plain httpx is deprecated for its test client
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

        client = TestClient(app, raise_server_exceptions=False)
    with client as c:
        yield c


def act_as(app: Any, name: str, role: str, department: str | None = None) -> None:
    from shucang.api.deps import Actor

    app.state.resolve_actor = lambda _request: Actor(name=name, role=role, department=department, via="token")


def test_reads_are_open(client: Any) -> None:
    plans = client.get("/api/v1/plans").json()
    assert plans["ok"] and plans["default"] == "cixi-14th"
    assert "cixi-14th" in {p["id"] for p in plans["plans"]}
    status = client.get(f"{BASE}/status").json()
    assert len(status["indicators"]) == 23
    assert status["indicators"][0]["baseline"] == 92.7
    every = client.get(f"{BASE}/status", params={"scope": "all"}).json()["indicators"]
    assert len(every) > 40
    assert client.get(f"{BASE}/rollups", params={"by": "task"}).json()["groups"][0]["key"] == "t1"
    assert client.get(f"{BASE}/index").json()["points"][0]["official"] == 92.7
    one = client.get(f"{BASE}/indicators/base_stations_5g").json()
    assert one["indicator"]["unit"] == "个" and one["values"] == []
    detail = client.get(BASE).json()
    assert len(detail["projects"]) == 12
    assert client.get(f"{BASE}/indicators", params={"scope": "project"}).json()["indicators"]


def test_writes_need_a_login(client: Any) -> None:
    response = client.put(f"{BASE}/indicators/software_revenue/values/2025", json={"value": 230})
    assert response.status_code == 401
    body = response.json()
    assert body["ok"] is False and body["status"] == 401
    assert client.post(f"{BASE}/recompute").status_code == 401
    assert client.delete(f"{BASE}/indicators/software_revenue/values/2025").status_code == 401


def test_consumers_may_not_write(app: Any, client: Any) -> None:
    act_as(app, "reader", "consumer")
    assert client.put(f"{BASE}/indicators/software_revenue/values/2025", json={"value": 230}).status_code == 403


def test_steward_writes_are_audited_under_their_name(app: Any, client: Any) -> None:
    act_as(app, "steward-li", "steward", "sjj")  # 大数据局 answers for 掌上办公比例
    response = client.put(f"{BASE}/indicators/mobile_office_share/values/2025Q3",
                          json={"value": 79.5, "note": "季报", "source": "办公平台统计"})
    assert response.status_code == 200, response.text
    assert response.json()["value"]["period"] == "2025Q3"
    history = client.get(f"{BASE}/history", params={"indicator": "mobile_office_share"}).json()["entries"]
    assert history[0]["actor"] == "steward-li" and history[0]["new_value"] == 79.5
    assert history[0]["source"] == "办公平台统计" and history[0]["note"] == "季报"
    status = {r["id"]: r for r in client.get(f"{BASE}/status").json()["indicators"]}
    assert status["mobile_office_share"]["latest"] == 79.5
    assert status["mobile_office_share"]["latest_period"] == "2025Q3"
    bad = client.put(f"{BASE}/indicators/mobile_office_share/values/2025Q9", json={"value": 1})
    assert bad.status_code == 400 and bad.json()["ok"] is False
    gone = client.put(f"{BASE}/indicators/nope/values/2025", json={"value": 1})
    assert gone.status_code == 404
    deleted = client.delete(f"{BASE}/indicators/mobile_office_share/values/2025Q3")
    assert deleted.status_code == 200
    assert client.delete(f"{BASE}/indicators/mobile_office_share/values/2025Q3").status_code == 404


def test_template_download_and_import(app: Any, client: Any) -> None:
    template = client.get(f"{BASE}/template.xlsx")
    assert template.status_code == 200 and template.content[:2] == b"PK"
    act_as(app, "admin-wang", "admin")
    files = {"file": ("vals.yaml", b"values:\n  internet_penetration: {2025: 85.2}\n", "text/yaml")}
    response = client.post(f"{BASE}/import", files=files)
    assert response.status_code == 200, response.text
    assert response.json()["written"] == 1
    status = {r["id"]: r for r in client.get(f"{BASE}/status").json()["indicators"]}
    assert status["internet_penetration"]["status"] == "已完成"
    wrong = client.post(f"{BASE}/import", files={"file": ("x.txt", b"hello", "text/plain")})
    assert wrong.status_code == 400


def test_unknown_plan_is_404(client: Any) -> None:
    response = client.get("/api/v1/plans/no-such-plan/status")
    assert response.status_code == 404 and response.json()["ok"] is False


def test_a_steward_may_not_write_another_departments_indicator(app: Any, client: Any) -> None:
    """The API enforces the web form's rule: admins, or stewards of the indicator's own department."""
    act_as(app, "steward-zhao", "steward", "nyncj")  # 农业农村局; software_revenue belongs to 经信局 (jxj)
    url = f"{BASE}/indicators/software_revenue/values/2024"
    refused = client.put(url, json={"value": 214.9})
    assert refused.status_code == 403 and refused.json()["ok"] is False
    act_as(app, "steward-qian", "steward", "jxj")
    assert client.put(url, json={"value": 214.9, "note": "年报"}).status_code == 200
    act_as(app, "steward-zhao", "steward", "nyncj")
    assert client.delete(url).status_code == 403
    history = client.get(f"{BASE}/history", params={"indicator": "software_revenue"}).json()["entries"]
    assert [e["actor"] for e in history] == ["steward-qian"]
    act_as(app, "steward-qian", "steward", "jxj")
    comma = client.put(url, json={"value": "214,9"})  # a decimal comma never becomes 2149
    assert comma.status_code == 400 and "85.3" in comma.json()["hint"]
    assert client.delete(url).status_code == 200


@pytest.fixture
def own_app(tmp_path: Any) -> Iterator[Any]:
    """A warehouse of its own: closing the plan must not leak into the other tests (any order)."""
    from shucang.api.app import create_app

    application = create_app(Settings.load(tmp_path / "home"))
    yield application
    application.state.warehouse.close()


def test_close_revise_register_and_report(own_app: Any) -> None:
    app = own_app
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

        with TestClient(app, raise_server_exceptions=False) as client:
            _close_revise_register_and_report(app, client)


def _close_revise_register_and_report(app: Any, client: Any) -> None:
    act_as(app, "steward-qian", "steward", "jxj")
    assert client.post(f"{BASE}/close", json={"note": "x"}).status_code == 403  # admins close plans
    act_as(app, "admin-wang", "admin")
    assert client.put(f"{BASE}/indicators/software_revenue/values/2025", json={"value": 236.5}).status_code == 200
    closed = client.post(f"{BASE}/close", json={"note": "终期评估"})
    assert closed.status_code == 200 and closed.json()["closed_by"] == "admin-wang"
    refused = client.put(f"{BASE}/indicators/software_revenue/values/2025", json={"value": 240})
    assert refused.status_code == 409 and "revise" in refused.json()["hint"]
    act_as(app, "steward-zhao", "steward", "nyncj")
    url = f"{BASE}/indicators/software_revenue/revisions/2025"
    assert client.post(url, json={"value": 237, "reason": "年鉴"}).status_code == 403
    act_as(app, "steward-qian", "steward", "jxj")
    done = client.post(url, json={"value": "237.1", "reason": "统计年鉴更正"})
    assert done.status_code == 200 and done.json()["frozen"] == 236.5
    status = {r["id"]: r for r in client.get(f"{BASE}/status").json()["indicators"]}
    assert status["software_revenue"]["latest"] == 237.1 and status["software_revenue"]["frozen"]["value"] == 236.5
    explained = client.put(f"{BASE}/indicators/software_revenue/explanation",
                           json={"reason": "统计口径调整", "next_steps": "补报"})
    assert explained.status_code == 200 and explained.json()["reason"] == "统计口径调整"
    act_as(app, "steward-zhao", "steward", "nyncj")
    assert client.put(f"{BASE}/indicators/software_revenue/explanation", json={"reason": "x"}).status_code == 403
    projects = client.get(f"{BASE}/register").json()["projects"]
    assert len(projects) == 12 and projects[0]["status"] == "no_record"
    docx = client.get(f"{BASE}/report.docx")
    assert docx.status_code == 200 and docx.content[:2] == b"PK"
    assert client.get(f"{BASE}/report.pdf").status_code in (400, 404, 422)
