"""Catalog tables of the city stage (component ``city``): evaluations, per-group state, alerts, their
events, webhooks and the notification outbox. Created on first use through versioned migrations.

Why these keys: ``city_evaluations`` is unique on (sign, data key) so evaluating the same data twice —
also after a kill -9 half way — is a no-op; ``city_alerts`` allows one *open* alert per (sign, group)
(a partial unique index, on SQLite and PostgreSQL alike); ``city_outbox`` is unique on its idempotency
key, so an event is queued for a webhook once.
"""

from __future__ import annotations

import sqlalchemy as sa

from shucang.warehouse.catalog import as_utc, utc_now
from shucang.warehouse.migrations import MigrationStep, Schema, create_tables_step

COMPONENT = "city"
metadata = sa.MetaData()

evaluations = sa.Table(
    "city_evaluations", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sign", sa.String(64), nullable=False),
    sa.Column("data_key", sa.String(200), nullable=False),
    sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),  # ok | yellow | red | stale | error | no_data
    sa.Column("as_of", sa.String(40), nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("result", sa.JSON, nullable=False, default=dict),
    sa.UniqueConstraint("sign", "data_key", name="uq_city_evaluation"),
)

group_state = sa.Table(
    "city_group_state", metadata,
    sa.Column("sign", sa.String(64), primary_key=True),
    sa.Column("grp", sa.String(200), primary_key=True),
    sa.Column("level", sa.String(8), nullable=False),
    # level of the latest reading (ok | yellow | red); streak: consecutive readings towards a transition;
    # value: the reading when level or streak last changed. A group quietly ok (streak 0, no open alert)
    # has no row: it acts exactly as one never seen (see lifecycle.Ledger.apply)
    sa.Column("streak", sa.Integer, nullable=False, default=0),
    sa.Column("value", sa.Float, nullable=True),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

alerts = sa.Table(
    "city_alerts", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sign", sa.String(64), nullable=False),
    sa.Column("grp", sa.String(200), nullable=False),
    sa.Column("level", sa.String(8), nullable=False),  # yellow | red
    sa.Column("value", sa.Float, nullable=True),
    sa.Column("status", sa.String(12), nullable=False),  # open | recovered | closed
    sa.Column("department", sa.String(64), nullable=True),
    sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("acknowledged_by", sa.String(128), nullable=True),
    sa.Column("dispatched_to", sa.String(64), nullable=True),
    sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("deadline", sa.DateTime(timezone=True), nullable=True),
    sa.Column("handling", sa.Text, nullable=True),
    sa.Column("recovered_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("closed_by", sa.String(128), nullable=True),
    sa.Column("data_key", sa.String(200), nullable=True),
    sa.Index("uq_city_open_alert", "sign", "grp", unique=True,
             sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'")),
)

alert_events = sa.Table(
    "city_alert_events", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("alert_id", sa.Integer, sa.ForeignKey("city_alerts.id"), nullable=False, index=True),
    sa.Column("kind", sa.String(16), nullable=False),
    # kind: opened | escalated | recovered | acknowledged | dispatched | handled | closed
    sa.Column("actor", sa.String(128), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("level", sa.String(8), nullable=True),
    sa.Column("value", sa.Float, nullable=True),
    sa.Column("note", sa.Text, nullable=False, default=""),
    sa.Column("detail", sa.JSON, nullable=False, default=dict),
)

webhooks = sa.Table(
    "city_webhooks", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("department", sa.String(64), nullable=True),
    # department None: every alert; else alerts of signs owned by, or dispatched to, this department
    sa.Column("active", sa.Boolean, nullable=False, default=True),
    sa.Column("created_by", sa.String(128), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

outbox = sa.Table(
    "city_outbox", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("event_id", sa.Integer, sa.ForeignKey("city_alert_events.id"), nullable=False),
    sa.Column("webhook_id", sa.Integer, sa.ForeignKey("city_webhooks.id"), nullable=False),
    sa.Column("key", sa.String(80), nullable=False, unique=True),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("status", sa.String(12), nullable=False),  # pending | delivered | failed
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

MIGRATIONS: list[MigrationStep] = [create_tables_step(metadata)]

SCHEMA = Schema(COMPONENT, MIGRATIONS)
ensure_tables = SCHEMA.ensure
"""Create or migrate the tables once per engine; returns the engine for chaining."""


now = utc_now
aware = as_utc
