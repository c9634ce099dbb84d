"""Item 9 of issue 15: the door itself — response headers, the caller's address, existence leaks and
the offline API docs."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest

from shucang.settings import Settings

from .conftest import PASSWORD, bearer


def test_every_answer_carries_csp_frame_and_nosniff_headers(client: Any) -> None:
    for path in ("/", "/security", "/api/v1/datasets", "/api/v1/datasets/nosuch", "/open", "/api/v1/docs"):
        r = client.get(path)
        assert "script-src 'self'" in r.headers.get("content-security-policy", ""), path
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
        assert r.headers.get("x-frame-options") == "DENY", path
        assert r.headers.get("x-content-type-options") == "nosniff", path
    r = client.get("/api/v1/datasets/people/rows?limit=2", headers=bearer("st_gaj"))  # the fast path too
    assert r.status_code == 200 and r.headers.get("x-frame-options") == "DENY"


def test_api_docs_load_nothing_from_a_cdn(client: Any) -> None:
    r = client.get("/api/v1/docs")
    assert r.status_code == 200
    assert "cdn" not in r.text and "https://" not in r.text and "<script>" not in r.text
    assert "/static/vendor/swagger-ui-5.36.0-bundle.js" in r.text
    for asset in ("vendor/swagger-ui-5.36.0-bundle.js", "vendor/swagger-ui-5.36.0.css", "swagger-init.js"):
        assert client.get("/static/" + asset).status_code == 200
    assert client.get("/api/v1/openapi.json").status_code == 200


def test_the_public_cannot_tell_a_hidden_dataset_from_a_missing_one(client: Any) -> None:
    for suffix in ("", "/rows", "/aggregate"):
        hidden = client.get(f"/api/v1/datasets/people{suffix}")
        missing = client.get(f"/api/v1/datasets/peoplx{suffix}")
        assert hidden.status_code == missing.status_code == 404, (suffix, hidden.text, missing.text)
        assert hidden.json()["hint"] is None and missing.json()["hint"] is None  # no list of names
        assert hidden.json()["error"].replace("people", "X") == missing.json()["error"].replace("peoplx", "X")


def _failed_login_address(app: Any, client: Any, headers: dict[str, str]) -> str:
    from shucang.share.audit import search

    client.post("/api/v1/auth/login", json={"username": "ana", "password": "not-" + PASSWORD}, headers=headers)
    return str(search(app.state.warehouse, action="login", outcome="failed")[0].details["address"])


def test_x_forwarded_for_is_believed_only_from_a_configured_proxy(share_home: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from shucang.api.app import create_app

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    spoof = {"X-Forwarded-For": "10.9.9.9"}
    for proxies, expected in (("", "testclient"), ("testclient", "10.9.9.9")):
        monkeypatch.setenv("SHUCANG_TRUSTED_PROXIES", proxies)
        app = create_app(Settings.load(share_home))
        try:
            with TestClient(app, raise_server_exceptions=False) as client:
                assert _failed_login_address(app, client, spoof) == expected
        finally:
            app.state.warehouse.close()
