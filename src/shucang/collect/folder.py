"""Drop folders: a department puts files in a folder; each is ingested once, then moved away.

A file is taken when it has not changed for ``settle_seconds`` (so one still being copied is left
alone). It lands in the source's dataset (or, without one, in a dataset named after the file), then
moves to ``done/``; a file that cannot be loaded moves to ``failed/`` beside ``NAME.reason.txt``
saying why. The file's SHA-256 is recorded in the same catalog transaction as its version, so a file
whose move was cut short by a crash is recognised and never loaded twice.
"""

from __future__ import annotations

import hashlib
import re
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from shucang.collect import catalog as cat
from shucang.collect.registry import Source, now
from shucang.errors import ShucangError
from shucang.warehouse.models import CADENCES, IngestOptions, IngestResult, check_dataset_name

if TYPE_CHECKING:
    from shucang.warehouse import Warehouse

SUFFIXES = {".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".xls", ".jsonl", ".ndjson", ".json", ".parquet"}
DEFAULT_SETTLE_SECONDS = 5.0


def dataset_for(path: Path) -> str:
    """A dataset name from a file name: ``人口 2024.xlsx`` → ``人口_2024``."""
    return dataset_name(path.stem)


def dataset_name(text: str) -> str:
    """A valid dataset name from any text (a file or sheet name)."""
    name = re.sub(r"\W+", "_", text).strip("_")[:100]
    if not name or not (name[0].isalpha()):
        name = "f_" + name
    return name


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _move(path: Path, folder: Path) -> Path:
    folder.mkdir(exist_ok=True)
    target = folder / path.name
    if target.exists():
        target = folder / f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%f')}-{path.name}"
    return path.rename(target)


def waiting_files(root: Path, settle_seconds: float) -> list[Path]:
    """Files ready to take, oldest first."""
    if not root.is_dir():
        raise ShucangError(f"投递目录不存在 (drop folder missing): {root}", hint="create it or change the source")
    cutoff = time.time() - settle_seconds
    found = [p for p in root.iterdir() if p.is_file() and not p.name.startswith((".", "~$"))
             and p.suffix.lower() in SUFFIXES and p.stat().st_mtime <= cutoff]
    return sorted(found, key=lambda p: (p.stat().st_mtime, p.name))


def run_folder(wh: Warehouse, source: Source) -> dict[str, Any]:
    """Take every waiting file; return totals and one entry per file."""
    cfg = source.config
    root = Path(cfg["path"])
    settle = float(cfg.get("settle_seconds", DEFAULT_SETTLE_SECONDS))
    done: list[dict[str, Any]] = []
    totals = {"rows_read": 0, "rows_loaded": 0, "rows_rejected": 0}
    last: IngestResult | None = None
    f = cat.files
    for path in waiting_files(root, settle):
        digest = sha256(path)
        with wh.engine.connect() as conn:
            seen = conn.execute(sa.select(f.c.dataset, f.c.version).where(
                (f.c.source == source.name) & (f.c.sha256 == digest))).first()
        if seen is not None:
            _move(path, root / "done")
            done.append({"file": path.name, "status": "already_loaded", "dataset": seen.dataset,
                         "version": seen.version})
            continue
        try:
            dataset = source.dataset or check_dataset_name(dataset_for(path))
            options = IngestOptions(dataset=dataset, mode=cfg.get("mode") or "append", department=source.department,
                                    cadence=source.cadence if source.cadence in CADENCES else None,
                                    created_by=f"source:{source.name}")

            def remember(conn: sa.Connection, result: IngestResult, name: str = path.name,
                         digest: str = digest) -> None:
                conn.execute(f.insert().values(source=source.name, sha256=digest, name=name,
                                               dataset=result.dataset, version=result.version, loaded_at=now()))

            result = wh.ingest(path, options, in_commit=remember)
        except ShucangError as exc:
            _fail(path, root, str(exc))
            done.append({"file": path.name, "status": "failed", "error": str(exc)})
            continue
        except Exception as exc:  # noqa: BLE001 — one bad file must not stop the folder
            message = f"{type(exc).__name__}: {exc}"
            _fail(path, root, message)
            done.append({"file": path.name, "status": "failed", "error": message})
            continue
        _move(path, root / "done")
        last = result
        for k in totals:
            totals[k] += getattr(result, k)
        done.append({"file": path.name, "status": "loaded", "dataset": result.dataset, "version": result.version,
                     "rows_loaded": result.rows_loaded, "rows_rejected": result.rows_rejected,
                     "warnings": result.warnings})
    errors = [f"{d['file']}: {d['error']}" for d in done if d["status"] == "failed"]
    return {"dataset": source.dataset or (last.dataset if last else None),
            "version": last.version if last else None, **totals, "files": done, "errors": errors}


def _fail(path: Path, root: Path, message: str) -> None:
    moved = _move(path, root / "failed")
    reason = moved.with_name(moved.name + ".reason.txt")
    reason.write_text(f"{datetime.now(UTC).isoformat()}\n{message}\n", encoding="utf-8")
