"""One small demo warehouse (scale 0.02, built as of 2026-12-06) shared by the economy tests, an app over
it, and clients acting as the public, a consumer without grants, and an admin."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import opened_warehouse

from shucang.settings import Settings

AS_OF = date(2026, 12, 6)


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from shucang.demo import build_demo
    from shucang.share.identity import create_user

    home = tmp_path_factory.mktemp("economy-demo") / "home"
    with opened_warehouse(home) as wh:
        build_demo(wh, scale=0.02, as_of=AS_OF)  # what `shucang demo` runs, with the after-ingest hooks
        create_user(wh, "boss", role="admin", password="economy-test-Boss-1")
        create_user(wh, "reader", role="consumer", department="swj", password="economy-test-Reader-1")
    return home


@pytest.fixture(scope="session")
def demo_wh(demo_home: Path) -> Iterator[Any]:
    with opened_warehouse(demo_home) as wh:
        yield wh


@pytest.fixture(scope="session")
def demo_app(demo_home: Path) -> Iterator[Any]:
    from shucang.api.app import create_app

    application = create_app(Settings.load(demo_home))
    yield application
    application.state.warehouse.close()


@pytest.fixture
def client_as(demo_app: Any) -> Iterator[Callable[[str], Any]]:
    """``client_as("public" | "consumer" | "admin")`` → a test client acting as that caller."""
    from shucang.share.access import PUBLIC, Actor

    actors = {"public": PUBLIC, "consumer": Actor(name="reader", role="consumer", department="swj", via="token"),
              "admin": Actor(name="boss", role="admin", clearance=4, via="token")}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

        client = TestClient(demo_app, raise_server_exceptions=False)

    def make(who: str) -> Any:
        demo_app.state.resolve_actor = lambda _request: actors[who]
        return client

    with client:
        yield make
    demo_app.state.resolve_actor = None
