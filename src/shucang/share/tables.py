"""Catalog tables of the share stage (component ``share``): users, sessions, tokens, requests, grants,
the audit chain and open-data releases. Created on first use through versioned migrations.
"""

from __future__ import annotations

import sqlalchemy as sa

from shucang.warehouse.catalog import as_utc, utc_now
from shucang.warehouse.migrations import MigrationStep, Schema, create_tables_step

COMPONENT = "share"
metadata = sa.MetaData()

users = sa.Table(
    "share_users", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(64), nullable=False, unique=True),
    sa.Column("display_name", sa.String(200), nullable=False, default=""),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False, default="person"),  # person | app
    sa.Column("department", sa.String(64), nullable=True),
    sa.Column("clearance", sa.Integer, nullable=False, default=1),
    sa.Column("password_hash", sa.String(200), nullable=True),
    sa.Column("disabled", sa.Boolean, nullable=False, default=False),
    sa.Column("failed_logins", sa.Integer, nullable=False, default=0),
    sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

sessions = sa.Table(
    "share_sessions", metadata,
    sa.Column("id_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("share_users.id"), nullable=False),
    sa.Column("csrf", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
)

tokens = sa.Table(
    "share_tokens", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("share_users.id"), nullable=False),
    sa.Column("label", sa.String(200), nullable=False, default=""),
    sa.Column("secret_hash", sa.String(64), nullable=False),
    sa.Column("prefix", sa.String(32), nullable=False),
    sa.Column("rate_per_minute", sa.Integer, nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
)

requests = sa.Table(
    "share_requests", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("share_users.id"), nullable=False),
    sa.Column("dataset", sa.String(128), nullable=False),
    sa.Column("department", sa.String(64), nullable=True),
    sa.Column("purpose", sa.Text, nullable=False),
    sa.Column("columns", sa.JSON, nullable=False),
    sa.Column("row_filter", sa.JSON, nullable=True),
    sa.Column("max_level", sa.Integer, nullable=False),
    sa.Column("duration_days", sa.Integer, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # pending | approved | rejected | withdrawn
    sa.Column("decided_by", sa.String(64), nullable=True),
    sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("reason", sa.Text, nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

grants = sa.Table(
    "share_grants", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("request_id", sa.Integer, sa.ForeignKey("share_requests.id"), nullable=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("share_users.id"), nullable=False),
    sa.Column("dataset", sa.String(128), nullable=False),
    sa.Column("department", sa.String(64), nullable=True),
    sa.Column("columns", sa.JSON, nullable=False),
    sa.Column("max_level", sa.Integer, nullable=False),
    sa.Column("row_filter", sa.JSON, nullable=True),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("revoked_by", sa.String(64), nullable=True),
    sa.Column("revoke_reason", sa.Text, nullable=True),
    sa.Index("ix_share_grants_user_dataset", "user_id", "dataset"),
)

audit = sa.Table(
    "share_audit", metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("at", sa.String(40), nullable=False),  # ISO text: hashed exactly as stored
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("outcome", sa.String(16), nullable=False),  # ok | denied | failed | error
    sa.Column("dataset", sa.String(128), nullable=True),
    sa.Column("department", sa.String(64), nullable=True),
    sa.Column("body", sa.Text, nullable=False),  # canonical JSON of the whole entry (what is hashed)
    sa.Column("prev_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Index("ix_share_audit_dataset", "dataset"),
    sa.Index("ix_share_audit_actor", "actor"),
)

open_releases = sa.Table(
    "share_open_releases", metadata,
    sa.Column("dataset", sa.String(128), primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("columns", sa.JSON, nullable=False),
    sa.Column("quasi_identifiers", sa.JSON, nullable=False),
    sa.Column("k", sa.Integer, nullable=False),
    sa.Column("k_min", sa.Integer, nullable=True),
    sa.Column("published_by", sa.String(64), nullable=False),
    sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
)

audit_anchor = sa.Table(
    "share_audit_anchor", metadata,  # the chain head kept beside the entries (and in audit.head)
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Column("entries", sa.Integer, nullable=False),
)

MIGRATIONS: list[MigrationStep] = [create_tables_step(metadata), create_tables_step(metadata, "share_audit_anchor")]

SCHEMA = Schema(COMPONENT, MIGRATIONS)
ensure_tables = SCHEMA.ensure
"""Create or migrate the tables once per engine; returns the engine for chaining."""


now = utc_now
aware = as_utc
