"""Opening a file as a table source: the one entry point the warehouse calls.

Whole-file problems (missing, empty, not a table, unreadable container, unknown sheet) raise one
``InputError`` here, before anything is written; row-level problems are data (``RejectedRow``).
"""

from __future__ import annotations

import re
from pathlib import Path

from shucang.errors import InputError
from shucang.ingest.csv_source import CsvSource
from shucang.ingest.excel_source import open_sheet, workbook_tables
from shucang.ingest.json_document import JsonDocumentSource, json_document_records
from shucang.ingest.jsonl_source import JsonlSource
from shucang.ingest.model import ReadOptions, TableSource
from shucang.ingest.parquet_source import ParquetSource
from shucang.ingest.sniff import normalise_encoding, not_a_table, sniff_encoding, sniff_format

_WHITESPACE = b" \t\r\n\x0b\x0c"
_MARKUP = re.compile(r"<(?:!doctype\s+html|html|\?xml|head|body|!--)", re.IGNORECASE)


def _check_file(path: Path) -> tuple[int, bytes]:
    if not path.exists():
        raise InputError(f"找不到文件 {path} (no such file: {path})", hint="请检查路径 (check the path)")
    if path.is_dir():
        raise InputError(f"{path} 是目录，不是文件 ({path} is a directory, not a file)",
                         hint="请指定目录中的某个文件 (name one file in it)")
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(1 << 16)
    except OSError as exc:
        raise InputError(f"无法读取 {path} (cannot read {path}: {exc.strerror})",
                         hint="请检查文件权限 (check the file's permissions)") from None
    if size == 0:
        raise InputError(f"文件 {path.name} 是空的 ({path.name} is empty: 0 bytes)",
                         hint="请检查导出是否成功 (check the export worked)")
    return size, head


def _is_blank(path: Path, head: bytes, size: int) -> bool:
    """Whitespace only (in any of the text encodings, BOM included)?"""
    if size > len(head):
        return False
    text = head
    for bom in (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"):
        if text.startswith(bom):
            text = text[len(bom):]
            break
    return not text.replace(b"\x00", b"").strip(_WHITESPACE)


def open_source(path: str | Path, *, sheet: str | None = None, options: ReadOptions | None = None) -> TableSource:
    """Open one table of ``path`` — format by content, encoding and delimiter sniffed (see ``ReadOptions``)."""
    path = Path(path)
    options = options or ReadOptions()
    size, head = _check_file(path)
    if _is_blank(path, head, size):
        raise InputError(f"文件 {path.name} 只有空白，没有表头 ({path.name} is blank: no header)",
                         hint="请检查导出是否成功 (check the export worked)")
    fmt = sniff_format(path, head)
    if fmt in ("xlsx", "xls", "ods"):
        return open_sheet(path, fmt, sheet, options, size)
    if sheet is not None:
        raise InputError(f"{path.name} 不是工作簿，没有工作表 {sheet!r} ({path.name} is not a workbook: no sheets)",
                         hint="去掉 --sheet 选项 (drop the --sheet option)")
    if fmt == "parquet":
        return ParquetSource(path, options, size)
    encoding = normalise_encoding(options.encoding) if options.encoding else sniff_encoding(
        path, size, options.sample_bytes)
    if encoding == "utf-16":
        encoding = "utf-16-be" if head.startswith(b"\xfe\xff") else "utf-16-le"
    first = _first_char(path, encoding)
    records = json_document_records(path, encoding, first, size)
    if records is not None:
        return JsonDocumentSource(path, encoding, options, size, records)
    if first == "{":
        return JsonlSource(path, encoding, options, size)
    if first == "<" and _MARKUP.match(_head_text(path, encoding)):
        raise not_a_table(path, "这是网页或 XML 文档（常见于把报错页面存成了文件），不是表格 "
                                "(an HTML/XML page — often an error page saved instead of the export)")
    return CsvSource(path, encoding, options, size)


def _head_text(path: Path, encoding: str) -> str:
    """The start of a text file, blanks and BOM stripped."""
    with path.open("rb") as fh:
        head = fh.read(4096)
    text = head.decode(encoding.removesuffix("-sig") if not encoding.startswith("utf-16") else encoding,
                       "ignore")
    return text.lstrip(" \t\r\n\ufeff\u3000")


def _first_char(path: Path, encoding: str) -> str:
    """The first non-blank character of a text file."""
    return _head_text(path, encoding)[:1]


def list_tables(path: str | Path) -> list[str | None]:
    """Sheets holding a table (workbooks), or ``[None]`` for single-table formats."""
    path = Path(path)
    size, head = _check_file(path)
    fmt = sniff_format(path, head)
    if fmt in ("xlsx", "xls", "ods"):
        _, names = workbook_tables(path)
        return list(names)
    return [None]
