"""Items 3 and 4 of issue 15: the anonymous cockpit shows nothing of non-open datasets beyond the
catalog entry; a version nobody classified shows no values to anyone but admins, and `check --repair`
classifies it; /security names no failed-login user to non-admins and is cheap per request."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.conftest import invoke_cli
from tests.share.conftest import people_table

from shucang.settings import Settings

from .conftest import PASSWORD


def _examples_hidden(text: str) -> None:
    table = people_table()
    for column in ("id_card", "name", "mobile"):
        for value in table.column(column).to_pylist()[:60]:
            assert value not in text, f"{column} value {value} shown"


def test_the_public_sees_no_example_values_of_a_non_open_dataset(client: Any) -> None:
    for path in ("/warehouse/people", "/warehouse/people/export/columns.csv", "/warehouse/people?format=json"):
        r = client.get(path)
        assert r.status_code in (200, 404), (path, r.status_code)
        _examples_hidden(r.text)
        assert "id_card" not in r.text  # not even the column names


def test_a_steward_sees_examples_only_up_to_its_clearance(client: Any) -> None:
    assert client.post("/api/v1/auth/login", json={"username": "st_gaj", "password": PASSWORD}).status_code == 200
    text = client.get("/warehouse/people/export/columns.csv").text
    assert "id_card" in text  # the column list, for a logged-in user
    table = people_table()
    assert not any(v in text for v in table.column("id_card").to_pylist())  # level 4: above its clearance
    assert "周巷镇" in text and table.column("mobile")[0].as_py() in text  # levels 1 and 3: its own department
    client.cookies.clear()
    assert client.post("/api/v1/auth/login", json={"username": "ana", "password": PASSWORD}).status_code == 200
    _examples_hidden(client.get("/warehouse/people/export/columns.csv").text)  # no grant: no values


def test_an_unclassified_version_shows_no_values_and_check_repairs_it(share_home: Path) -> None:
    from shucang.warehouse import IngestOptions, Warehouse

    # an ingest killed after its commit and before its classification hook: no hooks ran
    bare = Warehouse.open(Settings.load(share_home), after_ingest=[])
    try:
        bare.ingest_arrow(people_table(), IngestOptions(dataset="census", department="gaj", mode="replace",
                                                        synthetic=True))
    finally:
        bare.close()
    from shucang.api.app import create_app

    app = create_app(Settings.load(share_home))
    try:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from fastapi.testclient import TestClient
        with TestClient(app) as client:
            for who in (None, "st_gaj"):
                if who:
                    client.post("/api/v1/auth/login", json={"username": who, "password": PASSWORD})
                _examples_hidden(client.get("/warehouse/census/export/columns.csv").text)
    finally:
        app.state.warehouse.close()
    report = invoke_cli(share_home, "check", "--json").json()
    assert [r for r in report["results"] if r["check"] == "classification" and r["dataset"] == "census"]
    repaired = invoke_cli(share_home, "check", "--repair", "--json").json()
    assert [r["status"] for r in repaired["results"] if r["check"] == "classification"] == ["repaired"]
    again = invoke_cli(share_home, "check", "--json").json()
    assert not [r for r in again["results"] if r["check"] == "classification"]


def test_security_page_names_failed_logins_to_admins_only(client: Any) -> None:
    typed = "Tr0ub4dor&3-secret-pass"
    client.post("/api/v1/auth/login", json={"username": typed, "password": "x"})  # a password in the user field
    client.post("/api/v1/auth/login", json={"username": "bob", "password": "wrong-password-1"})
    public = client.get("/security?format=json").text
    assert typed not in public and "bob" not in public
    assert client.post("/api/v1/auth/login", json={"username": "admin", "password": PASSWORD}).status_code == 200
    admin = client.get("/security?format=json").text
    assert "bob" in admin and typed not in admin  # unknown names are never stored at all


def test_security_page_is_computed_at_most_every_30_seconds(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from shucang.web import security_sources

    calls = []
    real = security_sources.audit_alerts
    monkeypatch.setattr(security_sources, "audit_alerts", lambda *a, **k: calls.append(1) or real(*a, **k))
    for _ in range(5):
        assert client.get("/security").status_code == 200
    assert len(calls) == 1
