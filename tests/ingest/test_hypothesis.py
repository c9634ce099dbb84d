"""Property tests: any table written as CSV reads back exactly; garbage never escapes as a crash."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shucang.errors import InputError
from shucang.ingest import ReadOptions, open_source

CELL = st.text(alphabet=st.sampled_from(list('ab 张三䶮,;|\t"\n\r=+-@0１') + ["𠀀", "€"]), max_size=8)
NAME = st.text(alphabet=st.sampled_from(list("abcxyz姓名号")), min_size=1, max_size=4)


@st.composite
def tables(draw: st.DrawFn) -> tuple[list[str], list[list[str]]]:
    width = draw(st.integers(1, 4))
    names = draw(st.lists(NAME, min_size=width, max_size=width, unique=True))
    rows = draw(st.lists(st.lists(CELL, min_size=width, max_size=width), max_size=12))
    # a record whose every field is blank is skipped by rule, so keep one visible character
    rows = [r if any(c.strip() for c in r) else ["x"] + r[1:] for r in rows]
    return names, rows


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables(), st.sampled_from([",", ";", "\t", "|"]), st.sampled_from(["\n", "\r\n", "\r"]),
       st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16"]), st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]),
       st.sampled_from([None, 48]))
def test_csv_round_trip(table: tuple[list[str], list[list[str]]], delim: str, eol: str, encoding: str,
                        quoting: int, block: int | None) -> None:
    names, rows = table
    if len(names) == 1 or any("\r" in c or "\n" in c for r in rows for c in r):
        # csv.writer leaves a CR unquoted when the line terminator is LF (and vice versa): that is
        # a broken file, not a round trip; one column: quotes keep blank values apart
        quoting = csv.QUOTE_ALL
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delim, lineterminator=eol, quoting=quoting)
    writer.writerow(names)
    writer.writerows(rows)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.csv"
        path.write_bytes(buf.getvalue().encode(encoding))
        options = ReadOptions(block_bytes=block) if block else None
        source = open_source(path, options=ReadOptions(delimiter=delim, block_bytes=block or 8 << 20)
                             if len(names) == 1 else options)
        out, rejects = source.read_all()
    # a record equal to the header is a repeated header line: quarantined by rule, never loaded
    repeats = [r for r in rows if [c.strip() for c in r] == names]
    assert [x.code for x in rejects] == ["header_repeat"] * len(repeats)
    assert out.column_names == names
    expected = [[c if c != "" else None for c in r] for r in rows if r not in repeats]
    assert [list(r.values()) for r in out.to_pylist()] == expected


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400), st.sampled_from(["x.csv", "x.xlsx", "x.jsonl"]))
def test_garbage_only_ever_raises_input_error(data: bytes, name: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        try:
            source = open_source(path)
            table, rejects = source.read_all()
        except InputError:
            return
        assert table.num_columns == len(source.schema)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=6), min_size=1, max_size=5).map(lambda xs: "\n".join(xs)),
       st.sampled_from(["PK\x03\x04", "{", "PAR1", "\ufeff", ""]))
def test_text_with_misleading_starts(body: str, start: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.csv"
        path.write_bytes((start + body).encode("utf-8", "surrogatepass"))
        try:
            open_source(path).read_all()
        except InputError:
            pass


def test_invalid_utf8_in_a_ragged_row_is_quarantined_quietly(tmp_path: Path) -> None:
    """A ragged row holding bytes that are not UTF-8 in a file sniffed as UTF-8: pyarrow would raise
    inside its row callback (an "exception ignored", which pytest turns into an error here); the block
    goes to the careful pass instead, which quarantines the row and loads the others."""
    path = tmp_path / "x.csv"
    path.write_bytes("姓名,电话\n张三,1\n李四,2,".encode() + b"\x83" + "多\n王五,3\n".encode())
    source = open_source(path)
    table, rejects = source.read_all()
    assert table.num_rows + len(rejects) == 3
    assert table.column(0).to_pylist()[0] == "张三"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=6).map(lambda b: b.replace(b"\n", b"").replace(b"\r", b"")),
       st.sampled_from([b"", b"\r"]), st.lists(st.sampled_from([b"a", b"\n", b"\r", "张".encode(), b"\r\n"]), max_size=10),
       st.booleans())
def test_whole_lines_cuts_where_joining_first_cut(carry: bytes, cr: bytes, raw_parts: list[bytes], eof: bool) -> None:
    """The one-copy split of ``carry + raw`` equals the split of the joined buffer (a carried CR included)."""
    from shucang.ingest.textstream import _cut, _whole_lines

    carry += cr  # what a block may carry: no line end, except a final CR that may precede an LF
    raw = b"" if eof else b"".join(raw_parts)
    buf = carry + raw
    cut = _cut(buf, eof)
    assert _whole_lines(carry, raw, eof) == (buf[:cut], buf[cut:])


def test_bad_line_search_finds_the_marker_anywhere() -> None:
    from shucang.ingest.textstream import BAD_LINE_BYTES, has_bad_line

    text = "已核实，联系人电话13800000000\n".encode() * 50
    assert not has_bad_line(text)
    for at in (0, len(text) // 2, len(text)):
        assert has_bad_line(text[:at] + BAD_LINE_BYTES + text[at:])
    assert not has_bad_line(BAD_LINE_BYTES[:2] + b"x" + BAD_LINE_BYTES[1:])
