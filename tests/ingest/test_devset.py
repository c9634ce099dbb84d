"""Every hostile file of tests/cases/ingest-dev handled exactly as its expect.json says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shucang.errors import InputError
from shucang.ingest import open_source

DEV = Path(__file__).parent.parent / "cases" / "ingest-dev"
EXPECT: dict[str, dict] = json.loads((DEV / "expect.json").read_text("utf-8"))


@pytest.mark.parametrize("name", sorted(EXPECT))
def test_dev_file(name: str) -> None:
    spec = EXPECT[name]
    path = DEV / name
    if spec["expect"] == "reject":
        with pytest.raises(InputError) as info:
            open_source(path).read_all()
        assert name in info.value.message
        return
    source = open_source(path)
    table, rejects = source.read_all()
    assert table.num_columns == spec["columns"]
    assert len(set(table.column_names)) == table.num_columns
    if spec["expect"] == "ok":
        assert table.num_rows == spec["rows"]
        assert rejects == []
    else:
        assert table.num_rows == spec["good_rows"]
        assert len(rejects) == spec["bad_rows"]
        assert [r.line for r in rejects] == spec["bad_at"]
        for r in rejects:
            assert r.reason.startswith(f"第{r.line}行") and f"line {r.line}" in r.reason
            assert r.code and r.raw
    if "encoding" in spec:
        assert source.encoding == spec["encoding"]
    if "delimiter" in spec:
        assert source.delimiter == spec["delimiter"]
    for spot in spec.get("spot", []):
        assert table.column(spot["column"])[spot["row"] - 1].as_py() == spot["value"]


def test_reject_codes_say_why() -> None:
    codes = {}
    for name in ("ragged_small.csv", "unclosed_quote.csv", "nul_in_rows.csv", "big_field_2mb.csv",
                 "mixed_encoding_small.csv", "broken_line.jsonl"):
        _, rejects = open_source(DEV / name).read_all()
        codes[name] = {r.code for r in rejects}
    assert codes == {"ragged_small.csv": {"field_count"}, "unclosed_quote.csv": {"unclosed_quote"},
                     "nul_in_rows.csv": {"nul_byte"}, "big_field_2mb.csv": {"field_too_long"},
                     "mixed_encoding_small.csv": {"decode_error"}, "broken_line.jsonl": {"bad_json"}}


def test_mixed_encoding_reject_shows_the_gbk_text() -> None:
    _, rejects = open_source(DEV / "mixed_encoding_small.csv").read_all()
    assert all("\ufffd" not in r.raw and "慈溪" in r.raw for r in rejects)


def test_header_names() -> None:
    table, _ = open_source(DEV / "repeated_columns.csv").read_all()
    assert table.column_names == ["编号", "联系人", "电话", "电话_2", "地址", "联系人_2"]
    table, _ = open_source(DEV / "trailing_comma.csv").read_all()
    assert table.column_names == ["姓名", "身份证号", "手机号码", "地址", "金额"]


def test_title_rows_header_found_under_titles() -> None:
    source = open_source(DEV / "title_rows.xlsx")
    table, _ = source.read_all()
    assert table.column_names[:3] == ["序号", "姓名", "身份证号"]
    assert table.column("序号")[0].as_py() == "1"  # a whole float from calamine, without ".0"
    assert source.sheet == "花名册"


def test_small_blocks_give_the_same_result() -> None:
    """The block size changes how the file is cut, never what comes out."""
    from shucang.ingest import ReadOptions

    for name, spec in EXPECT.items():
        if spec["expect"] == "reject" or not name.endswith(".csv") or spec.get("bytes", 0) > 100_000:
            continue
        path = DEV / name
        if path.read_bytes()[:2] == b"PK":
            continue
        whole, whole_rejects = open_source(path).read_all()
        small, small_rejects = open_source(path, options=ReadOptions(block_bytes=97)).read_all()
        assert small.to_pylist() == whole.to_pylist(), name
        assert [(r.line, r.code) for r in small_rejects] == [(r.line, r.code) for r in whole_rejects], name
