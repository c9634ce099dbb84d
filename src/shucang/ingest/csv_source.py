"""Delimited text → Arrow batches: a fast path (Arrow's C++ CSV parser) and a careful one.

The file is decoded into blocks of whole lines (``textstream``), cut where the quote count is even
so a quoted field is not split. Each block goes through ``pyarrow.csv`` with all columns as strings;
vectorised checks then look for anything that would need a line number (a bad record, NUL, an
over-long field, a repeated header, a record that may run past the block). A clean block loads as
is — no line numbers needed — and blank records are filtered out. Any other block is re-read by the
careful path (``careful.py``), which knows the physical line of every record.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from shucang.errors import InputError
from shucang.ingest.careful import ONE_COLUMN, Judge, careful_pass, decode_marked, to_batch
from shucang.ingest.header import MAX_TITLE_LINES, Header, build_header, looks_like_title
from shucang.ingest.model import Chunk, ReadOptions, RejectedRow, TableSource, empty_batch
from shucang.ingest.sniff import sniff_delimiter
from shucang.ingest.textstream import (
    BAD_LINE_BYTES,
    TextBlock,
    count_byte,
    count_lines,
    has_bad_line,
    prefetch,
    read_blocks,
)

_HAS_DATA_SAMPLE = 20_000
"""Records looked at to decide whether an unnamed column holds data."""
_HEADER_BYTES = 256 << 10
"""Text read to find the header (more only when the header has unnamed columns, or is not there yet)."""


_CONFIRM_LINES = 5
"""Lines after a header candidate that must mostly have its width before title lines are skipped."""


def _title_lines(text: str, delimiter: str | None) -> tuple[int, str] | None:
    """Title lines above the header of a report saved as CSV (``慈溪市…情况表``, ``填报单位：…,,,``).

    A title line has one field, or one non-empty field that reads as a title (``looks_like_title``);
    the header is the first line with two or more non-empty fields, confirmed by most (over half) of
    the next five lines having as many fields. Returns (title lines, header line), or None when the
    first line is the header — including a one-column table whose values later hold a delimiter (its
    header and first value are not titles: the lines after that value are not as wide).
    """
    lines = [ln for ln in text.splitlines()[:200] if ln.strip(" \t\ufeff\u3000")][:MAX_TITLE_LINES + 1
                                                                                   + _CONFIRM_LINES]

    def fields(line: str, delim: str | None) -> list[str]:
        return next(csv.reader([line], delimiter=delim or ONE_COLUMN, quotechar='"', strict=False), [])

    for k, line in enumerate(lines[:MAX_TITLE_LINES + 1]):
        delim = delimiter or sniff_delimiter(line)
        cells = fields(line, delim)
        filled = [f for f in cells if f.strip(" \t\ufeff\u3000")]
        if len(filled) < 2:
            if len(cells) > 1 and not (filled and looks_like_title(filled[0])):
                return None  # ``名称,,``: a header with unnamed columns, not a title
            continue  # a lone field: a title if a confirmed header follows (see below)
        if k == 0 or k + 1 >= len(lines):
            return None
        width = len(fields(line, delim))
        after = lines[k + 1:k + 1 + _CONFIRM_LINES]
        same = sum(len(fields(ln, delim)) == width for ln in after)
        return (k, line) if same * 2 > len(after) else None
    return None


class CsvSource(TableSource):
    """A delimited text file (CSV, TSV, ``;`` or ``|`` separated) in any supported encoding."""

    format = "csv"
    encoding: str

    def __init__(self, path: Path, encoding: str, options: ReadOptions, size: int) -> None:
        self.path = path
        self.encoding = encoding
        self.options = options
        self.size_bytes = size
        self.sheet = None
        self.base_encoding = encoding.removesuffix("-sig")
        self.header, self.data_line, delimiter = self._read_header()
        self.delimiter = delimiter
        self._parse_delim = delimiter or ONE_COLUMN
        self.schema = pa.schema([pa.field(n, pa.string()) for n in self.header.names])
        self.judge = Judge(self.header, self._parse_delim, options.max_field_chars)
        self.fast_blocks = 0
        self.careful_blocks = 0

    # ------------------------------------------------------------------ header
    def _read_header(self) -> tuple[Header, int, str | None]:
        """Header record, the physical line where data starts, and the delimiter."""
        blocks = read_blocks(self.path, self.encoding, min(_HEADER_BYTES, self.options.block_bytes))
        self._header_bad: list[RejectedRow] = []
        try:
            parts: list[str] = []
            size, eof, first = 0, False, None
            while first is None and not eof:  # the first non-blank line, however many blank ones precede it
                eof = self._read_more(blocks, parts, size + _HEADER_BYTES)
                size = sum(map(len, parts))
                first = next((ln for ln in "".join(parts).splitlines() if ln.strip(" \t\ufeff\u3000")), None)
            if first is None and self._header_bad:
                raise self._undecodable_header(self._header_bad[0].line)
            if first is None:
                raise InputError(f"文件 {self.path.name} 只有空白，没有表头 ({self.path.name} is empty or blank: "
                                 "no header)", hint="请检查导出是否成功 (check the export worked)")
            titles, first = _title_lines("".join(parts), self.options.delimiter) or (0, first)
            delimiter = self.options.delimiter or sniff_delimiter(_whole_record("".join(parts), first))
            reader, raw = self._header_record("".join(parts), delimiter, titles)
            blank_positions = [i for i, c in enumerate(raw) if not c.strip(" \t\ufeff\u3000")]
            if blank_positions and not eof:  # enough records to judge whether unnamed columns hold data
                self._read_more(blocks, parts, self.options.block_bytes)
                reader, raw = self._header_record("".join(parts), delimiter, titles)
        finally:
            blocks.close()
        data_line = reader.line_num + 1
        bad_above = [r.line for r in self._header_bad if r.line is not None and r.line < data_line]
        if bad_above:  # the blanked line was the header: the next line would be taken for it
            raise self._undecodable_header(bad_above[0])
        if any("\n" in c or "\r" in c for c in raw):
            self._check_header_quotes(raw, reader.line_num, eof and next(reader, None) is None, delimiter)
        has_data: list[bool] | None = None
        if blank_positions:
            has_data = [True] * len(raw)
            for i in blank_positions:
                has_data[i] = False
            for n, record in enumerate(reader):
                if n >= _HAS_DATA_SAMPLE:
                    break
                for i in blank_positions:
                    if i < len(record) and record[i].strip():
                        has_data[i] = True
        return build_header(raw, has_data), data_line, delimiter

    def _undecodable_header(self, line: int | None) -> InputError:
        return InputError(f"{self.path.name} 第{line}行（表头）无法按 {self.base_encoding} 解码 "
                          f"(line {line}, the header, does not decode as {self.base_encoding})",
                          hint="请用 --encoding 指定编码，或以 UTF-8 重新导出 "
                               "(name the encoding with --encoding, or export it again as UTF-8)")

    def _check_header_quotes(self, raw: list[str], lines: int, at_end: bool, delimiter: str | None) -> None:
        """A quote opened in the header and never closed swallows the file into one column name."""
        broken = [i for i, c in enumerate(raw) if "\n" in c or "\r" in c]
        if not broken:
            return
        cell = raw[broken[0]]
        swallowed = at_end or (cell.count("\n") + cell.count("\r") >= 2 and delimiter is not None and delimiter != "" and delimiter in cell)
        if swallowed:
            raise InputError(f"{self.path.name} 的表头第{broken[0] + 1}列引号未闭合，吞掉了后面 {lines - 1} 行 "
                             f"(the header's column {broken[0] + 1} opens a quote that is never closed: "
                             f"it swallows the next {lines - 1} lines)",
                             hint="请检查表头中的引号 \" (check the quotes in the header line)")

    @staticmethod
    def _header_record(text: str, delimiter: str | None, titles: int) -> tuple[Any, list[str]]:
        """A csv reader positioned just after the header — the first non-blank record after ``titles``
        title records — and the header record."""
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter or ONE_COLUMN,
                            quotechar='"', doublequote=True, strict=False)
        for record in reader:
            if any(f.strip(" \t\ufeff\u3000") for f in record):
                if titles:
                    titles -= 1
                    continue
                return reader, record
        raise InputError("没有表头 (no header)")  # pragma: no cover - the caller found a non-blank line

    def _read_more(self, blocks: Iterator[TextBlock], parts: list[str], until: int) -> bool:
        """Decode blocks into ``parts`` until they hold ``until`` characters; True at the end of the file."""
        size = sum(map(len, parts))
        for block in blocks:
            decoded, bad = decode_marked(block.data, block.first_line, self.base_encoding)
            self._header_bad.extend(block.rejects + bad)
            parts.append(decoded)
            size += len(decoded)
            if block.eof:
                return True
            if size >= until:
                return False
        return True

    # ------------------------------------------------------------------ streaming
    def chunks(self) -> Iterator[Chunk]:
        """Stream the file's records as chunks (see module docstring)."""
        blocks: Iterator[TextBlock] = read_blocks(self.path, self.encoding, self.options.block_bytes)
        if self.size_bytes > 2 * self.options.block_bytes:
            blocks = prefetch(blocks)
        pending = b""
        pending_line = 1
        bytes_done = 0
        finished = False
        while not finished:
            block = next(blocks, None)
            if block is None:
                block = TextBlock(b"", pending_line + count_lines(pending), bytes_done, True)
            bytes_done = block.bytes_done
            end_line = block.first_line + block.lines  # the line after ``data`` (pending + block)
            rejects: list[RejectedRow] = list(block.rejects)
            data = pending + block.data if pending else block.data
            line0 = pending_line if pending else block.first_line
            if line0 < self.data_line:
                off = _skip_lines(data, self.data_line - line0)
                line0 += count_lines(data[:off])
                data = data[off:]
            eof = block.eof
            cut = len(data) if eof else _even_quote_cut(data)
            if cut == 0 and not eof and len(data) < 8 * self.options.block_bytes:
                pending, pending_line = data, line0
                if rejects:
                    yield Chunk(empty_batch(self.schema), rejects, bytes_done)
                continue
            if cut == 0:
                cut = len(data)
            part, pending = data[:cut], data[cut:]
            pending_line = end_line - count_lines(pending) if pending else end_line
            table, part_rejects, part = self._fast(part, line0, eof and not pending)
            rejects.extend(part_rejects)
            if table is not None:
                self.fast_blocks += 1
                batches = table.to_batches()
                for batch in batches[:-1]:
                    yield Chunk(batch, [], bytes_done)
                yield Chunk(batches[-1] if batches else empty_batch(self.schema), rejects, bytes_done)
                finished = eof and not pending
                continue
            self.careful_blocks += 1
            text, bad = decode_marked(part, line0, self.base_encoding)
            more, bad_more = decode_marked(pending, pending_line, self.base_encoding)
            rejects.extend(bad + bad_more)
            target = len(text)
            result = careful_pass(text + more, line0, target, blocks, self.judge, self.base_encoding, eof)
            rejects.extend(result.rejects)
            if result.bytes_done is not None:
                bytes_done = result.bytes_done
            yield Chunk(to_batch(result.columns, self.schema), rejects, bytes_done)
            pending = result.leftover.encode("utf-8")
            pending_line = result.next_line
            finished = result.eof and not pending

    def _fast(self, part: bytes, line0: int, last: bool) -> tuple[pa.Table | None, list[RejectedRow], bytes]:
        """Arrow-parse one block; ``None`` when the careful path must take it (with the part to give it)."""
        if not part or part.isspace():  # (no ``strip()``: it would copy the whole block)
            return pa.Table.from_batches([], self.schema), [], part
        if b"\x00" in part:
            return None, [], part
        rejects: list[RejectedRow] = []
        marked = has_bad_line(part)
        table = None if marked else self._arrow(part)
        if table is None:
            if not marked:
                text, rejects = decode_marked(part, line0, self.base_encoding)
                if not rejects:
                    return None, [], part
                part = text.encode("utf-8")
            if count_byte(part, 34):  # a marked line may sit inside a quoted field: the careful path
                return None, rejects, part  # skips the records holding one
            table = self._arrow(part.replace(BAD_LINE_BYTES, b""))  # no quotes: marked lines stand alone
            if table is None:
                return None, rejects, part
        if not self._clean(table, part, last):
            return None, rejects, part
        return self._finish(table), rejects, part

    def _arrow(self, part: bytes) -> pa.Table | None:
        """Arrow-parse a block, first with quote-blind chunking (about twice as fast), then, only if
        that fails and the block has quotes, with ``newlines_in_values``.

        Quote-blind chunking may cut a block inside a quoted field; pyarrow then finds its parser out
        of sync with the chunker and fails, or reports invalid rows — never a silently wrong table
        (checked over many block sizes in ``tests/ingest``) — and the second attempt takes over.
        """
        if not _is_utf8(part):
            return None  # the careful pass quarantines it; pyarrow would fail too, raising inside its row callback
        # Valid UTF-8 split at ASCII bytes (delimiters, quotes, line ends) gives valid UTF-8 fields, so
        # Arrow need not validate every field again (a second pass over the block).
        table = self._arrow_once(part, newlines_in_values=False)
        if table is None and b'"' in part:
            table = self._arrow_once(part, newlines_in_values=True)
        return table

    def _arrow_once(self, part: bytes, *, newlines_in_values: bool) -> pa.Table | None:
        """One Arrow parse of a block already checked to be valid UTF-8 (see :meth:`_arrow`)."""
        width = self.header.width
        names = [f"c{i}" for i in range(width)]
        invalid: list[int] = []
        delim = self._parse_delim

        def on_invalid(row: pacsv.InvalidRow) -> str:
            if row.text.replace(delim, "").replace('"', "").strip():
                invalid.append(1)
            return "skip"

        try:
            table = pacsv.read_csv(
                pa.BufferReader(part),
                read_options=pacsv.ReadOptions(column_names=names, block_size=max(1 << 20, len(part) // 2 + 1),
                                               use_threads=True),
                parse_options=pacsv.ParseOptions(delimiter=delim, quote_char='"', double_quote=True,
                                                 escape_char=False, newlines_in_values=newlines_in_values,
                                                 ignore_empty_lines=True, invalid_row_handler=on_invalid),
                convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                     null_values=[""], strings_can_be_null=True,
                                                     quoted_strings_can_be_null=True, check_utf8=False))
        except (pa.ArrowInvalid, pa.ArrowException):
            return None
        return None if invalid else table

    def _clean(self, table: pa.Table, part: bytes, last: bool) -> bool:
        """Vectorised checks: True when no record of the block needs a line number."""
        if table.num_rows == 0:
            return not last or part.count(b'"') % 2 == 0
        limit = self.options.max_field_chars
        if len(part) > limit:
            for col in table.columns:
                longest = pc.max(pc.binary_length(col)).as_py() or 0
                if longest > limit and (pc.max(pc.utf8_length(col)).as_py() or 0) > limit:
                    return False
        key = self.judge.header_key
        first = next((i for i, k in enumerate(key) if k), None)
        if first is not None:
            raw = self.header.raw[first]  # as written, trimmed, and after a BOM (two exports concatenated)
            names = pa.array(sorted({key[first], raw, "\ufeff" + key[first], "\ufeff" + raw}), pa.string())
            if pc.any(pc.is_in(table.column(first), value_set=names)).as_py():
                return False
        for i in self.header.dropped:
            if pc.any(pc.is_valid(table.column(i))).as_py():
                return False
        tail = table.column(table.num_columns - 1)[-1].as_py()
        if tail and tail[-1] in "\r\n":
            return False
        return not (last and count_byte(part, 34) % 2)

    def _finish(self, table: pa.Table) -> pa.Table:
        """Drop blank records and unnamed empty columns; give the final names."""
        first = table.column(0)
        candidate = pc.or_kleene(pc.is_null(first), pc.utf8_is_space(first))
        if pc.any(candidate).as_py():
            blank = pc.fill_null(candidate, True)
            for col in table.columns[1:]:
                blank = pc.and_(blank, pc.fill_null(pc.or_kleene(pc.is_null(col), pc.utf8_is_space(col)), True))
            if pc.any(blank).as_py():
                table = table.filter(pc.invert(blank))
        keep = self.header.keep
        if len(keep) != table.num_columns:
            table = table.select(list(keep))
        return table.rename_columns(list(self.header.names))


