"""Every sharing route and CLI command is documented in docs/sharing.md."""

from __future__ import annotations

import re
from pathlib import Path

import typer

from shucang.api import auth_routes, opendata_routes, share_routes
from shucang.cli import share_cmds

DOC = (Path(__file__).resolve().parents[2] / "docs" / "sharing.md").read_text(encoding="utf-8")


def test_every_api_route_is_documented() -> None:
    missing = []
    for module in (share_routes, auth_routes, opendata_routes):
        for route in module.router.routes:
            path = route.path  # type: ignore[attr-defined]
            full = path if path.startswith(("/api/", "/opendata")) else "/api/v1" + path
            tail = full.rsplit("/", 1)[-1]
            if full not in DOC and not (tail.isidentifier() and f"/{tail}" in DOC and full.rsplit("/", 1)[0] in DOC):
                missing.append(full)
    assert not missing, missing


def test_every_web_page_is_documented() -> None:
    from shucang.web import share_views

    for route in share_views.router.routes:
        base = re.sub(r"/\{[^}]+\}.*", "", route.path)  # type: ignore[attr-defined]
        assert f"`{base}" in DOC, route.path  # type: ignore[attr-defined]


def test_every_cli_command_is_documented() -> None:
    groups = {"users": share_cmds.users_app, "tokens": share_cmds.tokens_app, "requests": share_cmds.requests_app,
              "grants": share_cmds.grants_app, "audit": share_cmds.audit_app, "opendata": share_cmds.opendata_app}
    for group, app in groups.items():
        command = typer.main.get_command(app)
        for name in command.commands:  # type: ignore[attr-defined]
            assert re.search(rf"shucang {group} .*\b{name}\b", DOC), f"shucang {group} {name}"
