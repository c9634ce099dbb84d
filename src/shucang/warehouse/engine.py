"""The catalog database engine: SQLite (WAL) by default, any SQLAlchemy URL (PostgreSQL) when set."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from shucang.settings import Settings


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def create_catalog_engine(settings: Settings) -> sa.Engine:
    """An engine for the catalog; the home directory is created on first use."""
    url = settings.catalog_sqlalchemy_url()
    if url.startswith("sqlite"):
        settings.home.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return sa.create_engine(url, pool_pre_ping=True)
