"""Fixtures shared by every stage's tests: a fresh warehouse home, an opened warehouse, the CLI."""

from __future__ import annotations

import contextlib
import io
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--catalog", choices=["sqlite", "postgres"], default="sqlite",
                     help="run the tests with the catalog on SQLite (default) or on a throwaway PostgreSQL")


@contextmanager
def session_env(name: str, value: str) -> Iterator[None]:
    """``os.environ[name] = value`` for a whole session (subprocesses inherit it), then as it was."""
    previous = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = previous


@pytest.fixture(scope="session", autouse=True)
def _no_warm_server() -> Iterator[None]:
    """Commands run in the test's own processes: a developer's warm server (shucang warm) is never
    used, and `serve` starts none. tests/test_cli_warm.py turns it on for its own servers."""
    with session_env("SHUCANG_WARM", "off"):
        yield


@pytest.fixture(scope="session", autouse=True)
def _catalog_backend(request: pytest.FixtureRequest) -> Iterator[None]:
    """With ``--catalog postgres``, every home's catalog is its own database on a throwaway PostgreSQL
    server — chosen by ``SHUCANG_CATALOG_URL`` alone, as a deployment would (subprocesses inherit it)."""
    if request.config.getoption("--catalog") != "postgres":
        yield
        return
    from tests.postgres import postgres_bin, postgres_server

    if postgres_bin() is None:
        pytest.exit("--catalog postgres: PostgreSQL is not installed (apt-get install postgresql)", returncode=1)
    with postgres_server() as base, session_env("SHUCANG_CATALOG_URL", base + "/{home_id}"):
        yield


@pytest.fixture
def settings(home: Path) -> Settings:
    return Settings.load(home)


@contextmanager
def opened_warehouse(home: Path | Settings) -> Iterator[Any]:
    """The warehouse of ``home`` (or of these settings), closed afterwards: the one way fixtures open one."""
    from shucang.platform import open_warehouse

    wh = open_warehouse(home if isinstance(home, Settings) else Settings.load(home))
    try:
        yield wh
    finally:
        wh.close()


@pytest.fixture
def warehouse(settings: Settings) -> Iterator[Any]:
    with opened_warehouse(settings) as wh:
        yield wh


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
    from tests.servers import wait_until_up

    try:
        wait_until_up(base, path, seconds)
    except RuntimeError as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """One local[2] Spark session for every Spark test of this process (see ``tests/spark.py``)."""
    from shucang.warehouse.scaleout import spark_session

    session = spark_session("local[2]", app_name="shucang-test")
    yield session
    session.stop()
