"""Raw bytes → blocks of whole UTF-8 lines, with physical line numbers and undecodable lines taken out.

Transcoding runs in large blocks through Python's C codecs (GB18030, UTF-16) and, on a file of
several blocks, in a helper thread so that it overlaps with Arrow's parsing (which releases the GIL).
UTF-8 input is passed through untouched; ``validate`` checks it only when the parser complains.
A line that does not decode becomes an empty line (so line numbers stay exact and the parser skips
it) and a ``decode_error`` reject.
"""

from __future__ import annotations

import codecs
import queue
import re
import threading
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from shucang.ingest.gbcheck import screen
from shucang.ingest.model import RejectedRow, reject
from shucang.ingest.transcode import Iconv, iconv_for

T = TypeVar("T")

_BAD_CHAR = re.compile("[\udc80-\udcff]")
BAD_LINE = "\ufffe"
"""What an undecodable line becomes (a noncharacter, never in real text): a record holding one is
not loaded — its line's ``decode_error`` reject accounts for it — so a bad line inside a quoted
multi-line field never silently drops out of the value."""
BAD_LINE_BYTES = BAD_LINE.encode("utf-8")
_BAD_LINE_SEARCH = re.compile(re.escape(BAD_LINE_BYTES))


def has_bad_line(data: bytes) -> bool:
    """Whether ``data`` holds a ``BAD_LINE``: ``re``'s literal search scans Chinese UTF-8 about twice
    as fast as ``bytes.__contains__`` (whose skip table trips on the frequent continuation byte 0xBE)."""
    return _BAD_LINE_SEARCH.search(data) is not None


def _escape_handler(err: UnicodeError) -> tuple[str, int]:
    """Mark undecodable bytes as lone surrogates (never produced by valid text) to find bad lines."""
    assert isinstance(err, UnicodeDecodeError)
    chunk = err.object[err.start:err.end]
    return "".join(chr(0xDC00 + b) if b >= 0x80 else "\udcff" for b in chunk), err.end


codecs.register_error("shucang-mark", _escape_handler)


def count_byte(data: bytes, byte: int) -> int:
    """How often one byte value occurs in ``data``.

    numpy compares a whole block at once (and releases the GIL); ``bytes.count`` searches
    occurrence by occurrence and is about four times slower on dense bytes such as quotes.
    """
    if len(data) < 4096:
        return data.count(bytes((byte,)))
    return int(np.count_nonzero(np.frombuffer(data, np.uint8) == byte))


def count_lines(data: bytes) -> int:
    """Physical line terminators in ``data``: LF, CRLF and lone CR each count once."""
    n = count_byte(data, 10)
    if b"\r" in data:
        n += count_byte(data, 13) - data.count(b"\r\n")
    return n


@dataclass
class TextBlock:
    """Whole lines of UTF-8 text (the last block may end without a terminator)."""

    data: bytes
    first_line: int
    """Physical line number of the first line in ``data``."""
    bytes_done: int
    """Source bytes consumed once this block is done."""
    eof: bool
    rejects: list[RejectedRow] = field(default_factory=list)
    valid: bool = True
    lines: int = 0
    """Line terminators in ``data`` (counted once here, so readers need not count again)."""
    """False when the UTF-8 has not been validated yet (UTF-8 sources are passed through)."""


def blank_bad_lines(text: str, first_line: int, source_encoding: str) -> tuple[str, list[RejectedRow]]:
    """Replace each line holding marked bytes by ``BAD_LINE``; one ``decode_error`` reject per line."""
    rejects: list[RejectedRow] = []
    parts: list[str] = []
    pos = 0
    line = first_line
    for match in _BAD_CHAR.finditer(text):
        if match.start() < pos:
            continue
        start = max(text.rfind("\n", 0, match.start()), text.rfind("\r", 0, match.start())) + 1
        start = max(start, pos)
        end = len(text)
        for term in ("\n", "\r"):
            at = text.find(term, match.start())
            if at != -1:
                end = min(end, at)
        line += _count_str_lines(text, pos, start)
        bad = text[start:end]
        rejects.append(reject(line, "decode_error", f"无法按 {source_encoding} 解码",
                              f"does not decode as {source_encoding}", _show_raw(bad)))
        parts.append(text[pos:start])
        parts.append(BAD_LINE)
        pos = end
    parts.append(text[pos:])
    return "".join(parts), rejects


def _count_str_lines(text: str, start: int, end: int) -> int:
    return text.count("\n", start, end) + text.count("\r", start, end) - text.count("\r\n", start, end)


