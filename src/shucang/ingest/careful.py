"""The careful path for delimited text: Python's C ``csv`` module over decoded lines, record by record.

Used where Arrow's fast path cannot account for lines exactly (a block with a bad record, a NUL,
an over-long field, a repeated header, a quote that may run past the block). It knows the physical
line where every record starts, judges each record, and stops at a record boundary once it has
consumed the text it was given — pulling further blocks when a record runs on.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from shucang.ingest.header import Header, clean_name
from shucang.ingest.model import RejectedRow, reject
from shucang.ingest.textstream import BAD_LINE, TextBlock, blank_bad_lines

csv.field_size_limit((1 << 31) - 1)

ONE_COLUMN = "\x1f"
"""Delimiter used for one-column files (the ASCII unit separator never occurs in real text)."""


def decode_marked(data: bytes, first_line: int, encoding: str) -> tuple[str, list[RejectedRow]]:
    """UTF-8 bytes → text, undecodable lines blanked and reported."""
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError:
        return blank_bad_lines(data.decode("utf-8", "shucang-mark"), first_line, encoding)


class Feed:
    """Lines for ``csv.reader``: from a text, then from further blocks while a record runs on."""

    def __init__(self, text: str, blocks: Iterator[TextBlock], encoding: str) -> None:
        self.sio = io.StringIO(text, newline="")
        self.size = len(text)
        self.blocks = blocks
        self.encoding = encoding
        self.consumed = 0
        """Characters handed out from the first text (later blocks count too)."""
        self.lines: list[str] = []
        """Lines of the record being read."""
        self.eof = False
        """True once the last block of the file has been pulled."""
        self.rejects: list[RejectedRow] = []
        """decode_error rejects of blocks pulled here."""
        self.bytes_done: int | None = None
        self.next_line: int | None = None

    def __iter__(self) -> Feed:
        return self

    def _pull(self) -> str | None:
        """The next block's text (its decode rejects kept); None at the end of the file."""
        block = next(self.blocks, None)
        if block is None:
            self.eof = True
            return None
        self.eof = block.eof
        self.bytes_done = block.bytes_done
        self.rejects.extend(block.rejects)
        text, bad = decode_marked(block.data, block.first_line, self.encoding)
        self.rejects.extend(bad)
        return text

    def __next__(self) -> str:
        line = self.sio.readline()
        while line and line[-1] not in "\r\n" and not self.eof:
            text = self._pull()
            if text is None:
                break
            self.sio = io.StringIO(line + text, newline="")
            self.size = len(line) + len(text)
            line = self.sio.readline()
        if not line:
            raise StopIteration
        self.consumed += len(line)
        self.lines.append(line)
        return line

    def at_end(self) -> bool:
        """No more text at all: the current record is the file's last."""
        if self.sio.tell() < self.size:
            return False
        while not self.eof:
            text = self._pull()
            if text is None:
                break
            if text:
                self.sio = io.StringIO(text, newline="")
                self.size = len(text)
                return False
        return True

    def leftover(self) -> str:
        """Text not yet handed out."""
        return self.sio.read()


@dataclass
class CarefulResult:
    """What a careful pass produced and where it stopped."""

    columns: list[list[str]]
    rejects: list[RejectedRow] = field(default_factory=list)
    leftover: str = ""
    next_line: int = 0
    eof: bool = False
    bytes_done: int | None = None


def _record_pattern(delimiter: str) -> re.Pattern[str]:
    d = re.escape(delimiter)
    fld = rf'(?:"(?:[^"]|"")*"[^{d}\r\n]*|(?:[^"{d}\r\n][^{d}\r\n]*)?)'
    return re.compile(rf"{fld}(?:{d}{fld})*(?:\r\n|\r|\n)?", re.DOTALL)


