"""JSON lines → all-string Arrow batches.

Columns are the union of the objects' keys in first-seen order, found by a first streaming pass.
Values keep their JSON text: strings as they are, numbers as written (``15956.20`` stays so),
``true``/``false``, nested arrays and objects as compact JSON text, ``null`` as null. A line that is
not valid JSON, or is valid JSON but not an object, is quarantined with its line number.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pyarrow as pa

from shucang.errors import InputError
from shucang.ingest.header import build_header
from shucang.ingest.model import (
    Chunk,
    ReadOptions,
    RejectedRow,
    TableSource,
    empty_batch,
    reject,
    string_batch,
)
from shucang.ingest.textstream import BAD_LINE, TextBlock, prefetch, read_blocks, validate


class JsonNumber(str):
    """A JSON number exactly as written (``1e5``, ``0.10``, ``-0``, 30 digits): never through a float."""

    __slots__ = ()


class TooDeep:
    """A record nested deeper than the parser can follow (its text is kept for the reject)."""

    def __init__(self, text: str) -> None:
        self.text = text


def loads(text: str) -> Any:
    """Parse JSON keeping numbers as written; a record nested too deep is a ``TooDeep`` value."""
    try:
        return json.loads(text, parse_float=JsonNumber, parse_int=JsonNumber)
    except RecursionError:
        return TooDeep(text)


def dump(value: Any) -> str:
    """Compact JSON text of a parsed value, numbers as written (``json.dumps`` would quote them)."""
    if isinstance(value, JsonNumber):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, dict):
        return "{" + ",".join(json.dumps(str(k), ensure_ascii=False) + ":" + dump(v) for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(dump(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False, default=str)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return str(value)
    if value is True:
        return "true"
    if value is False:
        return "false"
    return dump(value)


class JsonlSource(TableSource):
    """A JSON-lines file: one object per line."""

    format = "jsonl"
    encoding: str

    def __init__(self, path: Path, encoding: str, options: ReadOptions, size: int) -> None:
        self.path = path
        self.encoding = encoding
        self.options = options
        self.size_bytes = size
        self.delimiter = None
        self.sheet = None
        self.base_encoding = encoding.removesuffix("-sig")
        self._pending_rejects: list[RejectedRow] = []
        self._bytes_done = 0
        keys: dict[str, None] = {}
        for _, _text_of, obj in self._records():
            if isinstance(obj, dict):
                for k in obj:
                    keys.setdefault(k, None)
        if not keys:
            raise InputError(f"{path.name} 中没有可读的 JSON 对象 (no readable JSON object in {path.name})",
                             hint="JSON lines 文件应每行一个对象 (one JSON object per line)")
        self.keys = list(keys)
        self.header = build_header(self.keys)
        self.schema = pa.schema([pa.field(n, pa.string()) for n in self.header.names])

    def _lines(self) -> Iterator[tuple[int, str]]:
        """(physical line, text) for every line of the file, undecodable lines already blanked."""
        blocks: Iterator[TextBlock] = read_blocks(self.path, self.encoding, self.options.block_bytes)
        if self.size_bytes > 2 * self.options.block_bytes:
            blocks = prefetch(blocks)
        for block in blocks:
            validate(block, self.base_encoding)
            self._pending_rejects.extend(block.rejects)
            self._bytes_done = block.bytes_done
            line = block.first_line
            for raw in block.data.splitlines():
                yield line, raw.decode("utf-8")
                line += 1

    def _records(self) -> Iterator[tuple[int, Callable[[], str], Any]]:
        """(line, its text for a reject, the parsed value or the ValueError) for every non-blank line."""
        for line, text in self._lines():
            stripped = text.strip()
            if not stripped or stripped == BAD_LINE:  # an undecodable line: already a decode_error
                continue
            try:
                value: Any = loads(stripped)
            except ValueError as exc:
                value = exc
            yield line, partial(str, text), value  # str(text) is text itself

    def chunks(self) -> Iterator[Chunk]:
        """Objects as rows, in batches of ``batch_rows``."""
        self._pending_rejects = []
        index = {k: i for i, k in enumerate(self.keys)}
        limit = self.options.max_field_chars
        width = len(self.keys)
        columns: list[list[str | None]] = [[] for _ in range(width)]
        rejects: list[RejectedRow] = []
        count = 0
        for line, text_of, obj in self._records():
            bad = None
            if isinstance(obj, ValueError):  # a raw NUL never parses (JSON forbids control characters)
                text = text_of()
                bad = (reject(line, "nul_byte", "含有空字符 NUL", "contains a NUL byte", text.replace("\x00", "\\0"))
                       if "\x00" in text else
                       reject(line, "bad_json", f"不是有效的 JSON：{obj}", f"invalid JSON: {obj}", text))
            elif isinstance(obj, TooDeep):
                bad = _too_deep(line, obj.text)
            elif not isinstance(obj, dict):
                bad = reject(line, "not_object", "不是 JSON 对象", "not a JSON object", text_of())
            if bad is None:
                values: list[str | None] = [None] * width
                try:
                    for k, v in obj.items():
                        values[index[k]] = _text(v)
                except RecursionError:
                    bad = _too_deep(line, text_of())
            if bad is None:
                long = next((k for k, v in zip(self.keys, values, strict=True) if v and len(v) > limit), None)
                if long is not None:
                    bad = reject(line, "field_too_long", f"字段 {long} 超过 {limit:,} 字符",
                                 f"field {long} is over {limit:,} characters", text_of())
                else:
                    for col, v in zip(columns, values, strict=True):
                        col.append(v)
                    count += 1
            if bad is not None:
                rejects.append(bad)
            if count >= self.options.batch_rows:
                yield Chunk(self._batch(columns), rejects + self._take_rejects(), self._bytes_done)
                columns = [[] for _ in range(width)]
                rejects = []
                count = 0
        if count or rejects or self._pending_rejects:
            batch = self._batch(columns) if count else empty_batch(self.schema)
            yield Chunk(batch, rejects + self._take_rejects(), self._bytes_done)

    def _take_rejects(self) -> list[RejectedRow]:
        out, self._pending_rejects = self._pending_rejects, []
        return out

    def _batch(self, columns: list[list[str | None]]) -> pa.RecordBatch:
        return string_batch([columns[i] for i in self.header.keep], self.schema)


def _too_deep(line: int, text: str) -> RejectedRow:
    return reject(line, "too_deep", "JSON 嵌套层数过多，无法读取", "JSON nested too deep to read", text)