def _show_raw(marked: str) -> str:
    """The bad line for a person: its bytes read as UTF-8 or GB18030 when they are, else with �."""
    raw = marked.encode("utf-8", "surrogateescape")
    for enc in ("utf-8", "gb18030"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    return _BAD_CHAR.sub("\ufffd", marked)


def validate(block: TextBlock, source_encoding: str) -> None:
    """Make ``block.data`` valid UTF-8, blanking lines that are not (their rejects go on the block)."""
    if block.valid:
        return
    try:
        block.data.decode("utf-8")
    except UnicodeDecodeError:
        text = block.data.decode("utf-8", "shucang-mark")
        text, rejects = blank_bad_lines(text, block.first_line, source_encoding)
        block.data = text.encode("utf-8")
        block.rejects.extend(rejects)
    block.valid = True


def _cut(text: str | bytes, eof: bool) -> int:
    """Offset just after the last complete line; a CR at the very end waits (it may precede LF)."""
    if eof:
        return len(text)
    if isinstance(text, str):
        return max(text.rfind("\n"), text.rfind("\r", 0, len(text) - 1)) + 1
    return max(text.rfind(b"\n"), text.rfind(b"\r", 0, len(text) - 1)) + 1


_ASCII_SAFE = ("utf-8", "gb18030", "gbk", "gb2312", "big5", "big5hkscs", "shift_jis", "euc_jp", "euc_kr",
               "cp936", "cp950", "cp932", "latin-1", "iso8859-1", "cp1252", "ascii")
"""Encodings in which the bytes LF and CR only ever mean line ends (so raw bytes can be cut at them)."""


def _transcode(part: bytes, encoding: str, first_line: int, conv: Iconv | None) -> tuple[bytes, list[RejectedRow]]:
    """Whole lines in ``encoding`` → UTF-8 bytes; undecodable lines blanked and reported."""
    if conv is not None:
        out = conv.convert(part)
        if out is not None:
            return out, []
    try:
        return part.decode(encoding).encode("utf-8"), []
    except UnicodeDecodeError:
        text, rejects = blank_bad_lines(part.decode(encoding, "shucang-mark"), first_line, encoding)
        return text.encode("utf-8", "surrogatepass"), rejects


def _whole_lines(carry: bytes, raw: bytes, eof: bool) -> tuple[bytes, bytes]:
    """``carry + raw`` split after its last complete line: (whole lines, the rest to carry on).

    The cut is looked for in ``raw`` (``carry`` holds no line end but perhaps a final CR), so the
    block is copied once into ``part`` instead of once into a joined buffer and again into its slice.
    """
    cut = _cut(raw, eof) if raw else 0
    if cut == 0:  # no line end in ``raw`` (or the end of the file): the rare slow way
        buf = carry + raw
        cut = _cut(buf, eof)
        return buf[:cut], buf[cut:]
    if not carry:
        return raw[:cut], raw[cut:]
    return b"".join((carry, memoryview(raw)[:cut])), raw[cut:]


def read_blocks(path: Path, encoding: str, block_bytes: int, skip_bom: bool = True) -> Generator[TextBlock]:
    """Stream ``path`` as UTF-8 ``TextBlock``s of whole lines, in order."""
    base = encoding.removesuffix("-sig")
    passthrough = base == "utf-8"
    ascii_safe = codecs.lookup(base).name in _ASCII_SAFE or base in _ASCII_SAFE
    conv = iconv_for(base) if ascii_safe and not passthrough else None
    decoder = None if ascii_safe else codecs.getincrementaldecoder(base)("shucang-mark")
    line = 1
    done = 0
    carry_b = b""
    carry_s = ""
    first = True
    try:
        with path.open("rb") as fh:
            while True:
                raw = fh.read(block_bytes)
                eof = not raw
                done += len(raw)
                if first and skip_bom:
                    for bom in (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
                        if raw.startswith(bom) and (bom == codecs.BOM_UTF8) == (base == "utf-8"):
                            raw = raw[len(bom):]
                            break
                first = False
                if ascii_safe:
                    part, carry_b = _whole_lines(carry_b, raw, eof)
                    if part or eof:
                        if passthrough:
                            block = TextBlock(part, line, done, eof, valid=False)
                        else:
                            screened: list[RejectedRow] = []
                            if base == "gb18030":  # lines that only decode as mojibake (see gbcheck)
                                part, screened = screen(part, line)
                            data, rejects = _transcode(part, base, line, conv)
                            merged = sorted(screened + rejects, key=lambda r: r.line or 0) if screened else rejects
                            block = TextBlock(data, line, done, eof, rejects=merged)
                        block.lines = count_lines(block.data)
                        line += block.lines
                        yield block
                else:
                    assert decoder is not None
                    text = carry_s + decoder.decode(raw, final=eof)
                    cut = _cut(text, eof)
                    chunk, carry_s = text[:cut], text[cut:]
                    rejects = []
                    if _BAD_CHAR.search(chunk):
                        chunk, rejects = blank_bad_lines(chunk, line, base)
                    if chunk or eof:
                        block = TextBlock(chunk.encode("utf-8", "surrogatepass"), line, done, eof, rejects=rejects)
                        block.lines = count_lines(block.data)
                        line += block.lines
                        yield block
                if eof:
                    return
    finally:
        if conv is not None:
            conv.close()


def prefetch(blocks: Iterator[T], depth: int = 2, *, name: str = "shucang-decode") -> Iterator[T]:
    """Produce ``blocks`` in a helper thread, ``depth`` ahead, so producing overlaps consuming.

    Used for decoding ahead of parsing, and by the warehouse for reading ahead of the Delta writer
    (Arrow and delta-rs release the GIL). An exception in the producer is re-raised in the consumer.
    """
    q: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)  # an item (T), an exception or None
    stop = threading.Event()

    def work() -> None:
        try:
            for item in blocks:
                while not stop.is_set():
                    try:
                        q.put(("item", item), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put(("end", None))
        except BaseException as exc:  # handed to the consumer, re-raised there
            q.put(("error", exc))

    thread = threading.Thread(target=work, name=name, daemon=True)
    thread.start()
    try:
        while True:
            kind, value = q.get()
            if kind == "item":
                yield value
            elif kind == "error":
                raise value
            else:
                return
    finally:
        stop.set()
        while thread.is_alive():
            try:
                q.get_nowait()
            except queue.Empty:
                thread.join(0.05)
