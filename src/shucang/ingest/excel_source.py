"""Workbooks (xlsx, xls, ods) → all-string Arrow batches, through python-calamine.

Each non-empty sheet is a table (by default the first visible one). Leading rows with at most one
non-empty cell (merged titles, "填报单位…", blank rows) are skipped; the next row is the header — or
the next two or three rows, when a header cell is merged across columns (多级表头: 联系人 over 姓名 |
电话 gives ``联系人_姓名``, ``联系人_电话``). Merged cells below it carry their value over the whole range. Cells become text a person would see: cached formula values, ISO dates
(``2021-03-05``, ``2021-03-05 08:30:00``), whole numbers without ``.0`` and never in scientific
notation (calamine returns every number as a float), booleans as ``TRUE``/``FALSE``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import python_calamine as cal

from shucang.errors import InputError
from shucang.ingest.header import MAX_TITLE_LINES, build_header, clean_name, looks_like_title
from shucang.ingest.model import Chunk, ReadOptions, RejectedRow, TableSource, reject, string_batch
from shucang.ingest.xlsx_errors import error_cells

_MAX_HEADER_ROWS = 3


def open_workbook(path: Path) -> cal.CalamineWorkbook:
    """The workbook, or one clear error for a truncated, encrypted or foreign container."""
    try:
        return cal.CalamineWorkbook.from_path(str(path))
    except cal.PasswordError:
        raise _unreadable(path, "工作簿有密码保护 (the workbook is password-protected)",
                          "请先在 Excel 中取消密码后另存 (remove the password in Excel and save again)") from None
    except (cal.CalamineError, OSError, ValueError, RuntimeError) as exc:
        if path.read_bytes()[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
            raise _unreadable(path, "工作簿已加密或不是 Excel 文件 (an encrypted workbook or not an Excel file)",
                              "若有密码请先取消密码后另存为 xlsx (remove any password and save as xlsx)") from None
        raise _unreadable(path, f"工作簿已损坏或不完整 (the workbook is truncated or corrupt: {exc})",
                          "请重新导出或重新传输该文件 (export or transfer it again)") from None


def _unreadable(path: Path, what: str, hint: str) -> InputError:
    return InputError(f"无法读取 {path.name}：{what}", hint=hint)


def _read_sheet(path: Path, wb: cal.CalamineWorkbook, name: str) -> tuple[list[list[Any]], list[Any]]:
    try:
        sheet = wb.get_sheet_by_name(name)
        rows = sheet.to_python(skip_empty_area=False)
        merged = list(getattr(sheet, "merged_cell_ranges", None) or [])
    except cal.CalamineError as exc:
        raise _unreadable(path, f"工作表 {name!r} 无法读取 (sheet {name!r} cannot be read: {exc})",
                          "请重新导出该文件 (export it again)") from None
    for (r, c), text in error_cells(path, name).items():  # #DIV/0!, #N/A: calamine reads them as ""
        if r < len(rows) and c < len(rows[r]) and rows[r][c] in ("", None):
            rows[r][c] = text
    return rows, merged


def _filled(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def sheet_has_table(rows: list[list[Any]]) -> bool:
    """Whether any cell of the sheet holds a value."""
    return any(_filled(v) for row in rows for v in row)


def cell_text(value: Any) -> str | None:
    """One cell as the text a person sees in Excel (see module docstring)."""
    if value is None:
        return None
    kind = type(value)
    if kind is str:
        return value or None
    if kind is float:
        if value != value or value in (float("inf"), float("-inf")):
            return str(value)
        if value.is_integer() and abs(value) < 1e17:
            return str(int(value))
        text = repr(value)
        return format(Decimal(text), "f") if "e" in text or "E" in text else text
    if kind is bool:
        return "TRUE" if value else "FALSE"
    if kind is int:
        return str(value)
    if kind is dt.datetime:
        return value.strftime("%Y-%m-%d %H:%M:%S") + (f".{value.microsecond // 1000:03d}" if value.microsecond else "")
    if kind is dt.date:
        return value.isoformat()
    if kind is dt.time:
        return value.strftime("%H:%M:%S")
    if kind is dt.timedelta:
        total = int(value.total_seconds())
        return f"{total // 3600}:{total % 3600 // 60:02d}:{total % 60:02d}"
    return str(value)


class ExcelSource(TableSource):
    """One sheet of a workbook (the whole sheet is in memory: Excel caps a sheet at ~1M rows)."""

    left_out: list[str]
    """Other sheets holding a table, when the sheet was chosen by default (said as a warning)."""

    def __init__(self, path: Path, fmt: str, sheet: str, rows: list[list[Any]], merged: list[Any],
                 options: ReadOptions, size: int) -> None:
        self.path = path
        self.format = fmt
        self.sheet = sheet
        self.size_bytes = size
        self.encoding = None
        self.delimiter = None
        self.options = options
        self.left_out = []
        self.notes = []
        width = max((len(r) for r in rows), default=0)
        start = _table_start(rows, merged)
        self._rows = [list(r) + [None] * (width - len(r)) for r in rows[start:]]
        depth = _header_depth(self._rows, merged, start)
        self._fill_merged(merged, start, depth)
        self.header_row = start + depth
        header_cells = [_joined_name([cell_text(self._rows[r][i]) for r in range(depth)]) for i in range(width)]
        del self._rows[:depth - 1]  # one header row remains at the top (repeats are judged against it)
        has_data = [any(_filled(r[i]) for r in self._rows[1:]) for i in range(width)]
        self.header = build_header(header_cells, has_data)
        self.schema = pa.schema([pa.field(n, pa.string()) for n in self.header.names])

    def _fill_merged(self, merged: list[Any], start: int, depth: int) -> None:
        """Give every cell of a merged range (below the title rows) the range's value — but a header
        cell merged down past the header (序号 over the header and the first data row) stays a name,
        never a value in the data."""
        for (r1, c1), (r2, c2) in merged:
            if r1 < start or r1 - start >= len(self._rows):
                continue
            value = self._rows[r1 - start][c1] if c1 < len(self._rows[r1 - start]) else None
            last = r2 - start if r1 - start >= depth else min(r2 - start, depth - 1)
            for r in range(r1 - start, min(last + 1, len(self._rows))):
                row = self._rows[r]
                for c in range(c1, min(c2 + 1, len(row))):
                    if not _filled(row[c]):
                        row[c] = value

    def chunks(self) -> Iterator[Chunk]:
        """Rows after the header, in batches; blank rows skipped, repeated headers quarantined."""
        keep = self.header.keep
        key = tuple(clean_name(cell_text(v)) for v in self._rows[0])  # the header's last row
        limit = self.options.max_field_chars
        step = self.options.batch_rows
        body = self._rows[1:]
        total = len(body) or 1
        for begin in range(0, len(body), step):
            columns: list[list[str | None]] = [[] for _ in keep]
            rejects: list[RejectedRow] = []
            for offset, row in enumerate(body[begin:begin + step]):
                texts = [cell_text(v) for v in row]
                if not any(t and t.strip() for t in texts):
                    continue
                line = self.header_row + 1 + begin + offset
                bad = self._judge(texts, key, limit, line)
                if bad is not None:
                    rejects.append(bad)
                    continue
                for j, i in enumerate(keep):
                    columns[j].append(texts[i])
            done = int(self.size_bytes * min(1.0, (begin + step) / total))
            yield Chunk(string_batch(columns, self.schema), rejects, done)

    @staticmethod
    def _judge(texts: list[str | None], key: tuple[str, ...], limit: int, line: int) -> RejectedRow | None:
        raw = "\t".join(t or "" for t in texts)
        if tuple(clean_name(t) for t in texts) == key:
            return reject(line, "header_repeat", "重复的表头行", "repeats the header row", raw)
        for i, t in enumerate(texts):
            if t is not None and len(t) > limit:
                return reject(line, "field_too_long", f"第{i + 1}列超过 {limit:,} 字符",
                              f"column {i + 1} is over {limit:,} characters", raw)
        return None


def _table_start(rows: list[list[Any]], merged: list[Any]) -> int:
    """The header row: the first row with two filled cells, when every non-blank row above it is a
    lone cell that is a title — merged across columns, or reading as one (``looks_like_title``), at
    most ``MAX_TITLE_LINES`` — else the first non-blank row (a one-column table whose header and
    values must not be skipped as titles)."""
    counts = [sum(1 for v in r if _filled(v)) for r in rows]
    first = next(i for i, n in enumerate(counts) if n >= 1)
    start = next((i for i, n in enumerate(counts) if n >= 2), None)
    if start is None:
        return first
    wide_rows = {r1 for (r1, c1), (_, c2) in merged if c2 > c1}
    above = [(i, next(v for v in rows[i] if _filled(v))) for i in range(start) if counts[i]]
    if len(above) > MAX_TITLE_LINES or not all(i in wide_rows or (isinstance(v, str) and looks_like_title(v))
                                               for i, v in above):
        return first
    return start


def _header_depth(rows: list[list[Any]], merged: list[Any], start: int) -> int:
    """Rows the header spans (``rows`` start at the header row).

    More than one when a header cell is merged across columns and the row below holds, under it,
    at least two distinct texts (a group heading such as 联系人 over 姓名 | 电话), nothing but text
    (a row of data has numbers), and nothing under the other columns unless they are merged down
    from the header row (序号 over two rows) — then as deep as the tallest merge in the header row.
    """
    if len(rows) < 3:
        return 1
    below = rows[1]
    if not all(isinstance(v, str) for v in below if _filled(v)):
        return 1
    at_header = [((r1, c1), (r2, c2)) for (r1, c1), (r2, c2) in merged if r1 == start]
    wide = {c for (_, c1), (_, c2) in at_header if c2 > c1 for c in range(c1, c2 + 1)}
    tall = {c for (r1, c1), (r2, c2) in at_header if r2 > r1 for c in range(c1, c2 + 1)}
    grouped = any(c2 > c1 and len({str(below[c]).strip() for c in range(c1, min(c2 + 1, len(below)))
                                   if _filled(below[c])}) >= 2
                  for (_, c1), (_, c2) in at_header)
    if not grouped or any(_filled(v) and c not in wide | tall for c, v in enumerate(below)):
        return 1
    depth = max(2, *(r2 - r1 + 1 for (r1, _), (r2, _) in at_header))
    return min(depth, _MAX_HEADER_ROWS, len(rows) - 1)


def _joined_name(parts: list[str | None]) -> str:
    """One column name from the header rows above it: the distinct texts, top down, joined by ``_``."""
    names: list[str] = []
    for part in parts:
        text = clean_name(part) if part else ""
        if text and text not in names:
            names.append(text)
    return "_".join(names)


def workbook_tables(path: Path) -> tuple[cal.CalamineWorkbook, list[str]]:
    """The workbook and the names of its sheets that hold a table."""
    wb = open_workbook(path)
    names = []
    for name in wb.sheet_names:
        rows, _ = _read_sheet(path, wb, name)
        if sheet_has_table(rows):
            names.append(name)
    return wb, names


def _visible_first(wb: cal.CalamineWorkbook, names: list[str]) -> list[str]:
    """Sheet names with hidden sheets last: by default the table a person sees is the one loaded."""
    try:
        hidden = {m.name for m in wb.sheets_metadata if m.visible != cal.SheetVisibleEnum.Visible}
    except AttributeError:  # an older python-calamine without sheet metadata
        return names
    return [n for n in names if n not in hidden] + [n for n in names if n in hidden]


def open_sheet(path: Path, fmt: str, sheet: str | None, options: ReadOptions, size: int) -> ExcelSource:
    """The chosen sheet (or the first with a table) of a workbook as a source."""
    wb = open_workbook(path)
    names = list(wb.sheet_names)
    if sheet is not None and sheet not in names:
        raise InputError(f"{path.name} 中没有名为 {sheet!r} 的工作表 (no sheet named {sheet!r})",
                         hint="可用的工作表 (sheets): " + "、".join(names))
    order = [sheet] if sheet is not None else _visible_first(wb, names)
    for k, name in enumerate(order):
        assert name is not None
        rows, merged = _read_sheet(path, wb, name)
        if sheet_has_table(rows):
            source = ExcelSource(path, fmt, name, rows, merged, options, size)
            if sheet is None:
                source.left_out = [n for n in order[k + 1:] if sheet_has_table(_read_sheet(path, wb, n)[0])]
                if source.left_out:  # two yearly sheets: loading only the first must not pass silently
                    source.notes = [f"工作簿还有 {len(source.left_out)} 个含数据的工作表未导入："
                                    f"{'、'.join(source.left_out)}；用 --sheet 名称 或 --sheet all 导入 "
                                    f"({len(source.left_out)} more sheet(s) with data left out: "
                                    f"{', '.join(source.left_out)}; use --sheet NAME or --sheet all)"]
            return source
    if sheet is not None:
        raise InputError(f"工作表 {sheet!r} 是空的 (sheet {sheet!r} is empty)",
                         hint="可用的工作表 (sheets): " + "、".join(names))
    raise InputError(f"{path.name} 的所有工作表都是空的 (every sheet of {path.name} is empty)",
                     hint="请检查导出是否成功 (check the export worked)")
