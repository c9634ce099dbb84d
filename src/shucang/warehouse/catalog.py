"""The catalog: departments, datasets, their versions and columns (SQLAlchemy Core).

The catalog is the index of the warehouse; the data itself lives in Delta tables. A dataset's
visible version is the catalog's ``current_version``: a Delta commit that the catalog never
recorded (a crash between the two) is invisible and is rolled back by ``check --repair``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from shucang.warehouse.migrations import MigrationStep, create_tables_step

COMPONENT = "warehouse"
metadata = sa.MetaData()

departments = sa.Table(
    "departments", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("code", sa.String(64), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

datasets = sa.Table(
    "datasets", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(128), nullable=False, unique=True),
    sa.Column("title", sa.String(300), nullable=False),
    sa.Column("department_id", sa.Integer, sa.ForeignKey("departments.id"), nullable=True),
    sa.Column("description", sa.Text, nullable=False, default=""),
    sa.Column("source", sa.Text, nullable=False, default=""),
    sa.Column("cadence", sa.String(32), nullable=True),  # daily|weekly|monthly|quarterly|yearly|None
    sa.Column("primary_key", sa.JSON, nullable=False, default=list),
    sa.Column("not_null", sa.JSON, nullable=False, default=list),
    sa.Column("topic", sa.String(100), nullable=True),
    sa.Column("is_open", sa.Boolean, nullable=False, default=False),
    sa.Column("synthetic", sa.Boolean, nullable=False, default=False),
    sa.Column("current_version", sa.Integer, nullable=True),
    sa.Column("row_count", sa.BigInteger, nullable=False, default=0),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

dataset_versions = sa.Table(
    "dataset_versions", metadata,
    sa.Column("dataset_id", sa.Integer, sa.ForeignKey("datasets.id"), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("delta_version", sa.Integer, nullable=True),
    sa.Column("status", sa.String(16), nullable=False),  # pending | committed | failed
    sa.Column("mode", sa.String(16), nullable=False),  # append | replace
    sa.Column("source_path", sa.Text, nullable=False, default=""),
    sa.Column("source_format", sa.String(16), nullable=True),
    sa.Column("encoding", sa.String(32), nullable=True),
    sa.Column("delimiter", sa.String(4), nullable=True),
    sa.Column("sheet", sa.String(200), nullable=True),
    sa.Column("rows_read", sa.BigInteger, nullable=False, default=0),
    sa.Column("rows_loaded", sa.BigInteger, nullable=False, default=0),
    sa.Column("rows_rejected", sa.BigInteger, nullable=False, default=0),
    sa.Column("row_count", sa.BigInteger, nullable=False, default=0),
    sa.Column("schema_changes", sa.JSON, nullable=False, default=dict),
    sa.Column("created_by", sa.String(128), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("message", sa.Text, nullable=True),
    sa.Column("attempt_id", sa.String(40), nullable=True),
    sa.Column("duration_s", sa.Float, nullable=True),
)

columns = sa.Table(
    "columns", metadata,
    sa.Column("dataset_id", sa.Integer, sa.ForeignKey("datasets.id"), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(300), nullable=False),
    sa.Column("storage_type", sa.String(64), nullable=False),
    sa.Column("logical_type", sa.String(32), nullable=False),
    sa.Column("null_share", sa.Float, nullable=False, default=0.0),
    sa.Column("distinct_estimate", sa.BigInteger, nullable=False, default=0),
    sa.Column("examples", sa.JSON, nullable=False, default=list),
    sa.Column("canonical", sa.Boolean, nullable=False, default=False),
    sa.Column("note", sa.Text, nullable=False, default=""),
)

MIGRATIONS: list[MigrationStep] = [create_tables_step(metadata)]


def inserted_id(result: sa.CursorResult[Any]) -> int:
    """The integer primary key of the row an INSERT just wrote (SQLAlchemy types it as optional)."""
    key = result.inserted_primary_key
    if key is None:  # pragma: no cover - every catalog table has an integer key
        raise RuntimeError("INSERT returned no primary key")
    return int(key[0])


def utc_now() -> datetime:
    """Now, in UTC: every time the catalog stores."""
    return datetime.now(UTC)


def as_utc(value: Any) -> Any:
    """A datetime read back from the catalog made aware again (SQLite hands them back naive; they were
    written in UTC); anything else is returned as it is."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value
