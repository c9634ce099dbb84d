"""Catalog tables of the collect stage (数据汇聚): sources, their run history and the files taken in.

A source row holds everything needed to run it again except secrets (see :mod:`shucang.collect.secrets`):
the URL is stored without its password. The watermark of an incremental source is written in the
warehouse's own version transaction (``Warehouse.ingest_batches(in_commit=…)``), never on its own.
"""

from __future__ import annotations

import sqlalchemy as sa

from shucang.warehouse.migrations import MigrationStep, create_tables_step

COMPONENT = "collect"
metadata = sa.MetaData()

sources = sa.Table(
    "collect_sources", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(128), nullable=False, unique=True),
    sa.Column("kind", sa.String(16), nullable=False),  # database | http | folder
    sa.Column("dataset", sa.String(128), nullable=True),  # None for a folder: one dataset per file name
    sa.Column("department", sa.String(64), nullable=True),
    sa.Column("config", sa.JSON, nullable=False, default=dict),  # url (no password), table, columns, paging…
    sa.Column("cadence", sa.String(16), nullable=True),  # hourly | daily | weekly | monthly | None (manual)
    sa.Column("watermark", sa.JSON, nullable=True),  # {"type": …, "value": …} of an incremental source
    sa.Column("lease_owner", sa.String(200), nullable=True),  # host:pid:nonce of the run in progress
    sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

runs = sa.Table(
    "collect_runs", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("source", sa.String(128), nullable=False, index=True),
    sa.Column("trigger", sa.String(16), nullable=False),  # manual | due | serve
    sa.Column("status", sa.String(16), nullable=False),  # running | ok | failed | interrupted
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("dataset", sa.String(128), nullable=True),
    sa.Column("version", sa.Integer, nullable=True),
    sa.Column("rows_read", sa.BigInteger, nullable=False, default=0),
    sa.Column("rows_loaded", sa.BigInteger, nullable=False, default=0),
    sa.Column("rows_rejected", sa.BigInteger, nullable=False, default=0),
    sa.Column("files", sa.Integer, nullable=False, default=0),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("owner", sa.String(200), nullable=True),
)

files = sa.Table(
    "collect_files", metadata,
    sa.Column("source", sa.String(128), primary_key=True),
    sa.Column("sha256", sa.String(64), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("dataset", sa.String(128), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
)

MIGRATIONS: list[MigrationStep] = [create_tables_step(metadata)]
