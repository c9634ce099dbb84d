"""Item 7 of issue 15: a column *header* a spreadsheet would run as a formula is neutralised on every
way out (open-data CSV, API CSV/XLSX, extract CSV/XLSX, `sql --output csv`), by protection's one rule."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pyarrow as pa

from .conftest import bearer

EVIL = "=cmd|' /C calc'!A0"


def _evil_table() -> pa.Table:
    return pa.table({EVIL: ["a", "b"], "+plus": ["1", "2"], "town": ["周巷镇", "龙山镇"], "-5": ["x", "y"]})


def _headers_safe(names: list[str]) -> None:
    assert "'" + EVIL in names and "'+plus" in names and "town" in names
    assert "-5" in names  # a plain number is no formula
    assert EVIL not in names


def _csv_header(data: bytes) -> list[str]:
    import csv

    return next(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def _xlsx_header(data: bytes) -> list[str]:
    import openpyxl

    sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    return [str(c) for c in next(sheet.iter_rows(values_only=True))]


def test_share_writers_neutralise_headers() -> None:
    from shucang.share.formats import csv_bytes, csv_chunks, xlsx_bytes

    table = _evil_table()
    _headers_safe(_csv_header(csv_bytes(table)))
    _headers_safe(_csv_header(b"".join(csv_chunks(iter(table.to_batches()), table.schema))))
    _headers_safe(_csv_header(b"".join(csv_chunks(iter([]), table.schema))))
    _headers_safe(_xlsx_header(xlsx_bytes(table)))


def test_extract_files_neutralise_headers(tmp_path: Path) -> None:
    from shucang.protect.extract import write_table

    for fmt in ("csv", "xlsx"):
        out = tmp_path / f"x.{fmt}"
        write_table(_evil_table(), out, fmt, "ex-1")
        data = out.read_bytes()
        _headers_safe(_csv_header(data) if fmt == "csv" else _xlsx_header(data))


def test_api_csv_of_a_dataset_with_an_evil_header(client: Any, app: Any) -> None:
    from shucang.warehouse import IngestOptions

    app.state.warehouse.ingest_arrow(_evil_table(), IngestOptions(dataset="evil", department="gaj", mode="replace",
                                                                    synthetic=True))
    r = client.get("/api/v1/datasets/evil/rows", params={"format": "csv"}, headers=bearer("admin"))
    assert r.status_code == 200, r.text
    _headers_safe(_csv_header(r.content))
    r = client.get("/api/v1/datasets/evil/rows", params={"format": "xlsx"}, headers=bearer("admin"))
    _headers_safe(_xlsx_header(r.content))
