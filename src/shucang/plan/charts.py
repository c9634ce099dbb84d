"""Indicator charts for the evaluation report, drawn offline with matplotlib (PNG bytes).

Each chart shows the baseline, the yearly values (an earlier plan's in grey when the indicator
continues one), the target as a line with the axis stretched to it, and the gap still open shaded.
Chinese labels need a CJK font: one is looked up through matplotlib's font manager (WenQuanYi, Noto
CJK, Source Han …, and Debian's /usr/share/fonts/truetype/wqy); without one the charts still come out,
labelled in ASCII, and a warning is logged.
"""

from __future__ import annotations

import io
import logging
from functools import lru_cache
from pathlib import Path
from typing import Any

log = logging.getLogger("shucang.plan")
CJK_NAMES = ("WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC",
             "Source Han Sans CN", "SimHei", "Microsoft YaHei", "PingFang SC", "Droid Sans Fallback", "AR PL UMing CN")
FONT_DIRS = (Path("/usr/share/fonts/truetype/wqy"), Path("/usr/share/fonts/opentype/noto"),
             Path("/usr/share/fonts/truetype/droid"))


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The family name of an installed CJK font, or None (then labels fall back to ASCII)."""
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    for name in CJK_NAMES:
        if name in names:
            return name
    for directory in FONT_DIRS:
        for path in sorted(directory.glob("*.tt[cf]")) + sorted(directory.glob("*.otf")):
            try:
                font_manager.fontManager.addfont(str(path))
            except (OSError, RuntimeError, ValueError):
                continue
    names = {f.name for f in font_manager.fontManager.ttflist}
    found = next((n for n in CJK_NAMES if n in names), None)
    if found is None:
        log.warning("no CJK font found for report charts: labels are drawn in ASCII "
                    "(install fonts-wqy-microhei or fonts-noto-cjk)")
    return found


def indicator_chart(row: dict[str, Any], *, width: float = 6.2, height: float = 2.7) -> bytes:
    """PNG of one indicator: baseline, yearly values, target line, the gap to it shaded."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    font = cjk_font()
    ascii_only = font is None
    rc: Any = {"font.family": [font] if font else ["DejaVu Sans"], "axes.unicode_minus": False, "font.size": 8}
    with plt.rc_context(rc):
        fig, ax = plt.subplots(figsize=(width, height), dpi=140)
        try:
            _draw(ax, row, ascii_only)
            fig.tight_layout()
            buf = io.BytesIO()
            fig.savefig(buf, format="png")
        finally:
            plt.close(fig)
    return buf.getvalue()


def _draw(ax: Any, row: dict[str, Any], ascii_only: bool) -> None:
    def label(zh: str, en: str) -> str:
        return en if ascii_only else zh

    plan_id = row.get("plan_id")
    points = {p["year"]: p["value"] for p in row["series"] if plan_id is None or p["plan"] == plan_id}
    if row["baseline"] is not None and row["baseline_year"] is not None:
        points.setdefault(row["baseline_year"], row["baseline"])
    earlier = sorted((p["year"], p["value"]) for p in row["series"] if plan_id and p["plan"] != plan_id)
    years = sorted(points) + [y for y, _ in earlier]
    target, target_year = row["target"], row["target_year"]
    if earlier:
        ax.plot([y for y, _ in earlier], [v for _, v in earlier], color="#9aa5b1", marker="o", ms=3, lw=1.2,
                label=label("上期规划", "previous plan"))
    mine = sorted(points.items())
    if mine:
        ax.plot([y for y, _ in mine], [v for _, v in mine], color="#0b4f9c", marker="o", ms=3.5, lw=1.6,
                label=label("实际值", "actual"))
    if row["baseline"] is not None:
        ax.scatter([row["baseline_year"]], [row["baseline"]], color="#555", zorder=5, s=18,
                   label=label("基期值", "baseline"))
    start = min([*years, target_year]) if years else target_year - 5
    ax.hlines(target, start, target_year, colors="#c0392b", linestyles="--", lw=1.2,
              label=label(f"目标 {target:g}", f"target {target:g}"))
    if mine:
        last_year, last = mine[-1]
        xs, ys = [y for y, _ in mine], [v for _, v in mine]
        if last_year < target_year:
            xs, ys = [*xs, target_year], [*ys, last]
        ax.fill_between(xs, ys, [target] * len(xs), color="#c0392b", alpha=0.08, lw=0,
                        label=label("与目标差距", "gap to target"))
        if last_year < target_year:
            ax.plot([last_year, target_year], [last, target], color="#c0392b", lw=0.8, ls=":",
                    label=label("所需路径", "path needed"))
    values = [v for _, v in mine] + [v for _, v in earlier] + [target]
    low, high = min(values), max(values)
    pad = (high - low) * 0.12 or abs(high) * 0.1 or 1.0
    ax.set_ylim(low - pad, high + pad)
    ax.set_xlim(start - 0.4, max([*years, target_year]) + 0.4)
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    unit = row["unit"] if not ascii_only or row["unit"].isascii() else ""
    ax.set_ylabel(unit)
    ax.set_title(row["name"] if not ascii_only else row["id"], fontsize=9)
    ax.grid(axis="y", color="#e5e8ec", lw=0.6)
    ax.legend(fontsize=7, loc="best", frameon=False)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
