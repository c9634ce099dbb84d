"""Catalog tables of the protect stage (component ``protect``): recipients, extracts, masking rules.

Secrets are never stored here: the extract registry keeps only the *id* of the key an extract was
made with (see :mod:`shucang.protect.keys`).
"""

from __future__ import annotations

import sqlalchemy as sa

from shucang.warehouse.migrations import MigrationStep, Schema, create_tables_step

COMPONENT = "protect"
metadata = sa.MetaData()

recipients = sa.Table(
    "protect_recipients", metadata,
    sa.Column("id", sa.Integer, primary_key=True),  # also the slot carried in pseudonym codes
    sa.Column("name", sa.String(128), nullable=False, unique=True),
    sa.Column("department", sa.String(64), nullable=True),
    sa.Column("clearance", sa.Integer, nullable=False, default=1),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("disabled", sa.Boolean, nullable=False, default=False),
)

extracts = sa.Table(
    "protect_extracts", metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("recipient_id", sa.Integer, sa.ForeignKey("protect_recipients.id"), nullable=False),
    sa.Column("recipient", sa.String(128), nullable=False),
    sa.Column("dataset", sa.String(128), nullable=False, index=True),
    sa.Column("version", sa.Integer, nullable=True),
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("clearance", sa.Integer, nullable=False),
    sa.Column("columns", sa.JSON, nullable=False, default=list),  # output column names (= source names)
    sa.Column("masked", sa.JSON, nullable=False, default=dict),  # column -> strategy
    sa.Column("dropped", sa.JSON, nullable=False, default=list),
    sa.Column("marks", sa.JSON, nullable=False, default=dict),  # numeric columns marked, window, tolerance
    sa.Column("rows", sa.BigInteger, nullable=False, default=0),
    sa.Column("policy", sa.JSON, nullable=False, default=dict),
    sa.Column("key_id", sa.String(64), nullable=False),
    sa.Column("filter", sa.Text, nullable=True),
    sa.Column("format", sa.String(16), nullable=True),
    sa.Column("path", sa.Text, nullable=True),
    sa.Column("file_sha256", sa.String(64), nullable=True),
    sa.Column("created_by", sa.String(128), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

rules = sa.Table(
    "protect_rules", metadata,
    sa.Column("dataset", sa.String(128), primary_key=True),  # "*" = every dataset
    sa.Column("column", sa.String(300), primary_key=True),
    sa.Column("strategy", sa.String(32), nullable=False),
    sa.Column("params", sa.JSON, nullable=False, default=dict),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

decoy_sets = sa.Table(
    "protect_decoy_sets", metadata,
    # One row per extract with registered decoy cells; the layout is explained in shucang.protect.decoy_store.
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),  # the small number its pages carry
    sa.Column("extract_id", sa.String(40), nullable=False, unique=True),
    sa.Column("cells", sa.Integer, nullable=False),
    sa.Column("columns", sa.JSON, nullable=False, default=list),  # column number -> released column name
    sa.Column("prefixes", sa.LargeBinary, nullable=False),  # every cell's 64-bit digest prefix, big-endian, sorted
    sa.Column("components", sa.JSON, nullable=False, default=list),  # number -> {column/component: bits}
    sqlite_autoincrement=True,  # ids never reused: a process's kept prefixes name sets by id
)

decoy_pages = sa.Table(
    "protect_decoy_pages", metadata,
    # An extract's decoy cells in digest order, PAGE_CELLS to a row: keyed digests of values, never values.
    # id = set id · 2^24 + page number (one integer key: a lookup is one IN list over the primary key).
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=False),
    sa.Column("cells", sa.LargeBinary, nullable=False),  # packed records (shucang.protect.decoy_store.CELL)
)

legacy_metadata = sa.MetaData()
legacy_decoys = sa.Table(
    "protect_decoys", legacy_metadata,
    # The registry before schema step 3: one rowid row per decoy cell, hex digest, JSON per row. Kept
    # only so that step 2 still builds it and step 3 can carry its rows over (shucang.protect.decoy_store).
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("extract_id", sa.String(40), nullable=False, index=True),
    sa.Column("decoy", sa.Integer, nullable=False),
    sa.Column("column", sa.String(300), nullable=False),
    sa.Column("digest", sa.String(32), nullable=False, index=True),
    sa.Column("key_id", sa.String(64), nullable=False),
    sa.Column("components", sa.JSON, nullable=False, default=dict),
)


def _compact_decoys(conn: sa.Connection) -> None:
    """Step 3: the compact decoy registry; rows of the old ``protect_decoys`` are carried over, then it goes."""
    from shucang.protect.decoy_store import carry_over  # it writes through these tables: imported when run

    metadata.create_all(conn, tables=[decoy_sets, decoy_pages])
    carry_over(conn)


MIGRATIONS: list[MigrationStep] = [create_tables_step(metadata, "protect_recipients", "protect_extracts",
                                                      "protect_rules"),
                                   create_tables_step(legacy_metadata, "protect_decoys"),
                                   _compact_decoys]
SCHEMA = Schema(COMPONENT, MIGRATIONS)
ensure_tables = SCHEMA.ensure
"""Create or migrate the protect tables (once per engine and process)."""
