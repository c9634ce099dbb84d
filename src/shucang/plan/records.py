"""Catalog tables of the plan's lifecycle (component ``plan-lifecycle``): closures, revisions, computed
shadows of hand-entered values, the project register of the 专栏 and departments' lag explanations.

Kept apart from :mod:`shucang.plan.store` (values and their audit) so each stays small; both are
SQLAlchemy Core tables created by numbered migrations, so SQLite and PostgreSQL catalogs agree.
"""

from __future__ import annotations

import sqlalchemy as sa

from shucang.warehouse.catalog import as_utc, utc_now
from shucang.warehouse.migrations import Schema, create_tables_step

COMPONENT = "plan-lifecycle"
metadata = sa.MetaData()

plan_closures = sa.Table(
    "plan_closures", metadata,
    sa.Column("plan_id", sa.String(64), primary_key=True),
    sa.Column("closed_by", sa.String(128), nullable=False),
    sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("note", sa.Text, nullable=False, default=""),
    sa.Column("snapshot", sa.JSON, nullable=False),  # statuses, values with lineage, metric versions
)

plan_revisions = sa.Table(
    "plan_revisions", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("plan_id", sa.String(64), nullable=False),
    sa.Column("indicator_id", sa.String(64), nullable=False),
    sa.Column("period", sa.String(16), nullable=False),
    sa.Column("frozen_value", sa.Float, nullable=True),
    sa.Column("old_value", sa.Float, nullable=True),
    sa.Column("new_value", sa.Float, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("actor", sa.String(128), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("audit_seq", sa.Integer, nullable=True),  # the share stage's audit-chain entry
)
sa.Index("ix_plan_revisions_plan", plan_revisions.c.plan_id, plan_revisions.c.indicator_id)

plan_computed = sa.Table(  # what the metric computed where a hand-entered value was kept
    "plan_computed", metadata,
    sa.Column("plan_id", sa.String(64), primary_key=True),
    sa.Column("indicator_id", sa.String(64), primary_key=True),
    sa.Column("period", sa.String(16), primary_key=True),
    sa.Column("value", sa.Float, nullable=False),
    sa.Column("metric_id", sa.String(64), nullable=False),
    sa.Column("lineage", sa.JSON, nullable=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
)

plan_items = sa.Table(  # the project register: one row per 专栏 item
    "plan_items", metadata,
    sa.Column("plan_id", sa.String(64), primary_key=True),
    sa.Column("project_id", sa.String(64), primary_key=True),
    sa.Column("item", sa.String(200), primary_key=True),
    sa.Column("unit", sa.String(200), nullable=False, default=""),  # 责任单位
    sa.Column("start", sa.Date, nullable=True),
    sa.Column("end", sa.Date, nullable=True),
    sa.Column("planned_investment", sa.Float, nullable=True),  # 万元
    sa.Column("actual_investment", sa.Float, nullable=True),
    sa.Column("progress", sa.Float, nullable=True),  # 0–100
    sa.Column("status", sa.String(16), nullable=False),  # not_started | in_progress | done | lagging
    sa.Column("evidence_text", sa.Text, nullable=False, default=""),
    sa.Column("evidence_link", sa.String(500), nullable=False, default=""),
    sa.Column("evidence_file", sa.String(300), nullable=False, default=""),
    sa.Column("updated_by", sa.String(128), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

plan_item_milestones = sa.Table(
    "plan_item_milestones", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("plan_id", sa.String(64), nullable=False),
    sa.Column("project_id", sa.String(64), nullable=False),
    sa.Column("item", sa.String(200), nullable=False),
    sa.Column("due", sa.Date, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("done", sa.Date, nullable=True),
)
sa.Index("ix_plan_item_milestones", plan_item_milestones.c.plan_id, plan_item_milestones.c.project_id)

plan_lag_notes = sa.Table(  # 滞后原因与下一步措施, written by the responsible department
    "plan_lag_notes", metadata,
    sa.Column("plan_id", sa.String(64), primary_key=True),
    sa.Column("indicator_id", sa.String(64), primary_key=True),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("next_steps", sa.Text, nullable=False, default=""),
    sa.Column("actor", sa.String(128), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
)

MIGRATIONS = [create_tables_step(metadata)]
SCHEMA = Schema(COMPONENT, MIGRATIONS)


def ensure_lifecycle_schema(engine: sa.Engine) -> None:
    """Create or migrate the lifecycle tables once per engine."""
    SCHEMA.ensure(engine)


now = utc_now
aware = as_utc
