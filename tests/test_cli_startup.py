"""The CLI starts fast: stage modules and engines load on first use, not at `shucang --help`."""

from __future__ import annotations

import json
import subprocess
import sys


def test_cli_import_loads_no_engine() -> None:
    code = ("import sys, json, shucang.cli; "
            "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('duckdb', 'deltalake', 'sqlalchemy', 'fastapi') or m.startswith('shucang.share.audit'))))")
    loaded = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                       check=True).stdout)
    assert loaded == []


def test_token_days_default_matches_identity() -> None:
    import typer

    from shucang.cli.root import app
    from shucang.share.identity import TOKEN_DEFAULT_DAYS

    tokens = typer.main.get_command(app).commands["tokens"].commands["create"]
    days = next(p for p in tokens.params if p.name == "days")
    assert days.default == TOKEN_DEFAULT_DAYS
