"""Classification results in the catalog (component ``classify``): per dataset version, reviewable.

Every ingest is classified by the after-ingest hook (:func:`classify_after_ingest`) from a sample;
``shucang classify DATASET [--full]`` re-runs it. A steward's decision (:func:`override_column`) is
kept per dataset and column, not per version, so it survives re-ingest; it is applied whenever grades
are read (:func:`column_grades`, the call the protection and sharing stages make). When a column's
detected type changes between versions a drift warning is recorded for review. Sample values shown in
the catalog for columns graded L3+ are masked so the catalog itself does not leak what it protects.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import sqlalchemy as sa

from shucang.classify import grade as G
from shucang.classify.classifier import ColumnClassification, classify_table
from shucang.errors import InputError, NotFound
from shucang.warehouse.migrations import Schema, create_tables_step

if TYPE_CHECKING:
    from shucang.warehouse import IngestResult, Warehouse

log = logging.getLogger("shucang.classify")

COMPONENT = "classify"
SAMPLE_ROWS = 10_000
metadata = sa.MetaData()

results = sa.Table(
    "classify_results", metadata,
    sa.Column("dataset", sa.String(128), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("column", sa.String(256), primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("type", sa.String(64), nullable=True),
    sa.Column("level", sa.Integer, nullable=False),
    sa.Column("confidence", sa.Float, nullable=False),
    sa.Column("evidence", sa.JSON, nullable=False, default=dict),
    sa.Column("entity_counts", sa.JSON, nullable=True),
)
runs = sa.Table(
    "classify_runs", metadata,
    sa.Column("dataset", sa.String(128), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("level", sa.Integer, nullable=False),
    sa.Column("rows", sa.BigInteger, nullable=False),
    sa.Column("sampled_rows", sa.BigInteger, nullable=False),
    sa.Column("full", sa.Boolean, nullable=False),
    sa.Column("scheme", sa.String(64), nullable=False),
    sa.Column("context", sa.JSON, nullable=False, default=dict),
    sa.Column("classified_at", sa.DateTime(timezone=True), nullable=False),
)
overrides = sa.Table(
    "classify_overrides", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("dataset", sa.String(128), nullable=False, index=True),
    sa.Column("column", sa.String(256), nullable=False),
    sa.Column("type", sa.String(64), nullable=True),
    sa.Column("level", sa.Integer, nullable=False),
    sa.Column("who", sa.String(128), nullable=False),
    sa.Column("why", sa.Text, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, default=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
drift = sa.Table(
    "classify_drift", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("dataset", sa.String(128), nullable=False, index=True),
    sa.Column("column", sa.String(256), nullable=False),
    sa.Column("from_version", sa.Integer, nullable=False),
    sa.Column("to_version", sa.Integer, nullable=False),
    sa.Column("old_type", sa.String(64), nullable=True),
    sa.Column("new_type", sa.String(64), nullable=True),
    sa.Column("old_level", sa.Integer, nullable=False),
    sa.Column("new_level", sa.Integer, nullable=False),
    sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
)

SCHEMA = Schema(COMPONENT, [create_tables_step(metadata)])


def ensure_tables(wh: Warehouse) -> None:
    """Create or migrate this stage's catalog tables (once per engine and process)."""
    SCHEMA.ensure(wh.engine)


@dataclass(frozen=True)
class ColumnGrade:
    """What the protection and sharing stages need of a column (steward overrides applied)."""

    type: str | None
    level: int
    confidence: float
    overridden: bool = False


@dataclass
class DatasetClassification:
    """A dataset version's classification as stored, with steward overrides applied."""

    dataset: str
    version: int
    level: int
    rows: int
    sampled_rows: int
    full: bool
    scheme: str
    columns: list[dict[str, Any]]
    context: dict[str, Any] = field(default_factory=dict)
    drift: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "version": self.version, "level": self.level, "rows": self.rows,
                "sampled_rows": self.sampled_rows, "full": self.full, "scheme": self.scheme,
                "context": self.context, "columns": self.columns, "drift": self.drift}


def _now() -> datetime:
    return datetime.now(UTC)


