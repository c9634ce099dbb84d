"""Workbooks, JSON lines, Parquet, and whole-file refusals — format by content, never by name."""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import xlsxwriter

from shucang.errors import InputError
from shucang.ingest import list_tables, open_source


def make_workbook(path: Path) -> None:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("名单")
    wb.add_worksheet("空表")
    other = wb.add_worksheet("附表")
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    dt_fmt = wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    filled = wb.add_format({"bg_color": "#ffff00"})
    ws.merge_range("A1:F1", "慈溪市某某花名册")
    ws.write("A2", "填报单位：坎墩街道")
    ws.write_row(3, 0, ["姓名", "电话", "日期", "时间", "在册", "合计"])
    ws.write_row(4, 0, ["张三", 13812345678])
    ws.write_datetime(4, 2, dt.datetime(2021, 3, 5), date_fmt)
    ws.write_datetime(4, 3, dt.datetime(2021, 3, 5, 8, 30, 1), dt_fmt)
    ws.write_boolean(4, 4, True)
    ws.write_formula(4, 5, "=1+2", None, 3)
    ws.write_row(5, 0, ["李四", 1e20, None, None, False, 63.29])
    ws.merge_range("A7:A8", "合并")
    ws.write_string(6, 1, "=cmd|' /C calc'!A0")
    ws.write_string(7, 1, "@SUM(A1)")
    ws.write_row(8, 0, ["姓名", "电话", "日期", "时间", "在册", "合计"])
    ws.set_row(20, None, filled)
    ws.write_blank(20, 0, None, filled)
    other.write_row(0, 0, ["编号", "名称"])
    other.write_row(1, 0, ["001", "甲"])
    wb.close()