def _whole_record(text: str, line: str, most: int = 20) -> str:
    """``line`` and, while a quote in it is still open, the lines after it (a header cell ``"姓\n名"``)."""
    if line.count('"') % 2 == 0:
        return line
    at = text.find(line)
    rest = text[at + len(line):].splitlines(keepends=True)[:most] if at >= 0 else []
    record = line
    for extra in rest:
        record += "\n" + extra.rstrip("\r\n")
        if record.count('"') % 2 == 0:
            return record
    return line


def _skip_lines(data: bytes, n: int) -> int:
    """Byte offset just after ``n`` physical lines of ``data`` (or its end)."""
    pos = 0
    for _ in range(n):
        nl = data.find(b"\n", pos)
        cr = data.find(b"\r", pos)
        if nl == -1 and cr == -1:
            return len(data)
        if cr != -1 and (nl == -1 or cr < nl):
            pos = cr + 2 if data[cr + 1:cr + 2] == b"\n" else cr + 1
        else:
            pos = nl + 1
    return pos


def _even_quote_cut(data: bytes) -> int:
    """Offset after the last line end where the count of quotes so far is even (0: none found).

    Quotes come in pairs in well-formed CSV, so an odd count at a line end means a quoted field runs on.
    A stray quote inside an unquoted field fools this; the fast path's checks catch what follows.
    """
    parity = count_byte(data, 34) % 2
    if parity == 0:
        return len(data)
    end = len(data)
    for _ in range(1_000_000):
        e = end
        while e > 0 and data[e - 1] in (10, 13):
            e -= 1
        nl = max(data.rfind(b"\n", 0, e), data.rfind(b"\r", 0, e))
        if nl == -1:
            return 0
        parity ^= data.count(b'"', nl + 1, end) % 2
        end = nl + 1
        if parity == 0:
            return end
    return 0


def _is_utf8(part: bytes) -> bool:
    """Whether a block is valid UTF-8, checked by Arrow's vectorised validator over the bytes in place
    (about 2 GB/s, twice Python's decoder, and no copy)."""
    if part.isascii():
        return True
    offsets = pa.py_buffer((0).to_bytes(8, "little") + len(part).to_bytes(8, "little"))
    text = pa.Array.from_buffers(pa.large_string(), 1, [None, offsets, pa.py_buffer(part)])
    try:
        text.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True
