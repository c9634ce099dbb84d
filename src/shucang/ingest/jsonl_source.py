"""JSON lines → all-string Arrow batches.

Columns are the union of the objects' keys in first-seen order, found by a first streaming pass.
Values keep their JSON text: strings as they are, numbers as written (``15956.20`` stays so),
``true``/``false``, nested arrays and objects as compact JSON text, ``null`` as null. A line that is
not valid JSON, or is valid JSON but not an object, is quarantined with its line number.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from decimal import Decimal
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
from shucang.ingest.textstream import TextBlock, prefetch, read_blocks, validate


def _loads(line: str) -> Any:
    return json.loads(line, parse_float=Decimal)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int | Decimal):
        return str(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=float)


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
            if not stripped:
                continue
            try:
                value: Any = _loads(stripped)
            except ValueError as exc:
                value = exc
            yield line, lambda text=text: text, value  # type: ignore[misc]

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
            elif not isinstance(obj, dict):
                bad = reject(line, "not_object", "不是 JSON 对象", "not a JSON object", text_of())
            if bad is None:
                values: list[str | None] = [None] * width
                for k, v in obj.items():
                    values[index[k]] = _text(v)
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
