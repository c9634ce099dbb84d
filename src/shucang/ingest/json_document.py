"""A JSON document holding records — ``[{…}, {…}]`` or ``{"data": [{…}, …]}`` — as a table.

Many systems export a JSON array rather than JSON lines. The document is parsed whole (it has no
line structure to stream by), so its size is capped; each element then goes through the same row
logic as a JSON-lines record (:class:`JsonlSource`): the union of keys as columns, values as their
JSON text, and a non-object element quarantined — with its record number (1-based) as its ``line``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

from shucang.errors import InputError
from shucang.ingest.jsonl_source import JsonlSource, JsonNumber, TooDeep, dump
from shucang.ingest.model import ReadOptions

MAX_DOCUMENT_BYTES = 512 << 20
"""Larger JSON documents must come as JSON lines (one object per line), which stream."""
_ARRAY_START = re.compile(r'^\[\s*(?:$|[\[{\]"])')
"""How a JSON array of records begins (``[`` alone, ``[{``, ``[[``, ``["``, ``[]``)."""


def json_document_records(path: Path, encoding: str, first_char: str, size: int) -> list[Any] | None:
    """The records when the file is one JSON document, else None (JSON lines or other text).

    ``[`` always means a document (an unreadable one is a whole-file error). ``{`` means JSON lines
    unless the first line is not a whole object and the whole file parses as one object holding a
    list of records (a pretty-printed export); a JSON-lines file with a broken first line stays
    JSON lines, so its other lines still load.
    """
    if first_char not in "[{" or not first_char:
        return None
    with path.open("rb") as fh:
        head = fh.read(1 << 20)
    lines = head.decode(encoding.removesuffix("-sig"), "ignore").lstrip(" \t\r\n\ufeff\u3000").splitlines()
    if first_char == "[":
        if not _ARRAY_START.match(lines[0] if lines else ""):
            return None  # e.g. a SQL Server export whose header reads ``[编号],[名称]``
        _check_size(path, size)
        return _record_list(path, encoding, _parse(path, encoding))
    if size > MAX_DOCUMENT_BYTES:
        return None
    try:
        json.loads(lines[0] if lines else "")
        return None
    except ValueError:
        pass
    try:
        document = _parse(path, encoding)
    except InputError:
        return None
    return _record_list(path, encoding, document) if isinstance(document, dict) else None


def _record_text(record: Any) -> str:
    """A record's JSON text for a reject (kept as read when it was too deep to parse)."""
    return record.text if isinstance(record, TooDeep) else _shown(record)


class JsonDocumentSource(JsonlSource):
    """Records of one JSON document (see module docstring)."""

    format = "json"

    def __init__(self, path: Path, encoding: str, options: ReadOptions, size: int, records: list[Any]) -> None:
        self._document = records
        super().__init__(path, encoding, options, size)

    def _records(self) -> Iterator[tuple[int, Callable[[], str], Any]]:
        """Each record, numbered from 1, already parsed; its JSON text only when a reject shows it."""
        for number, record in enumerate(self._document, start=1):
            yield number, partial(_record_text, record), record
        self._bytes_done = self.size_bytes


def _check_size(path: Path, size: int) -> None:
    if size > MAX_DOCUMENT_BYTES:
        raise InputError(f"JSON 文档 {path.name} 太大（{size / 2**20:,.0f} MB，上限 "
                         f"{MAX_DOCUMENT_BYTES >> 20} MB）(JSON document too large to load whole)",
                         hint="请改用 JSON lines：每行一个对象 (export JSON lines: one object per line)")


def _parse(path: Path, encoding: str) -> Any:
    """The whole document, or one clear error."""
    try:
        text = path.read_bytes().decode(encoding.removesuffix("-sig"))
    except UnicodeDecodeError as exc:
        raise InputError(f"JSON 文档 {path.name} 无法按 {encoding} 解码 (does not decode as {encoding}: "
                         f"byte {exc.start})", hint="请以 UTF-8 重新导出 (export it again as UTF-8)") from None
    text = text.lstrip("\ufeff")
    try:
        return json.loads(text, parse_float=JsonNumber, parse_int=JsonNumber)
    except RecursionError:
        return _elements(path, text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path.name} 不是有效的 JSON（第 {exc.lineno} 行第 {exc.colno} 列：{exc.msg}）"
                         f"(invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg})",
                         hint="文件可能被截断；请重新导出 (the file may be cut off: export it again)") from None


def _record_list(path: Path, encoding: str, document: Any) -> list[Any]:
    """The list of records in a parsed document, or one clear error."""
    if isinstance(document, list):
        return document
    if isinstance(document, dict):
        lists = [v for v in document.values() if isinstance(v, list) and any(isinstance(x, dict) for x in v)]
        if len(lists) == 1:
            return lists[0]
    raise InputError(f"{path.name} 是 JSON 文档，但找不到记录列表 (a JSON document without one list of records)",
                     hint='应为 [{…}, {…}] 或 {"data": [{…}, …]} (expected an array of objects)')


def _shown(record: Any) -> str:
    try:
        return dump(record)
    except RecursionError:
        return "(嵌套过深 nested too deep)"


_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{},]')


def _elements(path: Path, text: str) -> list[Any]:
    """A top-level array whose parse ran out of stack: its elements one by one, the too-deep ones as
    ``TooDeep`` (quarantined as records, the others load). Only this rare path scans token by token."""
    body = text.strip()
    if not body.startswith("["):
        raise InputError(f"{path.name} 的 JSON 嵌套层数过多，无法读取 (JSON nested too deep to read)",
                         hint="请导出为 JSON lines：每行一个对象 (export JSON lines: one object per line)")
    out: list[Any] = []
    depth, start = 0, 1
    for match in _TOKEN.finditer(body):
        tok = match.group()
        if tok in "[{":
            depth += 1
        elif tok in "]}":
            depth -= 1
            if depth == 0:
                _element(body[start:match.start()], out)
                break
        elif tok == "," and depth == 1:
            _element(body[start:match.start()], out)
            start = match.end()
    return out


def _element(part: str, out: list[Any]) -> None:
    part = part.strip()
    if not part:
        return
    try:
        out.append(json.loads(part, parse_float=JsonNumber, parse_int=JsonNumber))
    except RecursionError:
        out.append(TooDeep(part if len(part) <= 4096 else part[:4096] + "…"))
    except json.JSONDecodeError as exc:
        out.append(exc)
