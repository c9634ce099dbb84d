"""CSV/XLSX output: formula-like text is neutralised, numbers stay numbers, round trips keep values."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from shucang.share.formats import csv_bytes, json_rows, neutralise, xlsx_bytes

PLAIN_NUMBER = r"[+-]?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?"
RISKY = ["=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)", "\t=evil", "\r=evil", "=HYPERLINK(\"http://x\")"]


def test_risky_cells_get_a_quote_and_safe_ones_do_not() -> None:
    table = pa.table({"text": RISKY + ["普通文本", "a=b"], "n": pa.array(range(9), pa.int64())})
    out = neutralise(table).column("text").to_pylist()
    assert out[: len(RISKY)] == ["'" + v for v in RISKY]
    assert out[-2:] == ["普通文本", "a=b"]


def test_csv_and_xlsx_carry_no_formulas() -> None:
    table = pa.table({"text": RISKY, "amount": pa.array([-5.5] * len(RISKY)),
                      "day": pa.array([dt.date(2024, 1, 2)] * len(RISKY), pa.date32())})
    rows = list(csv.reader(io.StringIO(csv_bytes(table).decode("utf-8-sig"))))
    assert all(not r[0].startswith(("=", "+", "-", "@", "\t", "\r")) for r in rows[1:])
    assert rows[1][1] == "-5.5"  # a negative number is data, not a formula
    sheet = load_workbook(io.BytesIO(xlsx_bytes(table))).worksheets[0]
    cells = list(sheet.iter_rows(min_row=2, values_only=True))
    assert all(isinstance(c[0], str) and c[0].startswith("'") for c in cells)
    assert all(c[1] == -5.5 for c in cells)
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_json_rows_are_plain() -> None:
    table = pa.table({"d": pa.array([dt.date(2024, 1, 2)], pa.date32()), "x": [1.5], "s": ["周巷镇"]})
    assert json_rows(table) == [{"d": "2024-01-02", "x": 1.5, "s": "周巷镇"}]


@settings(max_examples=80, deadline=None)
@given(st.lists(st.text(max_size=20), min_size=1, max_size=10))
def test_csv_round_trip_and_no_cell_starts_a_formula(values: list[str]) -> None:
    table = pa.table({"v": values})
    text = csv_bytes(table).decode("utf-8-sig")
    back = [r[0] if r else "" for r in csv.reader(io.StringIO(text, newline=""))][1:]
    for original, got in zip(values, back, strict=False):
        # a plain signed number ("-0", "+1.5e3") is read as a number, not run as a formula: it stays
        assert not got.startswith(("=", "+", "-", "@", "\t", "\r")) or re.fullmatch(PLAIN_NUMBER, got)
        assert got in (original, "'" + original) or original.replace("\r", "\n") in got or got == ""


def test_nan_and_infinity_become_null_in_json() -> None:
    from shucang.share.formats import json_bytes

    table = pa.table({"x": [1.0, float("nan"), float("inf"), None]})
    assert json_rows(table) == [{"x": 1.0}, {"x": None}, {"x": None}, {"x": None}]
    assert b"NaN" not in json_bytes({"ok": True}, table)
