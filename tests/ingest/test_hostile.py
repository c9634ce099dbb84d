"""Hostile files found on public test corpora (issue 14, item 6): each class is handled, never a crash.

Every file is built here, small; each test says what a person would see go wrong without the fix.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shucang.errors import InputError
from shucang.ingest import open_source
from shucang.ingest.header import build_header, clean_name


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# ---------------------------------------------------------------- NUL in a column name
@pytest.mark.parametrize("kind", ["csv", "jsonl", "parquet"])
def test_nul_in_a_column_name_is_removed_and_said(tmp_path: Path, kind: str) -> None:
    path = tmp_path / f"f.{kind}"
    if kind == "csv":
        _write(path, b"a,b\x00c\n1,2\n")
    elif kind == "jsonl":
        _write(path, b'{"a":1,"b\\u0000c":2}\n')
    else:
        pq.write_table(pa.table({"a": [1], "b\x00c": [2]}), path)
    source = open_source(path)
    assert source.schema.names == ["a", "bc"]
    assert any("NUL" in w for w in source.warnings)
    table, rejects = source.read_all()
    assert table.num_rows == 1 and not rejects


def test_a_bad_name_never_breaks_sql_over_other_datasets(warehouse: Any, tmp_path: Path) -> None:
    from shucang.warehouse import IngestOptions

    warehouse.ingest(_write(tmp_path / "ok.csv", b"x\n1\n"), IngestOptions(dataset="good"))
    nul = _write(tmp_path / "nul.csv", b"a\x00,b\n1,2\n")
    result = warehouse.ingest(nul, IngestOptions(dataset="bad_names"))
    assert result.columns == ["a", "b"] and result.warnings
    assert warehouse.sql("SELECT x FROM good").column("x").to_pylist() == [1]
    assert warehouse.sql("SELECT a, b FROM bad_names").num_rows == 1
    with pytest.raises(InputError, match="NUL"):  # a table handed in directly is refused, not stored
        warehouse.ingest_arrow(pa.table({"y\x00": [1]}), IngestOptions(dataset="direct"))
    assert warehouse.sql("SELECT count(*) AS n FROM good").column("n").to_pylist() == [1]


@given(st.lists(st.text(min_size=0, max_size=8), min_size=1, max_size=6))
@settings(max_examples=200, deadline=None)
def test_header_names_are_always_unique_and_clean(cells: list[str]) -> None:
    header = build_header(cells)
    assert len(header.names) == len(cells)
    assert len({n.casefold() for n in header.names}) == len(header.names)
    for name in header.names:
        assert name and "\x00" not in name and clean_name(name) == name
        assert not any(0xD800 <= ord(ch) <= 0xDFFF for ch in name)
