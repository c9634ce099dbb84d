"""Delimited text: line endings, quoting, blank and bad records, encodings — fast and careful paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from shucang.errors import InputError
from shucang.ingest import ReadOptions, open_source

SMALL = ReadOptions(block_bytes=64)


def read(tmp_path: Path, data: bytes, options: ReadOptions | None = None, name: str = "t.csv"):
    path = tmp_path / name
    path.write_bytes(data)
    source = open_source(path, options=options)
    table, rejects = source.read_all()
    return source, table, rejects


@pytest.mark.parametrize("options", [None, SMALL], ids=["one-block", "tiny-blocks"])
@pytest.mark.parametrize("eol", ["\n", "\r\n", "\r"])
def test_line_endings_and_multiline_quotes(tmp_path: Path, eol: str, options: ReadOptions | None) -> None:
    text = eol.join(["姓名,备注,金额", '张三,"第一行\n第二行",1', '李四,"说""好的""",2', "王五,,3", ""])
    _, table, rejects = read(tmp_path, text.encode(), options)
    assert rejects == []
    assert table.to_pylist() == [
        {"姓名": "张三", "备注": "第一行\n第二行", "金额": "1"},
        {"姓名": "李四", "备注": '说"好的"', "金额": "2"},
        {"姓名": "王五", "备注": None, "金额": "3"},
    ]


@pytest.mark.parametrize("options", [None, SMALL], ids=["one-block", "tiny-blocks"])
def test_bad_records_have_their_physical_line(tmp_path: Path, options: ReadOptions | None) -> None:
    lines = ["a,b,c", "1,2,3", '"x\ny",5,6', "1,2", "", "   ", ",,", "a,b,c", "7,8,9\x00", "1,2,3,4", "9,9,9"]
    _, table, rejects = read(tmp_path, "\n".join(lines).encode() + b"\n", options)
    assert [(r.line, r.code) for r in rejects] == [(5, "field_count"), (9, "header_repeat"), (10, "nul_byte"),
                                                   (11, "field_count")]
    assert table.num_rows == 3
    assert table.column("a").to_pylist() == ["1", "x\ny", "9"]


def test_mixed_line_endings_count_lines_exactly(tmp_path: Path) -> None:
    data = b"a,b\r\n1,2\n3,4\r5\r\n6,7\n"
    _, table, rejects = read(tmp_path, data)
    assert [(r.line, r.code) for r in rejects] == [(4, "field_count")]
    assert table.num_rows == 3


def test_unclosed_quote_runs_to_eof(tmp_path: Path) -> None:
    data = b'a,b\n1,2\n3,"never closed\n4,5\n6,7\n'
    _, table, rejects = read(tmp_path, data)
    assert [(r.line, r.code) for r in rejects] == [(3, "unclosed_quote")]
    assert table.num_rows == 1
    assert "never closed" in rejects[0].raw


def test_unclosed_quote_without_final_newline(tmp_path: Path) -> None:
    _, table, rejects = read(tmp_path, b'a,b\n1,2\n3,"oops')
    assert [(r.line, r.code) for r in rejects] == [(3, "unclosed_quote")]
    assert table.num_rows == 1


def test_stray_quote_inside_unquoted_field_is_data(tmp_path: Path) -> None:
    data = b'name,size\n17"\xe6\x98\xbe\xe7\xa4\xba\xe5\x99\xa8,1\nx,2\n'
    for options in (None, SMALL):
        _, table, rejects = read(tmp_path, data, options)
        assert rejects == []
        assert table.column("name").to_pylist() == ['17"显示器', "x"]


def test_field_too_long(tmp_path: Path) -> None:
    data = b"a,b\n1," + b"x" * 50 + b"\n2,ok\n"
    _, table, rejects = read(tmp_path, data, ReadOptions(max_field_chars=20))
    assert [(r.line, r.code) for r in rejects] == [(2, "field_too_long")]
    assert table.column("b").to_pylist() == ["ok"]


@pytest.mark.parametrize("delim", [",", ";", "\t", "|"])
def test_delimiters_sniffed_from_header(tmp_path: Path, delim: str) -> None:
    data = delim.join(["姓名", "电话", "地址"]).encode() + b"\n" + delim.join(["张三", "138", "慈溪,浒山"]).encode()
    if delim == ",":
        data = "姓名,电话,地址\n张三,138,\"慈溪,浒山\"".encode()
    source, table, _ = read(tmp_path, data)
    assert source.delimiter == delim
    assert table.to_pylist() == [{"姓名": "张三", "电话": "138", "地址": "慈溪,浒山"}]


def test_one_column_file_has_no_delimiter(tmp_path: Path) -> None:
    source, table, _ = read(tmp_path, "手机号码\n13800000000\n\n13900000000\n".encode())
    assert source.delimiter is None
    assert table.column("手机号码").to_pylist() == ["13800000000", "13900000000"]


@pytest.mark.parametrize("encoding,bom", [("utf-8", b"\xef\xbb\xbf"), ("utf-16-le", b"\xff\xfe"),
                                          ("utf-16-be", b"\xfe\xff"), ("gb18030", b"")])
