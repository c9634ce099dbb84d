"""Excel error cells (``#DIV/0!``, ``#N/A``, ``#REF!`` …) of an xlsx sheet, which calamine reads as empty.

An error is what the person sees in the cell, and an empty value would hide that the formula
failed; the reader keeps the error text instead. Only the sheet's XML is scanned, and only when it
holds an error cell at all (``t="e"``).
"""

from __future__ import annotations

import html
import re
import zipfile
from pathlib import Path

_SHEET = re.compile(r"<sheet\b[^>]*>")
_ATTR = re.compile(r'([\w:]+)="([^"]*)"')
_ERROR_CELL = re.compile(rb'<c\b[^>]*\bt="e"[^>]*>')
_REF = re.compile(rb'\br="([A-Z]+)([0-9]+)"')
_VALUE = re.compile(rb"<v>([^<]*)</v>")


def _column(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n - 1


def _sheet_part(zf: zipfile.ZipFile, name: str) -> str | None:
    workbook = zf.read("xl/workbook.xml").decode("utf-8", "replace")
    rel_id = None
    for tag in _SHEET.findall(workbook):
        attrs = dict(_ATTR.findall(tag))
        if html.unescape(attrs.get("name", "")) == name:
            rel_id = next((v for k, v in attrs.items() if k.endswith(":id")), None)
    if rel_id is None:
        return None
    rels = zf.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
    for tag in re.findall(r"<Relationship\b[^>]*>", rels):
        attrs = dict(_ATTR.findall(tag))
        if attrs.get("Id") == rel_id:
            target = attrs.get("Target", "")
            return target.lstrip("/") if target.startswith("/") else "xl/" + target
    return None


def error_cells(path: Path, sheet: str) -> dict[tuple[int, int], str]:
    """(row, column) → error text, 0-based, for the error cells of ``sheet``; {} when none or unknown."""
    try:
        with zipfile.ZipFile(path) as zf:
            part = _sheet_part(zf, sheet)
            if part is None:
                return {}
            xml = zf.read(part)
    except (KeyError, OSError, zipfile.BadZipFile):
        return {}
    if b't="e"' not in xml:
        return {}
    found: dict[tuple[int, int], str] = {}
    for match in _ERROR_CELL.finditer(xml):
        ref = _REF.search(match.group())
        at, end = xml.find(b"<v>", match.end()), xml.find(b"</c>", match.end())
        value = _VALUE.match(xml, at) if ref and 0 <= at < end else None
        if ref and value:
            found[(int(ref.group(2)) - 1, _column(ref.group(1)))] = value.group(1).decode("utf-8", "replace")
    return found
