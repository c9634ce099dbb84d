"""The Warehouse: versioned Delta tables indexed by the catalog; the object every front end holds.

An ingest is: read the source in Arrow batches (``shucang.ingest``) → one Delta commit → one
catalog transaction that makes the new version visible. A crash anywhere before that transaction
leaves the previous version visible; leftovers are undone before the next write of the dataset and
by ``shucang check --repair``.
"""

from __future__ import annotations

import dataclasses
import itertools
import queue
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import sqlalchemy as sa

from shucang.errors import InputError, NotFound
from shucang.ingest import Chunk, ReadOptions, open_source
from shucang.ingest.header import unsafe_name
from shucang.ingest.infer import ColumnProfiler
from shucang.ingest.textstream import prefetch
from shucang.settings import Settings
from shucang.warehouse import catalog as cat
from shucang.warehouse import tables
from shucang.warehouse.engine import create_catalog_engine
from shucang.warehouse.location import TableLocation, table_root
from shucang.warehouse.migrations import ensure_schema
from shucang.warehouse.models import (
    DATASET_NAME,
    ColumnInfo,
    DatasetInfo,
    IngestOptions,
    IngestResult,
    VersionInfo,
    check_dataset_name,
)
from shucang.warehouse.rejects import RejectStore
from shucang.warehouse.sample import SpreadSample
from shucang.warehouse.schema_diff import diff_columns

AfterIngest = Callable[["Warehouse", IngestResult], None]
InCommit = Callable[[sa.Connection, IngestResult], None]
"""Extra catalog writes that must commit in the same transaction as the version (e.g. a source's
watermark): called inside that transaction, after the version row and before it commits."""
Progress = Callable[[int, int], None]
"""Called with (bytes done, bytes total) while a source is read."""

if TYPE_CHECKING:
    import duckdb
    import pyarrow.dataset as pads  # imports pandas (~0.5 s): only where a table is read


def _now() -> datetime:
    return datetime.now(UTC)


