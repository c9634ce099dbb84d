"""Versioned schema migrations for the catalog database, one numbered list of steps per component.

Every stage that keeps state in the catalog (warehouse, classify, protect, share, plan) owns a
component name and an ordered list of steps; :func:`ensure_schema` applies the steps not yet
recorded in ``schema_migrations``, each in its own transaction, so SQLite and PostgreSQL catalogs
move forward the same way. Steps are written with SQLAlchemy Core so they run on both.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import sqlalchemy as sa

MigrationStep = Callable[[sa.Connection], None]

_registry_meta = sa.MetaData()
schema_migrations = sa.Table(
    "schema_migrations",
    _registry_meta,
    sa.Column("component", sa.String(64), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
)


def create_tables_step(metadata: sa.MetaData, *names: str) -> MigrationStep:
    """A step that creates the named tables of ``metadata`` (all of them when no name is given)."""

    def step(conn: sa.Connection) -> None:
        tables = [metadata.tables[n] for n in names] if names else None
        metadata.create_all(conn, tables=tables)

    return step


_applied: weakref.WeakKeyDictionary[sa.Engine, dict[str, int]] = weakref.WeakKeyDictionary()
"""Per engine: every component's highest applied step, read once (one query for all components)."""
_applied_lock = threading.Lock()


def _read_applied(engine: sa.Engine) -> dict[str, int]:
    """Every component's highest applied step, in one query (creating the registry table if missing)."""
    query = sa.select(schema_migrations.c.component, sa.func.max(schema_migrations.c.version)).group_by(
        schema_migrations.c.component)
    try:
        with engine.connect() as conn:
            rows = conn.execute(query).all()
    except sa.exc.DBAPIError:  # no registry table yet (a new catalog): make it, then read again
        _registry_meta.create_all(engine)
        with engine.connect() as conn:
            rows = conn.execute(query).all()
    return {str(component): int(version or 0) for component, version in rows}


def applied_version(engine: sa.Engine, component: str, *, fresh: bool = False) -> int:
    """Highest applied step number of ``component`` (0 when none).

    Read once per engine for every component at once, so a short process (one CLI ingest) checks
    its schema with one query instead of two per stage; ``fresh`` reads the catalog again.
    """
    with _applied_lock:
        known = None if fresh else _applied.get(engine)
        if known is None:
            known = _read_applied(engine)
            _applied[engine] = known
        return known.get(component, 0)


def ensure_schema(engine: sa.Engine, component: str, steps: Sequence[MigrationStep]) -> int:
    """Apply the missing steps of ``component`` in order; return the schema version now in force.

    A step found missing is checked again inside its own transaction (another process may have
    applied it since the versions were read), so the once-per-engine read is only ever a shortcut.
    """
    current = applied_version(engine, component)
    if current >= len(steps):
        return current
    for number, step in enumerate(steps, start=1):
        if number <= current:
            continue
        with engine.begin() as conn:
            # Re-check inside the transaction, once it holds the write lock: two processes may start at
            # once, and both must not create the same tables.
            _lock_registry(conn)
            done = conn.execute(
                sa.select(schema_migrations.c.version).where(
                    (schema_migrations.c.component == component) & (schema_migrations.c.version == number)
                )
            ).first()
            if done:
                current = number
                continue
            step(conn)
            conn.execute(
                schema_migrations.insert().values(component=component, version=number,
                                                  applied_at=datetime.now(UTC))
            )
        current = number
    with _applied_lock:
        known = _applied.get(engine)
        if known is not None:
            known[component] = max(known.get(component, 0), current)
    return current


def _lock_registry(conn: sa.Connection) -> None:
    """Take the catalog's write lock for this transaction before anything is read (SQLite starts a
    transaction as a reader; PostgreSQL needs a table lock), so steps of one component never overlap."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("LOCK TABLE schema_migrations IN SHARE ROW EXCLUSIVE MODE"))
    else:  # an UPDATE takes SQLite's write lock even when it matches no row
        conn.execute(schema_migrations.update().where(sa.false()).values(version=schema_migrations.c.version))


class Schema:
    """One stage's catalog tables — its component name and numbered steps — made ready once per engine.

    Every stage declares its tables once (a ``MetaData`` and a list of steps) and creates them through
    :meth:`ensure`, so the once-per-engine memo is written here only. It is weak: a closed engine's
    ``id()`` can be reused by a new one, which must not be taken for ready.
    """

    def __init__(self, component: str, steps: Sequence[MigrationStep]) -> None:
        self.component = component
        self.steps = list(steps)
        self._ready: weakref.WeakSet[sa.Engine] = weakref.WeakSet()
        self._lock = threading.Lock()

    def ensure(self, engine: sa.Engine) -> sa.Engine:
        """Apply the missing steps (once per engine and process); returns the engine for chaining."""
        if engine in self._ready:
            return engine
        with self._lock:
            if engine not in self._ready:
                ensure_schema(engine, self.component, self.steps)
                self._ready.add(engine)
        return engine
