"""The share CLI: users, tokens, requests, grants, audit, opendata — one core call per command."""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from tests.conftest import invoke_cli

from shucang.settings import Settings


def _cli(home: Path, *args: str, stdin: str | None = None) -> Any:
    old = sys.stdin
    if stdin is not None:
        sys.stdin = io.StringIO(stdin)
    try:
        return invoke_cli(home, *args)
    finally:
        sys.stdin = old


def test_users_and_tokens(share_home: Path) -> None:
    r = _cli(share_home, "users", "add", "carol", "--role", "consumer", "-d", "fgj", "--clearance", "2",
             "--password-stdin", "--json", stdin="a-long-enough-password\n")
    assert r.exit_code == 0, r.stderr
    assert r.json()["clearance"] == 2
    listing = _cli(share_home, "users", "list", "--json").json()
    assert {u["name"] for u in listing} >= {"carol", "ana", "admin"}
    assert _cli(share_home, "users", "add", "carol", "--role", "consumer").exit_code == 1
    bad = _cli(share_home, "users", "add", "dave", "--role", "wizard")
    assert bad.exit_code == 1 and "Traceback" not in bad.stderr and bad.stderr.startswith("错误")
    token = _cli(share_home, "tokens", "create", "carol", "--days", "2", "--json").json()
    assert token["token"].startswith("sct_")
    shown = _cli(share_home, "tokens", "list", "carol", "--json")
    assert token["token"] not in shown.stdout and len(shown.json()) == 1
    assert _cli(share_home, "tokens", "revoke", str(token["id"])).exit_code == 0
    assert _cli(share_home, "tokens", "list", "carol", "--json").json()[0]["active"] is False
    assert _cli(share_home, "users", "passwd", "carol", "--password-stdin", stdin="short\n").exit_code == 1
    assert _cli(share_home, "users", "disable", "carol").exit_code == 0
    users = {u["name"]: u for u in _cli(share_home, "users", "list", "--json").json()}
    assert users["carol"]["disabled"] is True and users["ana"]["disabled"] is False


def test_request_approve_grant_revoke_and_audit(share_home: Path) -> None:
    made = _cli(share_home, "requests", "create", "people", "--as", "ana", "--purpose", "命令行测试 cli",
                "--columns", "town,age", "--filter", '{"column": "age", "op": ">", "value": 30}', "--json")
    assert made.exit_code == 0, made.stderr
    rid = str(made.json()["id"])
    denied = _cli(share_home, "requests", "approve", rid, "--as", "st_scjgj")
    assert denied.exit_code == 1 and "没有申请" in denied.stderr  # other department: not even visible
    ok = _cli(share_home, "requests", "approve", rid, "--as", "st_gaj", "--columns", "town", "--days", "5", "--json")
    assert ok.exit_code == 0, ok.stderr
    grant = ok.json()["grant"]
    assert grant["columns"] == ["town"] and grant["state"] == "active"
    assert _cli(share_home, "grants", "list", "--as", "ana", "--json").json()[0]["id"] == grant["id"]
    assert _cli(share_home, "grants", "revoke", str(grant["id"]), "--reason", "到期提前收回").exit_code == 0
    assert _cli(share_home, "grants", "show", str(grant["id"])).json()["state"] == "revoked"
    found = _cli(share_home, "audit", "search", "--action", "request.*", "--json").json()
    assert [e["action"] for e in found][:2] == ["request.approve", "request.create"] or len(found) >= 2
    verified = _cli(share_home, "audit", "verify", "--json")
    assert verified.exit_code == 0 and verified.json()["ok"] is True


def test_audit_verify_fails_on_tampering(share_home: Path) -> None:
    _cli(share_home, "requests", "create", "people", "--as", "ana", "--purpose", "命令行测试 cli")
    from shucang.share.tables import audit

    engine = sa.create_engine(Settings.load(share_home).catalog_sqlalchemy_url())
    with engine.begin() as conn:
        conn.execute(audit.update().values(action="nothing.to.see"))
    engine.dispose()
    r = _cli(share_home, "audit", "verify")
    assert r.exit_code == 1 and "edited" in r.stderr


def test_opendata_commands(share_home: Path) -> None:
    r = _cli(share_home, "opendata", "publish", "firms", "--quasi", "town,industry", "--k", "5", "--json")
    assert r.exit_code == 0, r.stderr
    assert "legal_rep" not in r.json()["columns"]
    rate = _cli(share_home, "opendata", "rate", "--json").json()
    assert rate["open"] == 1 and rate["total"] == 2
    refused = _cli(share_home, "opendata", "publish", "firms", "--quasi", "employees")
    assert refused.exit_code == 1 and "k-" in refused.stderr
    assert _cli(share_home, "opendata", "unpublish", "firms").exit_code == 0
    assert _cli(share_home, "opendata", "list", "--json").json() == []