class Warehouse:
    """A warehouse home: Delta tables + catalog. Open with :meth:`open`; close when done."""

    def __init__(self, settings: Settings, engine: sa.Engine, after_ingest: Sequence[AfterIngest] = ()) -> None:
        self.settings = settings
        self.engine = engine
        self.after_ingest = list(after_ingest)
        self.rejects = RejectStore(settings.rejects_dir)
        self.table_root = table_root(settings)
        self._lock = threading.Lock()
        self._tables: dict[tuple[str, int | None], pads.Dataset] = {}

    @classmethod
    def open(cls, settings: Settings, *, after_ingest: Sequence[AfterIngest] = ()) -> Warehouse:
        settings.home.mkdir(parents=True, exist_ok=True)
        for folder in (settings.tables_dir, settings.rejects_dir):
            folder.mkdir(exist_ok=True)
        engine = create_catalog_engine(settings)
        ensure_schema(engine, cat.COMPONENT, cat.MIGRATIONS)
        return cls(settings, engine, after_ingest)

    def close(self) -> None:
        self._tables.clear()
        self.engine.dispose()

    # ------------------------------------------------------------------ departments and datasets
    def ensure_department(self, code: str, name: str | None = None) -> int:
        """The id of department ``code``, creating it (named ``name`` or the code) on first use."""
        with self.engine.begin() as conn:
            row = conn.execute(sa.select(cat.departments.c.id, cat.departments.c.name)
                               .where(cat.departments.c.code == code)).first()
            if row:
                if name and row.name != name:
                    conn.execute(cat.departments.update().where(cat.departments.c.id == row.id).values(name=name))
                return int(row.id)
            return cat.inserted_id(conn.execute(cat.departments.insert().values(
                code=code, name=name or code, created_at=_now())))

    def _dataset_query(self) -> sa.Select[Any]:
        d, dep = cat.datasets, cat.departments
        return sa.select(d, dep.c.code.label("dep_code"), dep.c.name.label("dep_name")).select_from(
            d.outerjoin(dep, d.c.department_id == dep.c.id))

    @staticmethod
    def _info(row: Any) -> DatasetInfo:
        return DatasetInfo(
            id=row.id, name=row.name, title=row.title, department=row.dep_code, department_name=row.dep_name,
            description=row.description or "", source=row.source or "", cadence=row.cadence,
            primary_key=list(row.primary_key or []), not_null=list(row.not_null or []), topic=row.topic,
            is_open=bool(row.is_open), synthetic=bool(row.synthetic), current_version=row.current_version,
            row_count=int(row.row_count or 0), created_at=_aware(row.created_at), updated_at=_aware(row.updated_at),
        )

    def list_datasets(self, *, include_empty: bool = False) -> list[DatasetInfo]:
        """Datasets with at least one committed version (all, with ``include_empty``)."""
        stmt = self._dataset_query().order_by(cat.datasets.c.name)
        if not include_empty:
            stmt = stmt.where(cat.datasets.c.current_version.is_not(None))
        with self.engine.connect() as conn:
            return [self._info(r) for r in conn.execute(stmt)]

    def holds_synthetic_data(self) -> bool:
        """True when any dataset is generated demo data (every cockpit page then says so at the top)."""
        stmt = sa.select(cat.datasets.c.id).where(cat.datasets.c.synthetic.is_(True)).limit(1)
        with self.engine.connect() as conn:
            return conn.execute(stmt).first() is not None

    def dataset(self, name: str) -> DatasetInfo:
        row = None
        if DATASET_NAME.match(name):  # anything else cannot exist (and may not even be storable)
            with self.engine.connect() as conn:
                row = conn.execute(self._dataset_query().where(cat.datasets.c.name == name)).first()
        if row is None or row.current_version is None:
            known = ", ".join(d.name for d in self.list_datasets()[:20]) or "none yet"
            raise NotFound(f"没有名为 {name!r} 的数据集 (no dataset named {name!r})",
                           hint=f"known datasets: {known}")
        return self._info(row)

    def update_dataset(self, name: str, **fields: Any) -> DatasetInfo:
        """Change catalog metadata: title, description, cadence, topic, is_open, department, primary_key, not_null."""
        info = self.dataset(name)
        allowed = {"title", "description", "cadence", "topic", "is_open", "primary_key", "not_null", "source"}
        values: dict[str, Any] = {}
        for key, value in fields.items():
            if key == "department":
                values["department_id"] = self.ensure_department(value) if value else None
            elif key in allowed:
                values[key] = list(value) if key in ("primary_key", "not_null") else value
            else:
                raise InputError(f"不能修改字段 {key!r} (field cannot be changed)")
        if "cadence" in values and values["cadence"] is not None:
            IngestOptions(dataset=name, cadence=values["cadence"])  # validates
        values["updated_at"] = _now()
        with self.engine.begin() as conn:
            conn.execute(cat.datasets.update().where(cat.datasets.c.id == info.id).values(**values))
        return self.dataset(name)

    def versions(self, name: str) -> list[VersionInfo]:
        info = self.dataset(name)
        v = cat.dataset_versions
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(v).where((v.c.dataset_id == info.id) & (v.c.status == "committed"))
                                .order_by(v.c.version)).all()
        return [VersionInfo(r.version, r.delta_version, r.status, r.mode, r.source_path, r.source_format,
                            r.encoding, r.rows_read, r.rows_loaded, r.rows_rejected, r.row_count,
                            dict(r.schema_changes or {}), r.created_by, _aware(r.created_at)) for r in rows]

    def _version_row(self, name: str, version: int | None) -> tuple[DatasetInfo, Any]:
        info = self.dataset(name)
        wanted = info.current_version if version is None else version
        v = cat.dataset_versions
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(v).where((v.c.dataset_id == info.id) & (v.c.version == wanted)
                                                  & (v.c.status == "committed"))).first()
        if row is None:
            raise NotFound(f"数据集 {name} 没有版本 {wanted} (no version {wanted})",
                           hint=f"versions 1–{info.current_version}")
        return info, row

    def columns(self, name: str, version: int | None = None) -> list[ColumnInfo]:
        info, vrow = self._version_row(name, version)
        c = cat.columns
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(c).where((c.c.dataset_id == info.id) & (c.c.version == vrow.version))
                                .order_by(c.c.position)).all()
        return [ColumnInfo(r.name, r.position, r.storage_type, r.logical_type, r.null_share, r.distinct_estimate,
                           list(r.examples or []), bool(r.canonical), r.note or "") for r in rows]

    def set_column_examples(self, name: str, version: int, examples: dict[str, list[str]]) -> None:
        """Replace the shown examples of some columns (the classify stage masks sensitive ones)."""
        info = self.dataset(name)
        c = cat.columns
        with self.engine.begin() as conn:
            for column, values in examples.items():
                conn.execute(c.update().where((c.c.dataset_id == info.id) & (c.c.version == version)
                                              & (c.c.name == column)).values(examples=list(values)))

    # ------------------------------------------------------------------ reading
    def table_path(self, name: str) -> Path:
        """The table's directory in the home (where it lives unless ``SHUCANG_TABLES_URL`` says otherwise)."""
        return self.settings.tables_dir / check_dataset_name(name)

    def table_location(self, name: str) -> Path | TableLocation:
        """Where the dataset's Delta table really lives: its directory (``HOME/tables/NAME`` or under another
        local root), or its place in an object store (a :class:`TableLocation` with its storage options)."""
        loc = self.table_root.table(check_dataset_name(name))
        return loc.local if loc.local is not None else loc

    def arrow_dataset(self, name: str, version: int | None = None) -> pads.Dataset:
        """The dataset at ``version`` (default: current) as a lazily read Arrow dataset."""
        _info, vrow = self._version_row(name, version)
        key = (name, vrow.delta_version)
        with self._lock:
            found = self._tables.get(key)
            if found is None:
                found = tables.arrow_dataset(self.table_location(name), vrow.delta_version)
                self._tables[key] = found
        return found

    def read_arrow(self, name: str, version: int | None = None, columns: Sequence[str] | None = None) -> pa.Table:
        ds = self.arrow_dataset(name, version)
        if columns is not None:
            missing = [c for c in columns if c not in ds.schema.names]
            if missing:
                raise InputError(f"数据集 {name} 没有列 {', '.join(missing)} (no such column)",
                                 hint="columns: " + ", ".join(ds.schema.names))
        return ds.to_table(columns=list(columns) if columns is not None else None)

    def connect(self, versions: dict[str, int] | None = None,
                only: Sequence[str] | None = None) -> duckdb.DuckDBPyConnection:
        """A fresh in-memory DuckDB connection where every dataset (or ``only`` those) is a view named by
        its name. Run queries on it with :meth:`select_on` (the same read-only check as :meth:`sql`)."""
        from shucang.warehouse import query  # DuckDB loads only when SQL is asked for

        return query.connect(self, versions or {}, only)

    def sql(self, sql_text: str, params: Sequence[Any] | dict[str, Any] | None = None,
            versions: dict[str, int] | None = None, only: Sequence[str] | None = None) -> pa.Table:
        """Run one read-only SELECT over the datasets (``only``: just these); values only as bound parameters."""
        from shucang.warehouse import query

        return query.run_select(self, sql_text, params, versions or {}, only)

    @staticmethod
    def select_on(con: duckdb.DuckDBPyConnection, sql_text: str,
                  params: Sequence[Any] | dict[str, Any] | None = None) -> pa.Table:
        """One read-only SELECT on a connection from :meth:`connect` (many queries, one set-up)."""
        from shucang.warehouse import query

        return query.select_on(con, sql_text, params)

    # ------------------------------------------------------------------ writing
    def ingest(self, path: str | Path, options: IngestOptions, progress: Progress | None = None, *,
               source_label: str | None = None, in_commit: InCommit | None = None) -> IngestResult:
        """Load a file as the next version of ``options.dataset`` (see module docstring).

        ``source_label`` names where the file came from when that is not the file itself (an API);
        ``in_commit`` joins the version's catalog transaction (see :meth:`ingest_batches`).
        """
        source = open_source(path, sheet=options.sheet,
                             options=ReadOptions(encoding=options.encoding, delimiter=options.delimiter))
        chunks = source.chunks()
        return self._commit(options, source.schema, chunks, source_path=source_label or str(Path(path)),
                            fmt=source.format, encoding=source.encoding, delimiter=source.delimiter,
                            sheet=source.sheet, size=source.size_bytes, progress=progress, in_commit=in_commit,
                            notes=lambda: source.warnings)

    def ingest_arrow(self, table: pa.Table, options: IngestOptions, *, source: str = "generated") -> IngestResult:
        """Store an in-memory Arrow table as the next version (generated or already-typed data)."""
        def chunks() -> Iterator[Chunk]:
            for batch in table.to_batches(max_chunksize=262_144):
                yield Chunk(rows=batch, rejects=[], bytes_done=0)
        return self._commit(options, table.schema, chunks(), source_path=source, fmt="arrow", encoding=None,
                            delimiter=None, sheet=None, size=0, progress=None)

    def ingest_batches(self, schema: pa.Schema, batches: Iterator[pa.RecordBatch], options: IngestOptions, *,
                       source: str, fmt: str, in_commit: InCommit | None = None) -> IngestResult:
        """Store a stream of already-typed Arrow batches (a database or API source) as the next version.

        ``in_commit`` joins the catalog transaction that makes the version visible, so state kept with
        it (a watermark) moves exactly when the data does.
        """
        def chunks() -> Iterator[Chunk]:
            for batch in batches:
                yield Chunk(rows=batch, rejects=[], bytes_done=0)
        return self._commit(options, schema, chunks(), source_path=source, fmt=fmt, encoding=None,
                            delimiter=None, sheet=None, size=0, progress=None, in_commit=in_commit)

    def _commit(self, options: IngestOptions, schema: pa.Schema, chunks: Iterator[Chunk], *, source_path: str,
                fmt: str, encoding: str | None, delimiter: str | None, sheet: str | None, size: int,
                progress: Progress | None, in_commit: InCommit | None = None,
                notes: Callable[[], list[str]] | None = None) -> IngestResult:
        started = time.perf_counter()
        name = options.dataset
        _check_column_names(schema)
        path = self.table_location(name)
        attempt = uuid.uuid4().hex
        dataset_id, previous, version = self._begin(options, attempt, source_path)
        prev_delta = previous.delta_version if previous is not None else None
        tables.rollback_to(path, prev_delta)  # undo a commit the catalog never recorded
        profiler = _ProfilerThread(schema)
        counts = {"loaded": 0, "rejected": 0}
        rejects: list[dict[str, Any]] = []

        def batches() -> Iterator[pa.RecordBatch]:
            for chunk in chunks:
                if chunk.rejects:
                    counts["rejected"] += len(chunk.rejects)
                    rejects.extend(dataclasses.asdict(r) for r in chunk.rejects)
                if chunk.rows.num_rows:
                    counts["loaded"] += chunk.rows.num_rows
                    profiler.update(chunk.rows)
                    yield chunk.rows
                if progress is not None and size:
                    progress(chunk.bytes_done, size)

        prev_columns = self.columns(name, previous.version) if previous is not None else []
        schema_mode = "overwrite" if options.mode == "replace" else "merge"
        try:
            try:
                stream = prefetch(batches(), depth=4, name="shucang-ingest-reader")
                first = next(stream, None)
                rest = itertools.chain([first], stream) if first is not None else iter(())
                inserted: int | None = None
                if options.mode == "merge":
                    new_delta, inserted = tables.merge_batches(path, schema, rest, options.key,
                                                               plain_columns=tables.plain_encoded_columns(first))
                else:
                    new_delta = tables.write_batches(path, schema, rest, mode=options.mode, schema_mode=schema_mode,
                                                     plain_columns=tables.plain_encoded_columns(first))
            finally:
                profiler.close()
            self.rejects.write(name, version, attempt, rejects)
            profiles = profiler.result()
        except BaseException:
            self._abandon(path, prev_delta, dataset_id, version, attempt)
            raise
        changes = diff_columns(prev_columns, profiles) if previous is not None else {}
        prev_rows = int(previous.row_count) if previous is not None else 0
        if options.mode == "merge":
            row_count = prev_rows + (counts["loaded"] if inserted is None else inserted)
        else:
            row_count = counts["loaded"] + (prev_rows if options.mode == "append" else 0)
        duration = time.perf_counter() - started
        result = IngestResult(
            dataset=name, version=version, rows_read=counts["loaded"] + counts["rejected"],
            rows_loaded=counts["loaded"], rows_rejected=counts["rejected"], encoding=encoding, format=fmt,
            mode=options.mode, path=source_path, delimiter=delimiter, sheet=sheet, row_count=row_count,
            columns=[p.name for p in profiles], schema_changes=changes, rejects=rejects, duration_s=duration,
        )
        result.sample = profiler.sample.table()
        if notes is not None:
            result.warnings.extend(notes())
        try:
            self._finish(dataset_id, version, attempt, new_delta, result, profiles, prev_columns, options, in_commit)
        except BaseException:
            self._abandon(path, prev_delta, dataset_id, version, attempt)
            raise
        for hook in self.after_ingest:
            try:
                hook(self, result)
            except Exception as exc:  # noqa: BLE001 — the data is safely in; report, don't undo
                result.warnings.append(f"{getattr(hook, '__name__', 'hook')}: {type(exc).__name__}: {exc}")
        return result

    def _abandon(self, path: Path | TableLocation, prev_delta: int | None, dataset_id: int, version: int, attempt: str) -> None:
        """An ingest failed: undo its Delta commit and its pending row now, not at the next write."""
        try:
            tables.rollback_to(path, prev_delta)
            with self.engine.begin() as conn:
                v = cat.dataset_versions
                conn.execute(v.delete().where((v.c.dataset_id == dataset_id) & (v.c.version == version)
                                              & (v.c.attempt_id == attempt) & (v.c.status != "committed")))
        except Exception:  # noqa: BLE001, S110 — the next write of the dataset and `check --repair` redo this
            pass

    def _begin(self, options: IngestOptions, attempt: str, source_path: str) -> tuple[int, Any, int]:
        """Create the dataset on first use and a pending version row; return (id, previous row, version)."""
        d, v = cat.datasets, cat.dataset_versions
        now = _now()
        dep_id = self.ensure_department(options.department) if options.department else None
        with self.engine.begin() as conn:
            row = conn.execute(sa.select(d).where(d.c.name == options.dataset)).first()
            if row is None:
                dataset_id = cat.inserted_id(conn.execute(d.insert().values(
                    name=options.dataset, title=options.title or options.dataset, department_id=dep_id,
                    description=options.description or "", source=source_path, cadence=options.cadence,
                    primary_key=list(options.key), not_null=list(options.not_null), synthetic=options.synthetic,
                    is_open=False, current_version=None, row_count=0, created_at=now, updated_at=now,
                )))
                current = None
            else:
                dataset_id, current = int(row.id), row.current_version
            previous = None
            if current is not None:
                previous = conn.execute(sa.select(v).where((v.c.dataset_id == dataset_id)
                                                           & (v.c.version == current))).first()
            version = (current or 0) + 1
            # A pending row left by a killed ingest is deleted and its version number reused.
            conn.execute(v.delete().where((v.c.dataset_id == dataset_id) & (v.c.version >= version)
                                          & (v.c.status != "committed")))
            conn.execute(v.insert().values(
                dataset_id=dataset_id, version=version, status="pending", mode=options.mode,
                source_path=source_path, created_by=options.created_by, created_at=now, attempt_id=attempt,
                schema_changes={},
            ))
        return dataset_id, previous, version

    def _finish(self, dataset_id: int, version: int, attempt: str, delta_version: int, result: IngestResult,
                profiles: list[Any], prev_columns: list[ColumnInfo], options: IngestOptions,
                in_commit: InCommit | None = None) -> None:
        d, v, c = cat.datasets, cat.dataset_versions, cat.columns
        now = _now()
        prev = {col.name: col for col in prev_columns}
        dep_id = self.ensure_department(options.department) if options.department else None
        with self.engine.begin() as conn:
            conn.execute(v.update().where((v.c.dataset_id == dataset_id) & (v.c.version == version)
                                          & (v.c.attempt_id == attempt)).values(
                status="committed", delta_version=delta_version, source_format=result.format,
                encoding=result.encoding, delimiter=result.delimiter, sheet=result.sheet,
                rows_read=result.rows_read, rows_loaded=result.rows_loaded, rows_rejected=result.rows_rejected,
                row_count=result.row_count, schema_changes=result.schema_changes, duration_s=result.duration_s))
            rows = []
            for position, p in enumerate(profiles):
                null_share, distinct = p.null_share, p.distinct_estimate
                if options.mode != "replace" and p.name in prev and result.row_count:
                    old = prev[p.name]
                    old_rows = result.row_count - result.rows_loaded
                    null_share = (old.null_share * old_rows + p.null_share * result.rows_loaded) / result.row_count
                    distinct = max(distinct, old.distinct_estimate)
                rows.append(dict(dataset_id=dataset_id, version=version, position=position, name=p.name,
                                 storage_type=p.storage_type, logical_type=p.logical_type, null_share=null_share,
                                 distinct_estimate=distinct, examples=list(p.examples), canonical=p.canonical,
                                 note=p.note))
            if options.mode != "replace":
                names = {p.name for p in profiles}
                for old in prev_columns:  # merged schema keeps columns the new file lacks
                    if old.name not in names:
                        rows.append(dict(dataset_id=dataset_id, version=version, position=len(rows),
                                         name=old.name, storage_type=old.storage_type,
                                         logical_type=old.logical_type, null_share=old.null_share,
                                         distinct_estimate=old.distinct_estimate, examples=old.examples,
                                         canonical=old.canonical, note=old.note))
            if rows:
                conn.execute(c.insert(), rows)
            values: dict[str, Any] = dict(current_version=version, row_count=result.row_count, updated_at=now,
                                          source=result.path)
            if options.title:
                values["title"] = options.title
            if options.description is not None:
                values["description"] = options.description
            if options.cadence:
                values["cadence"] = options.cadence
            if options.key:
                values["primary_key"] = list(options.key)
            if options.not_null:
                values["not_null"] = list(options.not_null)
            if dep_id is not None:
                values["department_id"] = dep_id
            if options.synthetic:
                values["synthetic"] = True
            conn.execute(d.update().where(d.c.id == dataset_id).values(**values))
            if in_commit is not None:
                in_commit(conn, result)

    def rejected_rows(self, name: str, version: int | None = None, limit: int = 1000) -> list[dict[str, Any]]:
        """Quarantined rows of one version (default: current) with line, code, reason and raw text."""
        _info, vrow = self._version_row(name, version)
        return self.rejects.read(name, vrow.version, vrow.attempt_id, limit=limit)


