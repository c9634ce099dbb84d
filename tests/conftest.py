"""Fixtures shared by every stage's tests: a fresh warehouse home, an opened warehouse, the CLI."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from shucang.settings import Settings

CASES = Path(__file__).parent / "cases"


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def settings(home: Path) -> Settings:
    return Settings.load(home)


@pytest.fixture
def warehouse(settings: Settings) -> Iterator[Any]:
    from shucang.platform import open_warehouse

    wh = open_warehouse(settings)
    yield wh
    wh.close()


def invoke_cli(home: Path, *args: str) -> CliResult:
    """Run ``shucang --home HOME ARGS…`` in this process and capture what it prints."""
    from shucang.cli import main

    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(["--home", str(home), *args])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return CliResult(code, out.getvalue(), err.getvalue())


@pytest.fixture
def cli(home: Path) -> Callable[..., CliResult]:
    """``cli("ingest", path, "--dataset", "x", "--json")`` → CliResult for the test's own home."""
    return lambda *args: invoke_cli(home, *map(str, args))


def wait_for_server(base: str, *, path: str = "/api/v1/auth/me", seconds: float = 30.0) -> None:
    """Poll a server started by a test until it answers 200, else fail the test."""
    import time

    import httpx

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + path, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    pytest.fail(f"the server at {base} did not start")