def test_encodings(tmp_path: Path, encoding: str, bom: bytes) -> None:
    text = "姓名,说明\r\n刘䶮,𠀀字与€\r\n"
    source, table, rejects = read(tmp_path, bom + text.encode(encoding))
    assert rejects == []
    assert table.column_names == ["姓名", "说明"]
    assert table.to_pylist() == [{"姓名": "刘䶮", "说明": "𠀀字与€"}]
    assert source.encoding == (encoding + "-sig" if encoding == "utf-8" else encoding)


def test_gb18030_file_with_an_undecodable_line(tmp_path: Path) -> None:
    good = "姓名,金额\n张三,1\n李四,2\n王五,3\n".encode("gb18030")
    data = good + b"\x81\x30\x81,9\n" + "赵六,4\n".encode("gb18030")
    source, table, rejects = read(tmp_path, data)
    assert source.encoding == "gb18030"
    assert [(r.line, r.code) for r in rejects] == [(5, "decode_error")]
    assert table.column("姓名").to_pylist() == ["张三", "李四", "王五", "赵六"]


def test_encoding_override(tmp_path: Path) -> None:
    data = "名称\n数据\n".encode("gb18030")
    source, table, _ = read(tmp_path, data, ReadOptions(encoding="gbk"))
    assert source.encoding == "gb18030" and table.column("名称").to_pylist() == ["数据"]


def test_header_rules(tmp_path: Path) -> None:
    data = "\ufeff 姓名 ,,电话,电话,,\n张三,x,1,2,,\n".encode()
    _, table, _ = read(tmp_path, data)
    assert table.column_names == ["姓名", "列2", "电话", "电话_2"]


def test_unnamed_column_with_late_data_is_quarantined(tmp_path: Path) -> None:
    rows = ["a,b,"] + [f"{i},{i}," for i in range(30_000)] + ["x,y,surprise"]
    _, table, rejects = read(tmp_path, "\n".join(rows).encode())
    assert table.column_names == ["a", "b"]
    assert [(r.line, r.code) for r in rejects] == [(30_002, "unnamed_data")]


def test_values_verbatim(tmp_path: Path) -> None:
    data = "a,b\n=1+2, 前后空格 \n\t=1+1,@SUM(A1)\n-5,+86 138\n".encode()
    _, table, _ = read(tmp_path, data)
    assert table.to_pylist() == [{"a": "=1+2", "b": " 前后空格 "}, {"a": "\t=1+1", "b": "@SUM(A1)"},
                                 {"a": "-5", "b": "+86 138"}]


def test_leading_blank_lines_before_header(tmp_path: Path) -> None:
    _, table, rejects = read(tmp_path, b"\n\n  \na,b\n1,2\nbad\n")
    assert table.column_names == ["a", "b"]
    assert [(r.line, r.code) for r in rejects] == [(6, "field_count")]


@pytest.mark.parametrize("data", [b"", b"   \n\t\r\n", b"\xef\xbb\xbf\n \n", b"\xff\xfe \x00\n\x00"])
def test_blank_files_rejected(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "blank.csv"
    path.write_bytes(data)
    with pytest.raises(InputError):
        open_source(path)


def test_many_blocks_fast_path_matches_careful(tmp_path: Path) -> None:
    rows = ["id,name,note"] + [f'{i},名字{i},"说明,{i}"' for i in range(5000)]
    rows[2500] = "oops"
    data = ("\n".join(rows) + "\n").encode()
    source, table, rejects = read(tmp_path, data, ReadOptions(block_bytes=4096))
    assert source.fast_blocks > 0 and source.careful_blocks > 0
    assert [(r.line, r.code) for r in rejects] == [(2501, "field_count")]
    assert table.num_rows == 4999
    assert table.column("note")[-1].as_py() == "说明,4999"


@pytest.mark.parametrize("options", [None, ReadOptions(block_bytes=16)])
def test_title_lines_above_a_csv_header_are_skipped(tmp_path: Path, options: ReadOptions | None) -> None:
    path = tmp_path / "report.csv"
    path.write_text("慈溪市2024年补贴发放表\n\n填报单位：坎墩街道,,,\n序号,姓名,金额,备注\n1,张三,100,\n"
                    "2,李四,200,无\n3,王五,x,y,z\n", "utf-8")
    table, rejects = open_source(path, options=options).read_all()
    assert table.column_names == ["序号", "姓名", "金额", "备注"]
    assert table.column("姓名").to_pylist() == ["张三", "李四"]
    assert [r.line for r in rejects] == [7]  # physical line numbers still count the title lines


@pytest.mark.parametrize("text", ["名称,,\n甲,1,2\n乙,3,4\n",  # unnamed columns: a header, not a title
                                  "身份证号\n330282\n浒山街道,10号\n1\n"])  # one column, a stray comma
def test_first_line_stays_the_header_when_it_is_not_a_title(tmp_path: Path, text: str) -> None:
    path = tmp_path / "x.csv"
    path.write_text(text, "utf-8")
    source = open_source(path)
    assert source.header.names[0] == text.split(",")[0].split("\n")[0]