class Judge:
    """Decides, record by record, whether a parsed record loads, is blank, or is bad (and why)."""

    def __init__(self, header: Header, delimiter: str, max_field_chars: int) -> None:
        self.header = header
        self.width = header.width
        self.delimiter = delimiter
        self.max_field = max_field_chars
        self.header_key = tuple(clean_name(c) for c in header.raw)
        self.dropped = header.dropped
        self.closed = _record_pattern(delimiter)

    def judge(self, fields: list[str], raw: str, line: int, last: bool) -> RejectedRow | None | bool:
        """A reject, ``None`` (load it) or ``False`` (blank: skip, count nowhere)."""
        if last and raw and not self.closed.fullmatch(raw):
            return reject(line, "unclosed_quote", "引号未闭合，记录一直延续到文件末尾",
                          "a quote is opened and never closed before end of file", raw)
        if not any(f.strip() for f in fields):
            return False
        if BAD_LINE in raw:  # an undecodable line, alone or inside a quoted field: its reject counts it
            return False
        if "\x00" in raw:
            return reject(line, "nul_byte", "含有空字符 NUL", "contains a NUL byte", raw.replace("\x00", "\\0"))
        if len(fields) != self.width:
            return reject(line, "field_count", f"字段数 {len(fields)}，表头为 {self.width}",
                          f"{len(fields)} fields, header has {self.width}", raw)
        for i, value in enumerate(fields):
            if len(value) > self.max_field:
                return reject(line, "field_too_long",
                              f"第{i + 1}个字段长 {len(value):,} 字符，超过上限 {self.max_field:,}",
                              f"field {i + 1} has {len(value):,} characters, over the limit of {self.max_field:,}",
                              raw)
        if clean_name(fields[0]) == self.header_key[0] and tuple(clean_name(f) for f in fields) == self.header_key:
            return reject(line, "header_repeat", "重复的表头行", "repeats the header line", raw)
        for i in self.dropped:
            if fields[i].strip():
                return reject(line, "unnamed_data", f"第{i + 1}列没有列名，但此行有值",
                              f"column {i + 1} has no name but this record has a value there", raw)
        return None


def careful_pass(text: str, line0: int, target: int, blocks: Iterator[TextBlock], judge: Judge,
                 encoding: str, eof: bool) -> CarefulResult:
    """Read records from ``text`` (starting at physical line ``line0``) until ``target`` characters are
    consumed and a record has ended; ``eof`` says the text is the end of the file."""
    feed = Feed(text, blocks, encoding)
    feed.eof = eof
    reader = csv.reader(feed, delimiter=judge.delimiter, quotechar='"', doublequote=True, strict=False)
    keep = judge.header.keep
    rows: list[list[str]] = []
    rejects: list[RejectedRow] = []
    while feed.consumed < target:
        start = line0 + reader.line_num
        feed.lines.clear()
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:  # pragma: no cover - strict=False makes this rare
            raw = "".join(feed.lines)
            rejects.append(reject(start, "parse_error", f"无法解析：{exc}", f"cannot parse: {exc}", raw))
            continue
        raw = "".join(feed.lines)
        last = feed.at_end()
        verdict = judge.judge(fields, raw, start, last)
        if verdict is None:
            rows.append(fields)
        elif isinstance(verdict, RejectedRow):
            rejects.append(verdict)
    columns: list[list[str]] = [[r[i] for r in rows] for i in keep] if rows else [[] for _ in keep]
    eof_reached = feed.at_end()  # before taking the leftover: it may pull one more block
    rejects.extend(feed.rejects)
    return CarefulResult(columns=columns, rejects=rejects, leftover=feed.leftover(),
                         next_line=line0 + reader.line_num, eof=eof_reached, bytes_done=feed.bytes_done)


def to_batch(columns: list[list[str]], schema: pa.Schema) -> pa.RecordBatch:
    """Careful-path rows → an all-string batch, empty fields as nulls (as on the fast path)."""
    arrays = []
    for col in columns:
        arr = pa.array(col, pa.string())
        if len(arr):
            arr = pc.if_else(pc.equal(pc.binary_length(arr), 0), pa.scalar(None, pa.string()), arr)
        arrays.append(arr)
    return pa.RecordBatch.from_arrays(arrays, schema=schema)
