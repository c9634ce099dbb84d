"""Every CLI command is documented, and the README keeps its promises (Datasette's test_docs idea)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer

ROOT = Path(__file__).resolve().parents[1]
DOCS = "\n".join(p.read_text("utf-8") for p in sorted((ROOT / "docs").rglob("*.md")))


def _commands() -> list[str]:
    from shucang.cli.root import app

    root = typer.main.get_command(app)
    found: list[str] = []

    def walk(command: object, prefix: str) -> None:
        if hasattr(command, "commands"):  # a group (typer may vendor its own click classes)
            for name, sub in command.commands.items():
                walk(sub, f"{prefix} {name}".strip())
        else:
            found.append(prefix)

    walk(root, "")
    return sorted(found)


@pytest.mark.parametrize("command", _commands())
def test_every_cli_command_is_documented(command: str) -> None:
    words = command.split()
    # "shucang plan status", or a group's table listing "plan list|show|status"
    pattern = r"shucang\s+" + r"\s+".join(re.escape(w) for w in words) + r"\b"
    grouped = len(words) == 2 and re.search(
        rf"shucang\s+{re.escape(words[0])}\s+[\w|-]*\b{re.escape(words[1])}\b", DOCS)
    assert re.search(pattern, DOCS) or grouped, f"`shucang {command}` is not described anywhere in docs/"


def test_readme_first_screen_has_the_two_commands() -> None:
    first_screen = "\n".join((ROOT / "README.md").read_text("utf-8").splitlines()[:25])
    assert "make demo" in first_screen and "make test" in first_screen


def test_ci_runs_the_readme_test_command() -> None:
    assert "make test" in (ROOT / ".ci" / "run").read_text("utf-8")


def test_every_api_route_is_documented(settings) -> None:
    """Each JSON API route (any router) appears in docs/, path parameters written with any name."""
    from shucang.api import create_app

    app = create_app(settings)
    paths = [p for p in app.openapi()["paths"] if p.startswith("/api/")]  # routers may be wrapped: ask OpenAPI
    assert len(paths) >= 30  # the check below must have something to check
    missing = []
    for path in paths:
        pattern = re.sub(r"\\\{[^}]*\\\}", r"\\{[^}]+\\}", re.escape(path))
        if not re.search(pattern + r"(?![\w/])", DOCS):
            missing.append(path)
    app.state.warehouse.close()
    assert not missing, f"API routes not described in docs/: {missing}"
