"""What a downloaded table says about itself above the data: one home for every table file.

A table file is read far from where it came from (a cockpit page, the 亩均 list of the CLI or API),
so it carries a title block — content, period, the caliber where the figures have one, the source
datasets with their versions, export time in Beijing time, who exported it, and the synthetic-data
label — then the table. The cockpit passes its labels translated; the CLI and API files use the
Chinese ones. Cells are written through :func:`spreadsheet_value`, which neutralises text a
spreadsheet would run as a formula by the protection stage's rule
(:func:`shucang.protect.extract.neutral_name`), so a download and an extract agree on what is risky.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from shucang.protect.extract import neutral_name

BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")

LABELS_ZH: Mapping[str, str] = {
    "subject": "导出内容", "period": "期间", "caliber": "口径", "sources": "来源数据集（版本）",
    "exported_at": "导出时间（北京时间）", "exported_by": "导出人", "label": "数据标签", "note": "备注",
}
"""The block's row labels in Chinese, by field (the cockpit passes them translated to the page's language)."""

SYNTHETIC_LABEL = "合成演示数据：不涉及任何真实的个人或企业。"
REAL_LABEL = "真实数据"


def spreadsheet_value(value: Any) -> Any:
    """A cell safe for a spreadsheet: numbers stay numbers, 是/否 for booleans, ISO dates, and text a
    spreadsheet would run as a formula prefixed with ``'``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float) and math.isfinite(value):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return neutral_name(str(value))


def beijing_time(now: datetime | None = None) -> str:
    """The export time as the block shows it: ``2026-12-07 11:30`` in Beijing time."""
    return (now or datetime.now(UTC)).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def sources_text(sources: list[dict[str, Any]] | list[str]) -> str:
    """``dataset vN；…`` from catalog entries (``{"dataset", "version"}``) or ready strings."""
    parts = [s if isinstance(s, str) else f"{s['dataset']} v{s['version']}" for s in sources]
    return "；".join(parts) or "–"


@dataclass(frozen=True)
class TitleBlock:
    """The facts above a table; ``caliber`` and ``note`` are rows of their own only when given."""

    subject: str
    period: str
    sources: str
    exported_at: str
    exported_by: str
    label: str
    lang: str = "zh"
    caliber: str = ""
    """统计口径 (economic figures: comparable enterprises or all reports; the 亩均 method)."""
    note: str = ""
    labels: Mapping[str, str] = field(default_factory=lambda: LABELS_ZH)

    def rows(self) -> list[tuple[str, str]]:
        """(label, value) in file order, the subject first."""
        keys = ["subject", "period", *(["caliber"] if self.caliber else []), "sources", "exported_at",
                "exported_by", "label", *(["note"] if self.note else [])]
        return [(self.labels.get(k) or LABELS_ZH[k], str(getattr(self, k))) for k in keys]

    def csv_rows(self) -> list[list[Any]]:
        """The block as CSV rows (each cell neutralised)."""
        return [[spreadsheet_value(label), spreadsheet_value(value)] for label, value in self.rows()]

    def write_xlsx(self, book: Any, sheet: Any) -> int:
        """Write the block at the top of an xlsxwriter ``sheet`` (the subject as its title); return the
        row where the table's header goes (one blank row below the block)."""
        rows = self.rows()
        sheet.write_string(0, 0, str(spreadsheet_value(self.subject)), book.add_format({"bold": True, "font_size": 14}))
        key = book.add_format({"bold": True, "font_color": "#4d5a6e"})
        for r, (label, value) in enumerate(rows[1:], start=1):
            sheet.write_string(r, 0, label, key)
            sheet.write_string(r, 1, str(spreadsheet_value(value)))
        return len(rows) + 1