def _read_for_classification(wh: Warehouse, dataset: str, version: int, full: bool) -> tuple[pa.Table, int]:
    """The whole version (``full``) or an evenly spaced sample of it, and its row count."""
    import pyarrow.dataset as pads

    ds = wh.arrow_dataset(dataset, version)
    n = ds.count_rows()
    if full or n <= SAMPLE_ROWS:
        return ds.to_table(), n
    # Runs from evenly spaced row groups: only those groups are decoded, not the whole version.
    groups = [(frag, rg.id) for frag in ds.get_fragments() for rg in frag.row_groups]
    if len(groups) >= 4:
        # Each row group read costs a whole column-chunk decode: four spread groups are plenty.
        picked = [groups[int(i)] for i in np.linspace(0, len(groups) - 1, num=min(len(groups), 4))]
        per_group = -(-SAMPLE_ROWS // len(picked))
        parts = [pads.Scanner.from_fragment(frag.subset(row_group_ids=[rg]), schema=ds.schema).head(per_group)
                 for frag, rg in picked]
        return pa.concat_tables(parts), n
    idx = np.linspace(0, n - 1, num=SAMPLE_ROWS).astype(np.int64)
    return ds.take(pa.array(idx)), n


def _mask_example(value: str) -> str:
    """A shown example of a sensitive column: first and last character kept, the rest starred."""
    v = str(value)
    if len(v) <= 2:
        return v[:1] + "*" * (len(v) - 1)
    keep = 1 if len(v) < 8 else 3
    return v[:keep] + "*" * (len(v) - 2 * keep) + v[-keep:]


def _mask_catalog_examples(wh: Warehouse, dataset: str, version: int, cols: list[ColumnClassification]) -> None:
    sensitive = {c.name for c in cols if c.level >= 3}
    if not sensitive or not hasattr(wh, "set_column_examples"):
        return
    masked: dict[str, list[str]] = {}
    for info in wh.columns(dataset, version):
        if info.name in sensitive and info.examples:
            masked[info.name] = [_mask_example(e) for e in info.examples]
    if masked:
        wh.set_column_examples(dataset, version, masked)


def _active_overrides(conn: sa.Connection, dataset: str) -> dict[str, Any]:
    o = overrides
    rows = conn.execute(sa.select(o).where((o.c.dataset == dataset) & o.c.active).order_by(o.c.id)).all()
    return {r.column: r for r in rows}


def classify_dataset(wh: Warehouse, dataset: str, *, full: bool = False, version: int | None = None,
                     scheme: str | None = None, sample: pa.Table | None = None, engine: str = "local",
                     spark_master: str | None = None) -> DatasetClassification:
    """(Re)classify a stored dataset version, save the result in the catalog and return it.

    ``sample``: rows of that version already in memory (the ingest's spread sample), used
    instead of reading the stored version when not ``full``. ``engine="spark"``: a full scan whose
    per-batch work runs on the Spark session at ``spark_master`` (:mod:`shucang.classify.scaleout`).
    """
    from shucang.warehouse.scaleout import check_engine

    ensure_tables(wh)
    info = wh.dataset(dataset)
    v = info.current_version if version is None else version
    if v is None:
        raise NotFound(f"数据集 {dataset} 还没有数据 (no version yet)", hint="ingest a file first")
    if check_engine(engine) == "spark":
        from shucang.classify.scaleout import classify_on_spark
        from shucang.warehouse.scaleout import spark_session

        result = classify_on_spark(wh, spark_session(spark_master), dataset, v, scheme=G.scheme_named(scheme))
        rows = result.rows
    else:
        if sample is not None and not full:
            table, rows = sample, max(info.row_count, sample.num_rows)
        else:
            table, rows = _read_for_classification(wh, dataset, v, full)
        result = classify_table(table, sample_rows=None, full=full, scheme=G.scheme_named(scheme))
    result.full = full or result.full or result.sampled_rows >= rows
    now = _now()
    with wh.engine.begin() as conn:
        conn.execute(results.delete().where((results.c.dataset == dataset) & (results.c.version == v)))
        conn.execute(runs.delete().where((runs.c.dataset == dataset) & (runs.c.version == v)))
        if result.columns:
            conn.execute(results.insert(), [
                {"dataset": dataset, "version": v, "column": c.name, "position": i, "type": c.type,
                 "level": c.level, "confidence": c.confidence, "evidence": c.evidence,
                 "entity_counts": c.entity_counts} for i, c in enumerate(result.columns)])
        conn.execute(runs.insert().values(dataset=dataset, version=v, level=result.level, rows=rows,
                                          sampled_rows=result.sampled_rows, full=result.full,
                                          scheme=result.scheme, context=result.context, classified_at=now))
        _record_drift(conn, dataset, v, result.columns, now)
    try:
        _mask_catalog_examples(wh, dataset, v, result.columns)
    except Exception as exc:  # noqa: BLE001 — examples are cosmetic; the grades are stored
        log.warning("could not mask catalog examples of %s: %s", dataset, exc)
    found = stored_classification(wh, dataset, v)
    assert found is not None
    return found


def _record_drift(conn: sa.Connection, dataset: str, version: int, cols: list[ColumnClassification],
                  now: datetime) -> None:
    prev = conn.execute(sa.select(sa.func.max(results.c.version)).where(
        (results.c.dataset == dataset) & (results.c.version < version))).scalar()
    if prev is None:
        return
    old = {r.column: r for r in conn.execute(sa.select(results).where(
        (results.c.dataset == dataset) & (results.c.version == prev))).all()}
    conn.execute(drift.delete().where((drift.c.dataset == dataset) & (drift.c.to_version == version)))
    changed = [{"dataset": dataset, "column": c.name, "from_version": prev, "to_version": version,
                "old_type": old[c.name].type, "new_type": c.type, "old_level": old[c.name].level,
                "new_level": c.level, "detected_at": now}
               for c in cols if c.name in old and old[c.name].type != c.type]
    if changed:
        conn.execute(drift.insert(), changed)


def classify_after_ingest(wh: Warehouse, result: IngestResult) -> None:
    """Hook run after every ingest: classify the new version from a sample.

    A large replacing ingest brings its own spread sample; an append is sampled from storage,
    so the old rows count too, and a small one is classified whole — from memory when the ingest's
    rows are the whole version (a replace, or a first version) and were all kept, so that a small
    file is not read back from the table it was just written to.
    """
    sample = result.sample
    own = None
    if sample is not None and result.mode == "replace" and result.rows_loaded > SAMPLE_ROWS:
        own = sample
    elif (sample is not None and result.mode != "merge" and result.row_count == result.rows_loaded
          and sample.num_rows == result.rows_loaded):
        own = sample
    classify_dataset(wh, result.dataset, version=result.version, sample=own)


def stored_classification(wh: Warehouse, dataset: str, version: int | None = None
                          ) -> DatasetClassification | None:
    """The stored classification of a version (default: the latest classified), overrides applied."""
    ensure_tables(wh)
    r, ru = results, runs
    with wh.engine.connect() as conn:
        v = version
        if v is None:
            v = conn.execute(sa.select(sa.func.max(ru.c.version)).where(ru.c.dataset == dataset)).scalar()
            if v is None:
                return None
        run = conn.execute(sa.select(ru).where((ru.c.dataset == dataset) & (ru.c.version == v))).first()
        if run is None:
            return None
        rows = conn.execute(sa.select(r).where((r.c.dataset == dataset) & (r.c.version == v))
                            .order_by(r.c.position)).all()
        ovr = _active_overrides(conn, dataset)
    cols: list[dict[str, Any]] = []
    for row in rows:
        col = {"name": row.column, "type": row.type, "level": row.level, "confidence": row.confidence,
               "evidence": row.evidence or {}}
        if row.type:
            col["type_name"] = G.TYPE_NAMES_ZH.get(row.type, row.type)
        if row.entity_counts:
            col["entity_counts"] = row.entity_counts
        o = ovr.get(row.column)
        if o is not None:
            col["detected"] = {"type": row.type, "level": row.level}
            col.update(type=o.type, level=o.level, confidence=1.0, overridden=True,
                       review={"who": o.who, "why": o.why, "at": o.created_at.isoformat()
                               if hasattr(o.created_at, "isoformat") else str(o.created_at)})
            col["type_name"] = G.TYPE_NAMES_ZH.get(o.type, o.type) if o.type else None
        else:
            col["overridden"] = False
        cols.append(col)
    return DatasetClassification(dataset=dataset, version=int(v), level=G.dataset_level([c["level"] for c in cols]),
                                 rows=run.rows, sampled_rows=run.sampled_rows, full=run.full, scheme=run.scheme,
                                 columns=cols, context=run.context or {}, drift=drift_warnings(wh, dataset))


def column_grades(wh: Warehouse, dataset: str, version: int | None = None) -> dict[str, ColumnGrade]:
    """``{column: ColumnGrade}`` of a version (default: latest classified), overrides applied.

    One catalog query. A dataset never classified yet is classified now (from a sample).
    """
    ensure_tables(wh)
    r, o = results, overrides
    latest = sa.select(sa.func.max(r.c.version)).where(r.c.dataset == dataset).scalar_subquery()
    wanted = latest if version is None else sa.literal(version)
    query = (sa.select(r.c.column, r.c.type, r.c.level, r.c.confidence, o.c.type.label("o_type"),
                       o.c.level.label("o_level"), o.c.id.label("o_id"))
             .select_from(r.outerjoin(o, (o.c.dataset == r.c.dataset) & (o.c.column == r.c.column) & o.c.active))
             .where((r.c.dataset == dataset) & (r.c.version == wanted)).order_by(r.c.position, o.c.id))
    with wh.engine.connect() as conn:
        rows = conn.execute(query).all()
    if not rows:
        classify_dataset(wh, dataset, version=version)
        with wh.engine.connect() as conn:
            rows = conn.execute(query).all()
    out: dict[str, ColumnGrade] = {}
    for row in rows:  # ordered by override id: the newest active override is applied last
        if row.o_id is not None:
            out[row.column] = ColumnGrade(row.o_type, int(row.o_level), 1.0, True)
        else:
            out[row.column] = ColumnGrade(row.type, int(row.level), float(row.confidence), False)
    return out


def override_column(wh: Warehouse, dataset: str, column: str, *, type: str | None, level: int | None,
                    who: str, why: str) -> None:
    """Record a steward's decision on a column (kept across versions; the newest one applies).

    ``type`` is the column's type from now on (None: not sensitive); ``level`` defaults to the type's
    default level. To confirm a detection, pass the detected type and level.
    """
    ensure_tables(wh)
    if type is not None and type not in G.TYPE_LEVELS:
        raise InputError(f"未知的类型 (unknown type) {type!r}", hint="one of: " + ", ".join(sorted(G.TYPE_LEVELS)))
    if level is not None and level not in (1, 2, 3, 4):
        raise InputError(f"级别必须是 1–4 (level must be 1–4): {level}")
    if not why or not why.strip():
        raise InputError("请说明理由 (a reason is required)", hint='--why "…"')
    if not who or not who.strip():
        raise InputError("请说明是谁 (who is required)")
    info = wh.dataset(dataset)
    names = [c.name for c in wh.columns(dataset)] if info.current_version is not None else []
    if column not in names:
        raise NotFound(f"数据集 {dataset} 没有列 {column!r} (no such column)",
                       hint="columns: " + ", ".join(names[:30]))
    new_type = type
    new_level = level if level is not None else G.default_level(new_type)
    with wh.engine.begin() as conn:
        conn.execute(overrides.update().where((overrides.c.dataset == dataset) & (overrides.c.column == column)
                                              & overrides.c.active).values(active=False))
        conn.execute(overrides.insert().values(dataset=dataset, column=column, type=new_type, level=new_level,
                                               who=who.strip(), why=why.strip(), active=True, created_at=_now()))


def clear_override(wh: Warehouse, dataset: str, column: str) -> bool:
    """Withdraw the steward's decision on a column (detection applies again). True if one was active."""
    ensure_tables(wh)
    with wh.engine.begin() as conn:
        res = conn.execute(overrides.update().where((overrides.c.dataset == dataset) & (overrides.c.column == column)
                                                    & overrides.c.active).values(active=False))
    return bool(res.rowcount)


def review_history(wh: Warehouse, dataset: str) -> list[dict[str, Any]]:
    """Every steward decision on a dataset, oldest first (who, why, when, active)."""
    ensure_tables(wh)
    with wh.engine.connect() as conn:
        rows = conn.execute(sa.select(overrides).where(overrides.c.dataset == dataset)
                            .order_by(overrides.c.id)).all()
    return [{"column": r.column, "type": r.type, "level": r.level, "who": r.who, "why": r.why,
             "active": r.active, "at": r.created_at.isoformat() if hasattr(r.created_at, "isoformat")
             else str(r.created_at)} for r in rows]


def drift_warnings(wh: Warehouse, dataset: str) -> list[dict[str, Any]]:
    """Columns whose detected type changed between classified versions, newest first."""
    ensure_tables(wh)
    with wh.engine.connect() as conn:
        rows = conn.execute(sa.select(drift).where(drift.c.dataset == dataset)
                            .order_by(drift.c.to_version.desc(), drift.c.id)).all()
    return [{"dataset": r.dataset, "column": r.column, "from_version": r.from_version,
             "to_version": r.to_version, "old_type": r.old_type, "new_type": r.new_type,
             "old_level": r.old_level, "new_level": r.new_level,
             "message": f"列 {r.column} 的类型从 {r.old_type or '无'} 变为 {r.new_type or '无'} "
                        f"(v{r.from_version} → v{r.to_version})，请复核 (type changed; please review)"}
            for r in rows]
