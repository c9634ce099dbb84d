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
    engine = sa.create_engine(url, pool_pre_ping=True)
    if engine.dialect.name == "postgresql":
        _create_database_if_missing(engine)
    return engine


def _create_database_if_missing(engine: sa.Engine) -> None:
    """Create the catalog's PostgreSQL database on first use (needs the CREATEDB privilege then)."""
    url = engine.url
    if not url.database:
        return
    server = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    try:
        with server.connect() as conn:
            exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                  {"name": url.database}).first()
            if exists is None:
                quoted = conn.dialect.identifier_preparer.quote_identifier(url.database)
                try:
                    conn.execute(sa.text(f"CREATE DATABASE {quoted}"))
                except sa.exc.ProgrammingError as exc:  # created meanwhile by another process
                    if "already exists" not in str(exc):
                        raise
    except sa.exc.OperationalError:
        return  # no access to the maintenance database: the catalog database must exist already
    finally:
        server.dispose()
