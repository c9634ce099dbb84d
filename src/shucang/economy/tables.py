"""Catalog tables of the economy stage (component ``economy``): role bindings and watch alerts.

A binding says which column of a dataset plays which role in a monthly report (enterprise, period,
measure …), so later figures never depend on guessing headers again. Alerts are the results of the
last watch run per dataset, kept with the figures behind them so a reader can check each one.
"""

from __future__ import annotations

import sqlalchemy as sa

from shucang.warehouse.migrations import MigrationStep, Schema, create_tables_step

COMPONENT = "economy"
metadata = sa.MetaData()

bindings = sa.Table(
    "economy_bindings", metadata,
    sa.Column("dataset", sa.String(128), primary_key=True),
    sa.Column("column", sa.String(300), primary_key=True),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("measure", sa.String(64), nullable=True),  # canonical measure key (output, sales …) when known
    sa.Column("origin", sa.String(16), nullable=False),  # header | map
    sa.Column("version", sa.Integer, nullable=True),  # dataset version the binding was made on
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

alerts = sa.Table(
    "economy_alerts", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("dataset", sa.String(128), nullable=False, index=True),
    sa.Column("version", sa.Integer, nullable=True),
    sa.Column("rule", sa.String(64), nullable=False),
    sa.Column("severity", sa.String(16), nullable=False),
    sa.Column("subject_kind", sa.String(16), nullable=False),  # enterprise | chain
    sa.Column("subject", sa.String(300), nullable=False),
    sa.Column("subject_name", sa.String(300), nullable=True),
    sa.Column("period", sa.String(7), nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("evidence", sa.JSON, nullable=False, default=dict),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

periods = sa.Table(
    "economy_periods", metadata,
    # The month each distinct period text of a dataset version means ('2025-06', '202506', '2025年6月' → 202506),
    # so a query filters months with a join on the text instead of parsing every row.
    sa.Column("dataset", sa.String(128), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("raw", sa.String(64), primary_key=True),
    sa.Column("ym", sa.Integer, nullable=True),
)

MIGRATIONS: list[MigrationStep] = [create_tables_step(metadata, "economy_bindings", "economy_alerts"),
                                   create_tables_step(metadata, "economy_periods")]
SCHEMA = Schema(COMPONENT, MIGRATIONS)
ensure_tables = SCHEMA.ensure
"""Create or migrate the economy tables (once per engine and process: not by ``id()``, which a new engine
may reuse)."""