def test_workbook_cells_become_text_people_see(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    make_workbook(path)
    assert list_tables(path) == ["名单", "附表"]
    source = open_source(path)
    assert (source.format, source.sheet, source.encoding) == ("xlsx", "名单", None)
    table, rejects = source.read_all()
    assert table.column_names == ["姓名", "电话", "日期", "时间", "在册", "合计"]
    rows = table.to_pylist()
    assert rows[0] == {"姓名": "张三", "电话": "13812345678", "日期": "2021-03-05", "时间": "2021-03-05 08:30:01",
                       "在册": "TRUE", "合计": "3"}
    assert rows[1]["电话"] == "100000000000000000000" and rows[1]["合计"] == "63.29" and rows[1]["在册"] == "FALSE"
    assert rows[2]["姓名"] == rows[3]["姓名"] == "合并"
    assert rows[2]["电话"] == "=cmd|' /C calc'!A0" and rows[3]["电话"] == "@SUM(A1)"
    assert [(r.line, r.code) for r in rejects] == [(9, "header_repeat")]
    assert len(rows) == 4


def test_sheet_choice(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    make_workbook(path)
    table, _ = open_source(path, sheet="附表").read_all()
    assert table.to_pylist() == [{"编号": "001", "名称": "甲"}]
    with pytest.raises(InputError) as info:
        open_source(path, sheet="不存在")
    assert "名单" in (info.value.hint or "")
    with pytest.raises(InputError):
        open_source(path, sheet="空表")


def test_workbook_named_csv_and_truncated_workbook(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    make_workbook(path)
    disguised = tmp_path / "export.csv"
    disguised.write_bytes(path.read_bytes())
    assert open_source(disguised).format == "xlsx"
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(InputError):
        open_source(cut)


def test_every_sheet_empty(tmp_path: Path) -> None:
    path = tmp_path / "empty.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    wb.add_worksheet("a")
    wb.add_worksheet("b")
    wb.close()
    with pytest.raises(InputError) as info:
        open_source(path)
    assert "空" in info.value.message


def test_jsonl(tmp_path: Path) -> None:
    lines = [
        '{"姓名": "张三", "金额": 15956.20, "标签": ["a", 1], "有效": true}',
        "",
        '{"电话": "138", "姓名": "李四", "金额": 12, "有效": null}',
        '[1, 2]',
        '{"姓名": "王五", "嵌套": {"k": "值"}}',
        '{"姓名": "cut',
    ]
    path = tmp_path / "data.txt"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    source = open_source(path)
    table, rejects = source.read_all()
    assert source.format == "jsonl"
    assert table.column_names == ["姓名", "金额", "标签", "有效", "电话", "嵌套"]
    assert table.to_pylist()[0] == {"姓名": "张三", "金额": "15956.20", "标签": '["a",1]', "有效": "true",
                                    "电话": None, "嵌套": None}
    assert table.column("嵌套")[2].as_py() == '{"k":"值"}'
    assert [(r.line, r.code) for r in rejects] == [(4, "not_object"), (6, "bad_json")]


def test_parquet_keeps_native_types(tmp_path: Path) -> None:
    path = tmp_path / "data.bin"
    table = pa.table({"id": pa.array([1, 2], pa.int64()), " 名称 ": ["a", "b"], "日期": pa.array([0, 1], pa.date32())})
    pq.write_table(table, path)
    source = open_source(path)
    out, rejects = source.read_all()
    assert source.format == "parquet" and rejects == []
    assert out.schema.names == ["id", "名称", "日期"]
    assert out.schema.field("日期").type == pa.date32()
    assert out.column("id").to_pylist() == [1, 2]


@pytest.mark.parametrize("data,words", [
    (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "PNG"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "Excel"),
    (bytes(range(256)) * 8, "二进制"),
    (b"%PDF-1.4\n...", "PDF"),
])
def test_not_a_table(tmp_path: Path, data: bytes, words: str) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(data)
    with pytest.raises(InputError) as info:
        open_source(path).read_all()
    assert words in info.value.message and "x.csv" in info.value.message


def test_other_zip_and_missing_paths(tmp_path: Path) -> None:
    path = tmp_path / "doc.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("word/document.xml", "<xml/>")
    with pytest.raises(InputError):
        open_source(path)
    with pytest.raises(InputError) as info:
        open_source(tmp_path / "nope.csv")
    assert "找不到" in info.value.message
    with pytest.raises(InputError):
        open_source(tmp_path)


def test_json_object_file_without_objects(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text("{not json\n", "utf-8")
    with pytest.raises(InputError):
        open_source(path)
    path.write_text(json.dumps({"a": 1}) + "\n", "utf-8")
    assert open_source(path).read_all()[0].num_rows == 1


def test_json_array_and_wrapped_documents(tmp_path: Path) -> None:
    records = '[\n  {"姓名": "张三", "金额": 15956.20, "标签": ["a"]},\n  7,\n  {"电话": "138", "姓名": "李四"}\n]\n'
    path = tmp_path / "export.json"
    path.write_text(records, "utf-8")
    source = open_source(path)
    table, rejects = source.read_all()
    assert source.format == "json"
    assert table.column_names == ["姓名", "金额", "标签", "电话"]
    assert table.to_pylist() == [{"姓名": "张三", "金额": "15956.20", "标签": '["a"]', "电话": None},
                                 {"姓名": "李四", "金额": None, "标签": None, "电话": "138"}]
    assert [(r.line, r.code) for r in rejects] == [(2, "not_object")]  # the 2nd record
    wrapped = tmp_path / "api.json"
    wrapped.write_text(json.dumps({"code": 0, "msg": "ok", "data": [{"a": 1}, {"a": 2}]}, indent=2), "utf-8")
    assert open_source(wrapped).read_all()[0].column("a").to_pylist() == ["1", "2"]


def test_bad_json_documents_are_refused_whole(tmp_path: Path) -> None:
    path = tmp_path / "cut.json"
    path.write_text('[{"a": 1}, {"a": ', "utf-8")
    with pytest.raises(InputError) as info:
        open_source(path)
    assert "第 1 行" in info.value.message and "cut.json" in info.value.message
    path.write_text(json.dumps({"meta": {"n": 2}, "rows": [1, 2]}, indent=2), "utf-8")
    with pytest.raises(InputError):  # pretty-printed, but no records in it
        open_source(path).read_all()


def test_jsonl_with_a_broken_first_line_is_still_json_lines(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text('{"a": 1, "b":\n{"a": 2}\n{"a": 3}\n', "utf-8")
    source = open_source(path)
    table, rejects = source.read_all()
    assert source.format == "jsonl"
    assert table.column("a").to_pylist() == ["2", "3"] and [r.line for r in rejects] == [1]


@pytest.mark.parametrize("page", ["<!DOCTYPE html>\n<html><body>502 Bad Gateway</body></html>",
                                  "<?xml version='1.0'?><rows><row a='1'/></rows>",
                                  "\n  <html>\n<head><title>登录</title></head>"])
def test_markup_pages_are_not_tables(tmp_path: Path, page: str) -> None:
    path = tmp_path / "export.csv"
    path.write_text(page, "utf-8")
    with pytest.raises(InputError) as info:
        open_source(path)
    assert "网页" in info.value.message


def test_a_csv_whose_first_field_starts_with_a_bracket_is_still_csv(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("<备注>,数量\n<a>,1\n", "utf-8")
    assert open_source(path).read_all()[0].num_rows == 1


def test_bracketed_csv_headers_are_csv(tmp_path: Path) -> None:
    path = tmp_path / "sqlserver.csv"
    path.write_text("[编号],[名称]\n1,甲\n", "utf-8")
    source = open_source(path)
    assert source.format == "csv" and source.read_all()[0].column_names == ["[编号]", "[名称]"]


def test_two_level_headers_and_hidden_sheets(tmp_path: Path) -> None:
    path = tmp_path / "report.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    hidden = wb.add_worksheet("底稿")
    hidden.write_row(0, 0, ["草稿", "x"])
    hidden.write_row(1, 0, ["1", "2"])
    hidden.hide()
    ws = wb.add_worksheet("报表")
    ws.merge_range("A1:D1", "慈溪市某某情况表")
    ws.merge_range("A2:A3", "序号")
    ws.merge_range("B2:C2", "联系人")
    ws.write_row(2, 1, ["姓名", "电话"])
    ws.merge_range("D2:D3", "金额")
    ws.write_row(3, 0, [1, "张三", "13812345678", 10.5])
    ws.write_row(4, 0, [2, "李四", "13912345678"])
    ws.write_row(5, 0, ["序号", "姓名", "电话", "金额"])  # a repeated (last) header row
    ws.activate()
    wide = wb.add_worksheet("宽表头")
    wide.write_row(0, 0, ["编号"])
    wide.merge_range("B1:C1", "备注")
    wide.write_row(1, 0, ["001", "甲", "乙"])
    wide.write_row(2, 0, ["002", "丙", None])
    wb.close()
    source = open_source(path)
    table, rejects = source.read_all()
    assert source.sheet == "报表"  # the hidden sheet is not the default
    assert table.column_names == ["序号", "联系人_姓名", "联系人_电话", "金额"]
    assert table.to_pylist()[0] == {"序号": "1", "联系人_姓名": "张三", "联系人_电话": "13812345678", "金额": "10.5"}
    assert [(r.line, r.code) for r in rejects] == [(6, "header_repeat")]
    # a header cell merged over two columns whose next row is data stays a one-row header
    other, _ = open_source(path, sheet="宽表头").read_all()
    assert other.num_rows == 2 and other.column("编号").to_pylist() == ["001", "002"]


def test_jsonl_raw_nul_is_a_nul_byte_reject(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_bytes(b'{"a": "1"}\n{"a": "x\x00y"}\n')
    table, rejects = open_source(path).read_all()
    assert table.column("a").to_pylist() == ["1"] and [(r.line, r.code) for r in rejects] == [(2, "nul_byte")]
