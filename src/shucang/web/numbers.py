"""Numbers as Chinese readers expect them: 亿元 and 万元, 万/亿 for big counts, % with sensible digits.

Plan values already carry their unit (亿元, 万元/人, %, 家 …) and are shown in it; warehouse sums in 万元
are lifted to 亿元 once they pass 10,000 万元. English pages use the same figures with English unit
names, so a number never changes between the two languages — only its label does.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from typing import TypeGuard

from shucang.share.titleblock import BEIJING

UNIT_EN = {
    "亿元": "×100M yuan",
    "万元": "×10k yuan",
    "万元/人": "×10k yuan/person",
    "元": "yuan",
    "%": "%",
    "分": "points",
    "家": "firms",
    "个": "",
    "台": "units",
    "件": "",
    "项": "",
    "人": "people",
    "户": "households",
    "Gbps": "Gbps",
}


def is_number(value: object) -> TypeGuard[int | float]:
    """True for a finite int/float (bools and NaN are not numbers to show)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def as_float(value: object) -> float | None:
    """``value`` as a float when it is a number to show (see :func:`is_number`), else None."""
    return float(value) if is_number(value) else None


def unit_label(unit: str | None, lang: str) -> str:
    """The unit as shown in ``lang`` (Chinese units are kept as printed in the plan)."""
    if not unit:
        return ""
    if lang == "zh":
        return unit
    return UNIT_EN.get(unit, unit)


def _digits_for(value: float) -> int:
    magnitude = abs(value)
    if magnitude == 0 or float(value).is_integer():
        return 0
    if magnitude >= 10000:
        return 0
    return 2


def fmt_decimal(value: object, lang: str, digits: int | None = None) -> str:
    """A plain number with grouping: 9,271 · 115.71 · 5.8 — or an en dash when missing (same in both languages)."""
    if not is_number(value):
        return "–"
    number = float(value)
    places = _digits_for(number) if digits is None else digits
    # zh_Hans_CN and en group by thousands with "," and use "." (as Babel's patterns say); formatting
    # directly keeps pages fast (hundreds of numbers per page).
    text = f"{round(number, places):,.{places}f}"
    if places and "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def fmt_value(value: object, unit: str | None, lang: str, digits: int | None = None) -> str:
    """A plan value with its unit: ``115.71 亿元``, ``81.6%``, ``9,271 家`` (``–`` when missing)."""
    if not is_number(value):
        return "–"
    text = fmt_decimal(value, lang, digits)
    label = unit_label(unit, lang)
    if not label:
        return text
    if label == "%":
        return f"{text}%"
    return f"{text} {label}"


def fmt_count(value: object, lang: str) -> str:
    """A big count the Chinese way (128.4万, 1.02亿) or grouped in English (1,284,000)."""
    if not is_number(value):
        return "–"
    number = float(value)
    if lang == "zh":
        if abs(number) >= 1e8:
            return f"{fmt_decimal(number / 1e8, lang, 2)}亿"
        if abs(number) >= 1e5:
            return f"{fmt_decimal(number / 1e4, lang, 1)}万"
    return fmt_decimal(number, lang, 0)


def fmt_wan_yuan(value: object, lang: str) -> str:
    """An amount in 万元 (as the warehouse stores it), lifted to 亿元 from 10,000 万元 upwards."""
    if not is_number(value):
        return "–"
    number = float(value)
    if abs(number) >= 10000:
        return fmt_value(number / 10000, "亿元", lang, 2)
    return fmt_value(number, "万元", lang, 1 if abs(number) < 100 else 0)


def fmt_percent(value: object, lang: str, digits: int = 1) -> str:
    """A share already in percent (73.2 → ``73.2%``)."""
    if not is_number(value):
        return "–"
    return f"{fmt_decimal(value, lang, digits)}%"


def fmt_ratio(value: object, lang: str, digits: int = 1) -> str:
    """A ratio 0–1 (or more) shown as percent (0.732 → ``73.2%``)."""
    if not is_number(value):
        return "–"
    return fmt_percent(float(value) * 100, lang, digits)


"""Beijing time (UTC+8, no daylight saving): every time shown to a reader is in it."""


def to_beijing(value: datetime) -> datetime:
    """A stored time in Beijing time; naive times are UTC (as the catalog stores them)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(BEIJING)


def fmt_when(value: object, lang: str) -> str:
    """A timestamp in Beijing time to the minute (2025-03-01 14:05) or a date; ``–`` when unknown."""
    if isinstance(value, str) and value:
        text = value.strip()
        if len(text) > 10 and text[10] in "T ":
            try:
                value = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                return text[:16].replace("T", " ")
        else:
            return text[:16]
    if isinstance(value, datetime):
        return to_beijing(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return "–"
