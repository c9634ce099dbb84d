"""Read the labelled development tables (CSV/XLSX/JSON-lines) as all-string Arrow tables, for tests.

A test-only reader: the product reads files through ``shucang.ingest``; this keeps the accuracy
test independent of it and of its state of completion.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pyarrow as pa

DEV = Path(__file__).resolve().parents[1] / "cases" / "classify-dev"


def _cell(v: object) -> str | None:
    if v is None or v == "":
        return None
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, dt.datetime):
        return v.isoformat(sep=" ") if (v.hour or v.minute or v.second) else v.date().isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v)


def _table(header: list[str], rows: list[list[object]]) -> pa.Table:
    cols = {h: [(_cell(r[i]) if i < len(r) else None) for r in rows] for i, h in enumerate(header)}
    return pa.table({h: pa.array(v, pa.string()) for h, v in cols.items()})


def read_table(path: Path) -> pa.Table:
    """The first table of ``path`` with every value as a string (None for empty)."""
    if path.suffix == ".xlsx":
        from python_calamine import CalamineWorkbook

        wb = CalamineWorkbook.from_path(str(path))
        rows = wb.get_sheet_by_index(0).to_python()
        return _table([str(h) for h in rows[0]], rows[1:])
    if path.suffix == ".jsonl":
        records = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
        header: list[str] = []
        for r in records:
            header.extend(k for k in r if k not in header)
        return _table(header, [[r.get(h) for h in header] for r in records])
    text = path.read_text("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    return _table([h.strip() for h in rows[0]], [r for r in rows[1:] if any(c.strip() for c in r)])


def labels() -> dict[str, dict[str, str | None]]:
    return json.loads((DEV / "labels.json").read_text("utf-8"))
