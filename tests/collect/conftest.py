"""A throwaway PostgreSQL for the database-source tests (skipped with a reason when not installed)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

import pytest
from tests.postgres import postgres_bin

_counter = itertools.count()


@pytest.fixture(scope="session")
def pg_base() -> Iterator[str]:
    if postgres_bin() is None:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql): database-source tests skipped")
    pytest.importorskip("psycopg", reason="psycopg not installed: database-source tests skipped")
    from tests.postgres import postgres_server

    with postgres_server() as base:
        yield base


@pytest.fixture
def source_db(pg_base: str) -> Callable[[], tuple[str, Callable[..., None]]]:
    """A fresh database on the server: returns (its SQLAlchemy URL, run(sql, params) for setting it up)."""
    import psycopg

    def make() -> tuple[str, Callable[..., None]]:
        name = f"src{next(_counter)}"
        plain = pg_base.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(plain + "/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')

        def run(sql: str, params: object = None) -> None:
            with psycopg.connect(f"{plain}/{name}", autocommit=True) as conn:
                conn.execute(sql, params)  # type: ignore[arg-type]

        return f"{pg_base}/{name}", run

    return make