class _ProfilerThread:
    """Column profiling in its own thread, so that parsing, profiling and the Delta write overlap.

    Arrow compute releases the GIL; the bounded queue keeps memory bounded when profiling lags.
    """

    def __init__(self, schema: pa.Schema) -> None:
        self._profiler = ColumnProfiler(schema)
        self.sample = SpreadSample()
        self._queue: queue.Queue[pa.RecordBatch | None] = queue.Queue(maxsize=8)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="shucang-ingest-profiler", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (batch := self._queue.get()) is not None:
            if self._error is None:
                try:
                    self._profiler.update(batch)
                    self.sample.update(batch)
                except BaseException as exc:  # noqa: BLE001 — re-raised by result()
                    self._error = exc

    def update(self, batch: pa.RecordBatch) -> None:
        self._queue.put(batch)

    def close(self) -> None:
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()

    def result(self) -> list[Any]:
        self.close()
        if self._error is not None:
            raise self._error
        return self._profiler.result()


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)



def _check_column_names(schema: pa.Schema) -> None:
    """Refuse names no SQL can list (a NUL breaks every query that touches the table); file readers
    already clean them (``shucang.ingest.header``), this guards tables handed in directly."""
    bad = [n for n in schema.names if not n or unsafe_name(n)]
    if bad:
        raise InputError(f"列名无效（空或含控制字符）：{', '.join(repr(n) for n in bad[:5])} "
                         f"(column names empty or holding control characters such as NUL)",
                         hint="请重命名这些列 (rename these columns)")
