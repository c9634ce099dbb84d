"""Is a line that decodes as GB18030 really GB18030 text?

GB18030 decodes almost any byte string: Latin-1 ``Málaga``, Shift-JIS Japanese and UTF-8 Chinese all
"decode" — as mojibake. Real Chinese text keeps to the GB2312 rows (both bytes 0xA1–0xFE) with at
most an occasional rarer character, so a line whose two-byte pairs mostly fall outside them is not
GB18030. A vectorised screen finds the few lines worth a closer look (bytes 0x80–0xA0, or a high
byte between ASCII bytes); only those are judged one by one.
"""

from __future__ import annotations

import numpy as np

from shucang.ingest.model import RejectedRow, reject

BAD_LINE_GB = "\ufffe".encode("gb18030")
"""``textstream.BAD_LINE`` in GB18030 (it is transcoded with the block; textstream imports this module)."""


def verdict(line: bytes) -> str | None:
    """``None`` when ``line`` is plausible GB18030; ``"utf-8"`` for a UTF-8 line; ``"other"`` else.

    A pair is *foreign* when its lead is 0x81–0xA0 (Shift-JIS kana and most kanji; rare in GB text)
    or it is one high byte between ASCII ones (Latin-1 ``ço``). Rare Chinese characters (䶮 is
    FE 9F) are neither, so a GB18030 line full of them stays GB18030.
    """
    inside = outside = foreign = 0
    i, n = 0, len(line)
    while i < n:
        b = line[i]
        if b < 0x80:
            i += 1
            continue
        nxt = line[i + 1] if i + 1 < n else 0
        if 0x30 <= nxt <= 0x39:  # a four-byte sequence: the rare characters (𠀀 …)
            i += 4
            continue
        if 0xA1 <= b <= 0xF7 and 0xA1 <= nxt <= 0xFE:
            inside += 1
        else:
            outside += 1
            if b <= 0xA0 or (nxt < 0x80 and (i == 0 or line[i - 1] < 0x80)):
                foreign += 1
        i += 2
    if outside == 0:
        return None
    try:
        line.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    return "other" if foreign >= 2 and foreign > inside else None


def suspects(data: bytes) -> bool:
    """Cheap whole-block screen: could any line of ``data`` be something other than GB18030?"""
    if len(data) < 2:
        return False
    arr = np.frombuffer(data, np.uint8)
    if np.any((arr >= 0x80) & (arr <= 0xA0)):
        return True
    high = arr >= 0x80
    lone = high[1:-1] & ~high[:-2] & (arr[2:] >= 0x40) & (arr[2:] <= 0x7E)
    return bool(np.any(lone)) or bool(high[0] and 0x40 <= arr[1] <= 0x7E)


def screen(data: bytes, first_line: int) -> tuple[bytes, list[RejectedRow]]:
    """Mark (``BAD_LINE``) the lines of GB18030 ``data`` that are not GB18030 (line numbers kept); one reject each."""
    if not suspects(data):
        return data, []
    lines = data.splitlines(keepends=True)
    rejects: list[RejectedRow] = []
    out: list[bytes] = []
    for k, line in enumerate(lines):
        body = line.rstrip(b"\r\n")
        kind = verdict(body) if body and not body.isascii() else None
        if kind is None:
            out.append(line)
            continue
        out.append(BAD_LINE_GB + line[len(body):])
        if kind == "utf-8":
            rejects.append(reject(first_line + k, "encoding_mismatch", "此行是 UTF-8 编码，与文件的 GB18030 不一致",
                                  "this line is UTF-8, the file is GB18030", body.decode("utf-8")))
        else:
            rejects.append(reject(first_line + k, "encoding_mismatch",
                                  "此行不像 GB18030 中文（可能是 Latin-1 或 Shift-JIS 等编码）",
                                  "this line is not GB18030 text (perhaps Latin-1 or Shift-JIS)",
                                  body.decode("utf-8", "backslashreplace")))
    return b"".join(out), rejects


def other_encoding(lines: list[bytes]) -> str | None:
    """For a file whose non-ASCII lines mostly are not GB18030 (mojibake or undecodable): Shift-JIS (cp932)
    when they read as runs of Japanese, Windows-1252 or Latin-1 when their non-ASCII characters are
    letters (José, Málaga); ``None`` otherwise (GB18030 stays, bad lines are rejected one by one)."""
    plausible = sum(1 for line in lines if _decodes(line, "gb18030") and verdict(line) is None)
    if not lines or plausible * 2 >= len(lines):
        return None
    joined = b"\n".join(lines)
    if _decodes(joined, "cp932") and _japanese_runs(joined.decode("cp932")):
        return "cp932"
    for encoding in ("cp1252", "latin-1"):
        if _decodes(joined, encoding):
            text = joined.decode(encoding)
            high = [i for i, ch in enumerate(text) if ord(ch) >= 0x80]
            paired = sum(1 for i in high if (i > 0 and ord(text[i - 1]) >= 0x80)
                         or (i + 1 < len(text) and ord(text[i + 1]) >= 0x80))
            letters = sum(text[i].isalpha() for i in high)
            if high and letters >= 0.8 * len(high) and paired * 2 < len(high):  # é, ç: one at a time
                return encoding
    return None


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
        return True
    except UnicodeDecodeError:
        return False


def _japanese_runs(text: str) -> bool:
    """Japanese comes in runs of kana and kanji; Latin-1 read as Shift-JIS gives lone ones (M淡aga)."""
    wide = [i for i, ch in enumerate(text) if "\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff"
            or "\uff66" <= ch <= "\uff9f"]
    if not wide:
        return False
    at = set(wide)
    alone = sum(1 for i in wide if i - 1 not in at and i + 1 not in at)
    return alone * 2 < len(wide)
