"""Data files no Delta version refers to: what an ingest killed between writing its Parquet files
and committing them leaves behind. ``check`` reports them; ``check --repair`` deletes them.

Only files older than a grace period count — a running ingest's files are not committed *yet*.
Referenced means named by any ``add`` or ``remove`` in the log (so time travel to old versions keeps
working); checkpoints are read too, for logs that were cleaned up.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

if TYPE_CHECKING:
    from shucang.warehouse.store import Warehouse

GRACE_SECONDS = 15 * 60


def referenced_files(table_dir: Path) -> set[str]:
    """Relative paths of every data file the table's log has ever added or removed."""
    log = table_dir / "_delta_log"
    found: set[str] = set()
    for entry in sorted(log.glob("*.json")):
        for line in entry.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            action = json.loads(line)
            for kind in ("add", "remove"):
                if kind in action and action[kind].get("path"):
                    found.add(unquote(action[kind]["path"]))
    for checkpoint in log.glob("*.checkpoint*.parquet"):
        import pyarrow.parquet as pq

        table = pq.read_table(checkpoint, columns=["add"])
        for add in table.column("add").to_pylist():
            if add and add.get("path"):
                found.add(unquote(add["path"]))
    return found


def orphan_files(table_dir: Path, *, grace_seconds: float = GRACE_SECONDS) -> list[Path]:
    """Data files under ``table_dir`` that no version refers to and that are older than the grace period."""
    if not (table_dir / "_delta_log").is_dir():
        return []
    known = referenced_files(table_dir)
    cutoff = time.time() - grace_seconds
    out = []
    for path in table_dir.rglob("*"):
        rel = path.relative_to(table_dir)
        if (path.is_file() and rel.parts[0] != "_delta_log" and rel.as_posix() not in known
                and path.stat().st_mtime < cutoff):
            out.append(path)
    return sorted(out)


def orphan_checks(wh: Warehouse, *, repair: bool, grace_seconds: float = GRACE_SECONDS) -> list[Any]:
    """One storage result per table holding orphan files (deleted with ``repair``)."""
    from shucang.warehouse.checks import CheckResult

    results = []
    for info in wh.list_datasets():
        for kind, base in (("table", wh.settings.tables_dir), ("rejects", wh.settings.rejects_dir)):
            found = orphan_files(base / info.name, grace_seconds=grace_seconds)
            if not found:
                continue
            size = sum(p.stat().st_size for p in found)
            if repair:
                for path in found:
                    path.unlink(missing_ok=True)
                results.append(CheckResult(info.name, "storage", "repaired",
                                           f"已删除中断导入留下的 {len(found)} 个文件 (removed {len(found)} orphan "
                                           f"{kind} files, {size:,} bytes)"))
            else:
                results.append(CheckResult(info.name, "storage", "warn",
                                           f"中断导入留下 {len(found)} 个无主文件 ({len(found)} orphan {kind} files, "
                                           f"{size:,} bytes); run `shucang check --repair`"))
    return results
