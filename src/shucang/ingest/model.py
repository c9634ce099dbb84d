"""The shapes every reader shares: options, a chunk of rows, a quarantined row, a table source.

A reader turns one table of one file into a stream of ``Chunk``s. Row accounting is exact: every
record read is either in ``Chunk.rows`` or in ``Chunk.rejects``; blank records are neither.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

RAW_LIMIT = 65_536
"""Raw text kept for a rejected record (characters); longer records are cut."""


@dataclass(frozen=True)
class ReadOptions:
    """How to read a source; the defaults suit department files."""

    batch_rows: int = 131_072
    """Upper bound on rows per ``Chunk`` (Excel/JSONL/Parquet; CSV chunks follow ``block_bytes``)."""
    max_field_chars: int = 1_048_576
    """A field longer than this (characters) makes its record bad (1 MiB by default)."""
    encoding: str | None = None
    """Force a text encoding (e.g. ``"gb18030"``) instead of detecting it."""
    delimiter: str | None = None
    """Force the delimiter of delimited text instead of sniffing it from the header line."""
    block_bytes: int = 8 << 20
    """Bytes of text parsed at once; bounds memory (a few blocks are alive at a time)."""
    sample_bytes: int = 1 << 20
    """Bytes looked at (head, middle and tail) to decide a file's encoding."""


@dataclass(frozen=True)
class RejectedRow:
    """One quarantined record: where it starts, why it is bad, and what it said."""

    line: int | None
    """1-based physical line where the record starts (text, JSONL) or sheet row (Excel)."""
    code: str
    """Stable reason code: field_count, nul_byte, field_too_long, decode_error, unclosed_quote, …"""
    reason: str
    """Human readable, Chinese first, e.g. ``第10行：字段数 7，表头为 6 (7 fields, header has 6)``."""
    raw: str
    """The record's raw text, cut to 64 KiB."""


def reject(line: int | None, code: str, zh: str, en: str, raw: str) -> RejectedRow:
    """Build a ``RejectedRow`` with the standard bilingual reason ``第N行：… (line N: …)``."""
    where_zh = f"第{line}行：" if line is not None else ""
    where_en = f"line {line}: " if line is not None else ""
    return RejectedRow(line=line, code=code, reason=f"{where_zh}{zh} ({where_en}{en})",
                       raw=raw if len(raw) <= RAW_LIMIT else raw[:RAW_LIMIT])


@dataclass
class Chunk:
    """A part of a source: the rows loaded from it and the records quarantined in it."""

    rows: pa.RecordBatch
    """Loaded rows; schema equals the source's schema; text values verbatim."""
    rejects: list[RejectedRow] = field(default_factory=list)
    """Records met in this part of the file that could not be loaded."""
    bytes_done: int = 0
    """Source bytes consumed so far (drives a progress bar)."""


class TableSource:
    """One table of one file, ready to stream. Subclasses fill the fields and ``chunks``."""

    path: Path
    format: str
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    size_bytes: int = 0
    schema: pa.Schema
    notes: list[str]
    """Reader remarks beyond the header's (converted types, …); see ``warnings``."""

    def chunks(self) -> Iterator[Chunk]:  # pragma: no cover - abstract
        """Stream the table; memory stays bounded whatever the file size."""
        raise NotImplementedError

    def read_all(self) -> tuple[pa.Table, list[RejectedRow]]:
        """Everything at once (tests and small files): the loaded table and all rejects."""
        batches: list[pa.RecordBatch] = []
        rejects: list[RejectedRow] = []
        for chunk in self.chunks():
            if chunk.rows.num_rows:
                batches.append(chunk.rows)
            rejects.extend(chunk.rejects)
        return pa.Table.from_batches(batches, schema=self.schema), rejects

    @property
    def warnings(self) -> list[str]:
        """Whole-file remarks for the person ingesting: renamed columns, converted types, …"""
        header = getattr(self, "header", None)
        return [*getattr(header, "notes", ()), *getattr(self, "notes", ())]

    def __repr__(self) -> str:
        extra = f" sheet={self.sheet!r}" if self.sheet else ""
        return (f"<{type(self).__name__} {self.path.name} {self.format} enc={self.encoding} "
                f"delim={self.delimiter!r}{extra} cols={len(self.schema)}>")


def empty_batch(schema: pa.Schema) -> pa.RecordBatch:
    """A zero-row batch of ``schema`` (a chunk that only carries rejects)."""
    return pa.RecordBatch.from_arrays([pa.array([], f.type) for f in schema], schema=schema)


def string_batch(columns: list[list[str | None]], schema: pa.Schema) -> pa.RecordBatch:
    """Rows collected column-wise as Python strings → one all-string batch."""
    return pa.RecordBatch.from_arrays([pa.array(col, pa.string()) for col in columns], schema=schema)
