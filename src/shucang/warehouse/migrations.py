"""Versioned schema migrations for the catalog database, one numbered list of steps per component.

Every stage that keeps state in the catalog (warehouse, classify, protect, share, plan) owns a
component name and an ordered list of steps; :func:`ensure_schema` applies the steps not yet
recorded in ``schema_migrations``, each in its own transaction, so SQLite and PostgreSQL catalogs
move forward the same way. Steps are written with SQLAlchemy Core so they run on both.
"""

from __future__ import annotations

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


def applied_version(engine: sa.Engine, component: str) -> int:
    """Highest applied step number of ``component`` (0 when none)."""
    _registry_meta.create_all(engine)
    with engine.connect() as conn:
        value = conn.execute(
            sa.select(sa.func.max(schema_migrations.c.version)).where(
                schema_migrations.c.component == component
            )
        ).scalar()
    return int(value or 0)


def ensure_schema(engine: sa.Engine, component: str, steps: Sequence[MigrationStep]) -> int:
    """Apply the missing steps of ``component`` in order; return the schema version now in force."""
    current = applied_version(engine, component)
    for number, step in enumerate(steps, start=1):
        if number <= current:
            continue
        with engine.begin() as conn:
            # Re-check inside the transaction: two processes may start at once.
            done = conn.execute(
                sa.select(schema_migrations.c.version).where(
                    (schema_migrations.c.component == component) & (schema_migrations.c.version == number)
                )
            ).first()
            if done:
                continue
            step(conn)
            conn.execute(
                schema_migrations.insert().values(component=component, version=number,
                                                  applied_at=datetime.now(UTC))
            )
        current = number
    return current
