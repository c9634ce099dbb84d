"""Self-service upload: a steward's file is parsed, shown and classified before anything is written.

``save_upload`` keeps the file in ``HOME/uploads/<token>/`` (with who uploaded it); ``preview_upload``
reads every table of it (each sheet of a workbook) exactly as ``shucang ingest`` would — same parser,
same rejects — and classifies a spread sample with the classify stage's detectors (what ``shucang scan``
does), writing nothing; ``confirm_upload`` then ingests the chosen sheets through ``Warehouse.ingest``
with the after-ingest hooks, so the versions are exactly those ``shucang ingest`` makes.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import pyarrow as pa

from shucang.collect.folder import SUFFIXES, dataset_for, dataset_name
from shucang.errors import InputError, NotFound, PermissionDenied
from shucang.settings import Settings
from shucang.warehouse.models import IngestOptions, ingest_mode

if TYPE_CHECKING:
    from shucang.warehouse import Warehouse

MAX_BYTES = 200 * 1024 * 1024
PREVIEW_ROWS = 20
PREVIEW_REJECTS = 50
SAMPLE_ROWS = 10_000
TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


@dataclass(frozen=True)
class Upload:
    token: str
    path: Path
    owner: str
    name: str


def _root(settings: Settings) -> Path:
    return settings.home / "uploads"


def save_upload(settings: Settings, filename: str, stream: IO[bytes], owner: str) -> Upload:
    """Store an uploaded file (at most ``MAX_BYTES``) under a fresh token."""
    name = Path((filename or "").replace("\\", "/")).name.strip()
    if not name or Path(name).suffix.lower() not in SUFFIXES:
        raise InputError(f"不支持的文件类型 (unsupported file type): {name or '-'}",
                         hint="CSV, TSV, XLSX, XLS, JSON, JSON lines or Parquet")
    token = secrets.token_urlsafe(18)
    folder = _root(settings) / token
    folder.mkdir(parents=True, mode=0o700)
    path = folder / name
    size = 0
    with path.open("wb") as out:
        while block := stream.read(1 << 20):
            size += len(block)
            if size > MAX_BYTES:
                out.close()
                shutil.rmtree(folder, ignore_errors=True)
                raise InputError(f"文件过大 (file larger than {MAX_BYTES // 1024 // 1024} MB)",
                                 hint="use `shucang ingest` or a drop folder for large files")
            out.write(block)
    (folder / "upload.json").write_text(json.dumps({"owner": owner, "name": name}), encoding="utf-8")
    return Upload(token, path, owner, name)


def get_upload(settings: Settings, token: str, actor_name: str, *, admin: bool = False) -> Upload:
    """The upload behind ``token``; only its uploader (or an admin) may see or confirm it."""
    folder = _root(settings) / token
    meta_path = folder / "upload.json"
    if not TOKEN.match(token or "") or not meta_path.exists():
        raise NotFound("上传不存在或已处理 (no such upload, or already confirmed)")
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    if meta["owner"] != actor_name and not admin:
        raise PermissionDenied("这是他人的上传 (someone else's upload)")
    return Upload(token, folder / meta["name"], meta["owner"], meta["name"])


def discard_upload(settings: Settings, upload: Upload) -> None:
    shutil.rmtree(_root(settings) / upload.token, ignore_errors=True)


def _text_rows(table: pa.Table) -> list[list[str]]:
    columns = [[("" if v is None else str(v)) for v in table.column(i).to_pylist()] for i in range(table.num_columns)]
    return [list(row) for row in zip(*columns, strict=True)] if columns else []


def preview_table(path: Path, sheet: str | None) -> dict[str, Any]:
    """One table of the file: first rows, every reject (up to a limit), counts and proposed classification."""
    from shucang.classify.classifier import classify_table
    from shucang.ingest import open_source

    source = open_source(path, sheet=sheet)
    head: list[pa.RecordBatch] = []
    kept: list[pa.RecordBatch] = []
    rejects: list[dict[str, Any]] = []
    loaded = rejected = 0
    stride, seen = 1, 0
    for chunk in source.chunks():
        rejected += len(chunk.rejects)
        rejects.extend({"line": r.line, "code": r.code, "reason": r.reason, "raw": (r.raw or "")[:300]}
                       for r in chunk.rejects[: max(0, PREVIEW_REJECTS - len(rejects))])
        batch = chunk.rows
        if not batch.num_rows:
            continue
        if sum(b.num_rows for b in head) < PREVIEW_ROWS:
            head.append(batch.slice(0, PREVIEW_ROWS))
        loaded += batch.num_rows
        # A spread sample for classification: keep every stride-th row, doubling the stride as needed.
        offset = (-seen) % stride
        kept.append(batch.take(pa.array(range(offset, batch.num_rows, stride))))
        seen += batch.num_rows
        while sum(b.num_rows for b in kept) > 2 * SAMPLE_ROWS:
            stride *= 2
            kept = [b.take(pa.array(range(0, b.num_rows, 2))) for b in kept]
    sample = pa.Table.from_batches(kept, schema=source.schema) if kept else source.schema.empty_table()
    first = pa.Table.from_batches(head, schema=source.schema).slice(0, PREVIEW_ROWS) if head else \
        source.schema.empty_table()
    classified = classify_table(sample, sample_rows=SAMPLE_ROWS)
    return {"sheet": source.sheet if sheet is not None else None, "format": source.format,
            "encoding": source.encoding, "columns": source.schema.names, "rows": _text_rows(first),
            "rows_read": loaded + rejected, "rows_loaded": loaded, "rows_rejected": rejected,
            "rejects": rejects, "level": classified.level,
            "classification": [c.to_dict() | {"evidence": {}} for c in classified.columns]}


def preview_upload(upload: Upload) -> list[dict[str, Any]]:
    """Every table of the upload (one per sheet holding a table), with a proposed dataset name each."""
    from shucang.ingest import list_tables

    sheets = list_tables(upload.path)
    out = []
    for sheet in sheets:
        item = preview_table(upload.path, sheet)
        base = dataset_for(upload.path)
        item["dataset"] = base if len(sheets) == 1 or sheet is None else f"{base}_{dataset_name(sheet)}"
        out.append(item)
    return out


def confirm_upload(wh: Warehouse, upload: Upload, choices: Iterable[tuple[str | None, str]], *,
                   department: str | None, created_by: str, mode: str = "append") -> list[dict[str, Any]]:
    """Ingest each chosen (sheet, dataset) as ``shucang ingest FILE --sheet S --dataset D`` would."""
    chosen = list(choices)
    if not chosen:
        raise InputError("请至少选择一个工作表 (choose at least one sheet)")
    results = []
    for sheet, dataset in chosen:
        options = IngestOptions(dataset=dataset, mode=ingest_mode(mode), department=department, sheet=sheet,
                                created_by=created_by)
        result = wh.ingest(upload.path, options, source_label=f"upload:{upload.name}")
        results.append(result.to_dict(max_rejects=20))
    discard_upload(wh.settings, upload)
    return results
