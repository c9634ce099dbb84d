"""Deciding what a file is — by its content, never its name — and how its text is encoded.

Format: an OOXML or ODF zip is a workbook, OLE2 is a legacy ``.xls`` (or an encrypted workbook),
``PAR1`` is Parquet, a first non-blank ``{`` or ``[`` is JSON (lines or one document, see
``sources.py``), other text is delimited; images and other binaries are refused. Encoding: a BOM decides; otherwise, among sampled lines holding non-ASCII bytes,
a majority of valid UTF-8 means UTF-8, else GB18030 (a superset of GBK in which 䶮 decodes).
"""

from __future__ import annotations

import codecs
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

from shucang.errors import InputError
from shucang.ingest.gbcheck import other_encoding

BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_BINARY_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG", "PNG 图片 (PNG image)"),
    (b"\xff\xd8\xff", "JPEG 图片 (JPEG image)"),
    (b"GIF8", "GIF 图片 (GIF image)"),
    (b"%PDF", "PDF 文档 (PDF document)"),
    (b"\x1f\x8b", "gzip 压缩包 (gzip archive)"),
    (b"7z\xbc\xaf", "7z 压缩包 (7z archive)"),
    (b"Rar!", "RAR 压缩包 (RAR archive)"),
    (b"\x7fELF", "可执行文件 (executable)"),
    (b"SQLite format 3", "SQLite 数据库 (SQLite database)"),
    (b"RIFF", "多媒体文件 (media file)"),
)
_HIGH_BYTE = re.compile(rb"[\x80-\xff]")
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
DELIMITERS = (",", ";", "\t", "|")


def not_a_table(path: Path, what: str) -> InputError:
    """The whole-file refusal used by every sniffing failure."""
    return InputError(f"无法导入 {path.name}：{what} (cannot ingest {path.name}: not a readable table)",
                      hint="请提供 CSV、Excel (xlsx/xls/ods)、JSON lines 或 Parquet 文件 "
                           "(supply CSV, Excel, JSON lines or Parquet)")


def sniff_format(path: Path, head: bytes) -> str:
    """The format of a non-empty file from its first bytes (and zip directory)."""
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _zip_kind(path, head)
    if head.startswith(_OLE2):
        return "xls"
    if head.startswith(b"PAR1"):
        return "parquet"
    if any(head.startswith(bom) for bom, _ in BOMS):
        return "text"
    for magic, label in _BINARY_MAGIC:
        if label and head.startswith(magic):
            raise not_a_table(path, f"这是{label}，不是表格 (this is a {label.split('(')[-1].rstrip(')')})")
    if _looks_binary(head):
        raise not_a_table(path, "这是二进制文件，不是表格 (binary content, not a table)")
    return "text"


def _zip_kind(path: Path, head: bytes) -> str:
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            if "mimetype" in names:
                mime = zf.read("mimetype").decode("ascii", "replace").strip()
                if mime == "application/vnd.oasis.opendocument.spreadsheet":
                    return "ods"
                raise not_a_table(path, f"这是 {mime} 文档，不是表格 (an ODF {mime} document)")
            if any(n.startswith("xl/") for n in names):
                return "xlsx"
            raise not_a_table(path, "这是 zip 压缩包，不是表格 (a zip archive, not a workbook)")
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        if b"xl/" in head or b"[Content_Types].xml" in head:
            raise InputError(f"Excel 文件 {path.name} 已损坏或不完整 (workbook {path.name} is truncated or corrupt: "
                             f"{exc})", hint="请重新导出或重新传输该文件 (export or transfer it again)") from None
        raise not_a_table(path, "zip 压缩包已损坏 (a damaged zip archive)") from None


def _looks_binary(head: bytes) -> bool:
    """Many control bytes that UTF-16 does not explain mean binary (a few NULs are bad rows)."""
    sample = head[:65_536]
    if not sample:
        return False
    if utf16_without_bom(sample):
        return False
    controls = len(_CONTROL.findall(sample))
    return controls > max(8, len(sample) // 20)


def utf16_without_bom(sample: bytes) -> str | None:
    """``utf-16-le``/``-be`` when NULs sit at every other byte of mostly-ASCII text, else None."""
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


def sniff_encoding(path: Path, size: int, sample_bytes: int) -> str:
    """The encoding of a text file: BOM, else the non-ASCII line majority rule over samples."""
    with path.open("rb") as fh:
        head = fh.read(sample_bytes)
        for bom, name in BOMS:
            if head.startswith(bom):
                return name
        utf16 = utf16_without_bom(head[:65_536])
        if utf16:
            return utf16
        samples = [head]
        if size > 3 * sample_bytes:
            for at in (size // 2, size - sample_bytes):
                fh.seek(at)
                block = fh.read(sample_bytes)
                cut = block.find(b"\n")  # start on a whole line
                samples.append(block[cut + 1:] if cut >= 0 else b"")
    return majority_encoding(samples)


def majority_encoding(samples: list[bytes]) -> str:
    """Apply the rule to raw samples: valid UTF-8 on more than half of non-ASCII lines → UTF-8; else
    GB18030 — unless those lines mostly are not Chinese (Shift-JIS, Latin-1: see ``gbcheck``)."""
    good = bad = 0
    not_utf8: list[bytes] = []
    for sample in samples:
        last = max(sample.rfind(b"\n"), sample.rfind(b"\r"))
        body = sample[: last + 1] if 0 <= last < len(sample) - 1 else sample
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            good += 1 if _HIGH_BYTE.search(body) else 0
            continue
        for line in _non_ascii_lines(body):
            try:
                line.decode("utf-8")
                good += 1
            except UnicodeDecodeError:
                bad += 1
                if len(not_utf8) < 2000:
                    not_utf8.append(line)
    if good > bad or not bad:
        return "utf-8"
    return (other_encoding(not_utf8) if not good else None) or "gb18030"


def _non_ascii_lines(body: bytes) -> Iterator[bytes]:
    """Lines holding a byte ≥ 0x80, in one linear pass (a ``[^\\n]*[\\x80-\\xff]`` regex is quadratic in
    the line length: it retries from every start position of a long ASCII line)."""
    pos, size = 0, len(body)
    while pos < size:
        match = _HIGH_BYTE.search(body, pos)
        if match is None:
            return
        at = match.start()
        start = max(body.rfind(b"\n", pos, at), body.rfind(b"\r", pos, at)) + 1
        start = max(start, pos)
        ends = [e for e in (body.find(b"\n", at), body.find(b"\r", at)) if e >= 0]
        end = min(ends) if ends else size
        yield body[start:end]
        pos = end + 1


def sniff_delimiter(header_line: str) -> str | None:
    """The delimiter from the header line: the most frequent of , ; TAB | outside quotes, or None."""
    counts = {d: 0 for d in DELIMITERS}
    inside = False
    for ch in header_line:
        if ch == '"':
            inside = not inside
        elif not inside and ch in counts:
            counts[ch] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else None


def normalise_encoding(name: str) -> str:
    """Canonical codec name for a user-supplied encoding; GBK/GB2312 are read as GB18030."""
    try:
        canonical = codecs.lookup(name).name
    except LookupError:
        raise InputError(f"未知的字符编码 {name!r} (unknown encoding {name!r})",
                         hint="例如 utf-8、gb18030、utf-16-le (e.g. utf-8, gb18030, utf-16-le)") from None
    aliases = {"gbk": "gb18030", "gb2312": "gb18030", "utf-16": "utf-16", "utf-8": "utf-8"}
    return aliases.get(canonical, canonical)
