"""Fixtures of the cockpit tests: a small warehouse (synthetic rows + plan values) and an in-process client."""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from tests.servers import chromium

from shucang.settings import Settings

BROWSER_PASSWORD = "cockpit-test-Pa55word!"


def seed_small_warehouse(wh: Any) -> None:
    """A few synthetic datasets shaped like the demo's, and plan values for some indicators."""
    from shucang.warehouse import IngestOptions

    reg = pa.table({
        "uscc": ["U1", "U2", "U3", "U4", "U5"],
        "company_name": ["=HYPERLINK(\"x\")", "甲公司", "乙公司", "丙公司", "丁公司"],
        "zone": ["core", "core", "belt_appliance", None, "park_agri"],
        "town": ["坎墩街道", "宗汉街道", "观海卫镇", "周巷镇", "崇寿镇"],
    })
    wh.ingest_arrow(reg, IngestOptions(dataset="enterprise_registry", department="scjgj", title="=企业登记信息（合成演示数据）",
                                       synthetic=True, cadence="daily"))
    cloud = pa.table({"uscc": ["U1", "U1", "U3", "U4"], "cloud_on": [dt.date(2020, 1, 1)] * 4})
    wh.ingest_arrow(cloud, IngestOptions(dataset="enterprise_cloud", department="jxj", title="企业上云（合成演示数据）",
                                         synthetic=True))
    robots = pa.table({"robot_id": ["R1", "R2", "R3"], "uscc": ["U1", "U2", "U3"],
                       "retired_on": pa.array([None, dt.date(2021, 1, 1), None], pa.date32())})
    wh.ingest_arrow(robots, IngestOptions(dataset="industrial_robots", department="jxj", synthetic=True))
    monthly = pa.table({"uscc": ["U1", "U2", "U1", "U3"],
                        "month": [dt.date(2024, 1, 1), dt.date(2025, 1, 1), dt.date(2025, 2, 1), dt.date(2025, 3, 1)],
                        "output_value": [1.0, 20000.0, 30000.0, 5000.0]})
    wh.ingest_arrow(monthly, IngestOptions(dataset="industrial_monthly", department="tjj", synthetic=True))
    from shucang.plan import monitor

    for year, value in ((2021, 160), (2022, 175.5), (2023, 190), (2024, 205.3)):
        monitor.set_actual(wh, None, "software_revenue", year, value, actor="test", source="synthetic")
    for year, value in ((2021, 1300), (2022, 1400)):
        monitor.set_actual(wh, None, "base_stations_5g", year, value, actor="test", source="synthetic")


@pytest.fixture(scope="session")
def web_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from shucang.platform import open_warehouse

    home = tmp_path_factory.mktemp("web") / "home"
    wh = open_warehouse(Settings.load(home))
    try:
        seed_small_warehouse(wh)
    finally:
        wh.close()
    return home


@pytest.fixture(scope="session")
def web_app(web_home: Path) -> Iterator[Any]:
    from shucang.api.app import create_app

    app = create_app(Settings.load(web_home))
    yield app
    app.state.warehouse.close()


@pytest.fixture
def client(web_app: Any) -> Iterator[Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    web_app.state.resolve_actor = None  # real resolution (anonymous unless a test logs in)
    with TestClient(web_app, headers={"accept": "text/html"}) as c:
        yield c
    web_app.state.resolve_actor = None


@pytest.fixture
def as_actor(web_app: Any) -> Any:
    """``as_actor(name, role, department)`` makes every request of this test come from that actor."""
    from shucang.api.deps import Actor

    def use(name: str, role: str, department: str | None = None, csrf: str | None = "tok-123") -> Actor:
        actor = Actor(name=name, role=role, department=department, via="session", csrf=csrf)
        web_app.state.resolve_actor = lambda _request: actor
        return actor

    return use


# --- real-browser fixtures (one demo warehouse and one chromium for every browser test module) ----------
@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from shucang.demo import build_demo
    from shucang.plan.demo import seed_demo_plan
    from shucang.platform import open_warehouse
    from shucang.settings import Settings
    from shucang.share.identity import create_user

    home = tmp_path_factory.mktemp("browser") / "home"
    wh = open_warehouse(Settings.load(home))
    try:
        build_demo(wh, scale=0.02)
        seed_demo_plan(wh)
        create_user(wh, "steward_jxj", role="steward", department="jxj", password=BROWSER_PASSWORD)
        create_user(wh, "consumer_fgj", role="consumer", department="fgj", clearance=1, password=BROWSER_PASSWORD,
                    display_name="发改局分析员（测试）")
    finally:
        wh.close()
    from tests.servers import serve_home

    with serve_home(home) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One chromium per test module: a Playwright sync session must end before another module (e.g.
    tests/share/test_browser.py) starts its own."""
    with chromium() as b:
        yield b


