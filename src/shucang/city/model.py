"""What a vital sign (城市体征) is: a query over one dataset, its unit, owner and bands.

A sign's SQL returns ``grp, value`` rows — one per station, town, department, or one for the county —
and may add an ``at`` column (date or timestamp): then the rows of the latest ``at`` are the reading,
earlier ones its history (sparkline, and the band relative to history). Bands are absolute
thresholds (``yellow_above`` …) or ``history``: outside mean ± kσ of the same weekday (and time of
day) over the last N weeks. Levels are ordered ok < yellow (关注) < red (预警).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, field, fields
from functools import cached_property
from typing import Any

LEVELS = ("ok", "yellow", "red")
LEVEL_RANK = {"ok": 0, "yellow": 1, "red": 2}
STATE_LABELS = {"ok": "正常", "yellow": "关注", "red": "预警", "stale": "数据过期", "error": "错误",
                "no_data": "无数据"}
"""A sign's state on the board: its worst group's level, or 数据过期 / 错误 / 无数据."""
KINDS = ("hotline", "gov_service", "enterprise", "water", "air", "traffic", "power", "other")
KIND_LABELS = {"hotline": "12345热线", "gov_service": "政务服务", "enterprise": "市场主体", "water": "智慧水利",
               "air": "空气质量", "traffic": "数字公路", "power": "电力负荷", "other": "其他"}


@dataclass(frozen=True)
class History:
    """A band relative to history: outside mean ± k·σ of the same weekday over ``weeks`` weeks."""

    weeks: int = 8
    """How many earlier same-weekday readings form the reference."""
    yellow_k: float = 2.0
    red_k: float = 3.0
    direction: str = "both"
    """above: only high values alert; below: only low ones; both."""


@dataclass(frozen=True)
class Sign:
    """One vital sign, as written in a signs YAML file or added with ``shucang signs add``."""

    id: str
    dataset: str
    sql: str
    title: str = ""
    unit: str = ""
    department: str | None = None
    kind: str = "other"
    yellow_above: float | None = None
    red_above: float | None = None
    yellow_below: float | None = None
    red_below: float | None = None
    history: History | None = None
    consecutive: int = 1
    """Readings outside the band before an alert opens, and inside before it recovers (no flapping)."""
    cadence: str | None = None
    """Expected update cadence; default: the dataset's own. Older data is 数据过期."""
    open: bool = False
    """Values may be shown to anyone (public measurements such as AQI); else only to readers of the data."""
    note: str = ""
    origin: str = field(default="bundled", compare=False)
    """bundled | home — where the definition was read from."""

    @property
    def label(self) -> str:
        return self.title or self.id

    @cached_property
    def _digest(self) -> str:
        decisive = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("origin", "note", "title")}
        decisive["history"] = asdict(self.history) if self.history else None
        body = json.dumps(decisive, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(body.encode()).hexdigest()[:12]

    def digest(self) -> str:
        """A short hash of what decides a reading: a changed definition is evaluated afresh."""
        return self._digest

    def level(self, value: float | None, reference: tuple[float, float] | None = None) -> str:
        """The band a value falls in: thresholds first, then the historical band when given."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "ok"
        worst = "ok"
        if (self.red_above is not None and value > self.red_above) or \
                (self.red_below is not None and value < self.red_below):
            return "red"
        if (self.yellow_above is not None and value > self.yellow_above) or \
                (self.yellow_below is not None and value < self.yellow_below):
            worst = "yellow"
        if self.history is not None and reference is not None:
            mean, sd = reference
            deviation = value - mean
            if self.history.direction == "above":
                deviation = max(deviation, 0.0)
            elif self.history.direction == "below":
                deviation = min(deviation, 0.0)
            scale = sd if sd > 0 else max(abs(mean) * 1e-6, 1e-9)
            z = abs(deviation) / scale
            if z > self.history.red_k:
                return "red"
            if z > self.history.yellow_k:
                worst = "yellow"
        return worst

    def band_text(self) -> str:
        """The band in words, for pages and messages."""
        parts = []
        for name, label in (("yellow_above", "关注 >"), ("red_above", "预警 >"), ("yellow_below", "关注 <"),
                            ("red_below", "预警 <")):
            value = getattr(self, name)
            if value is not None:
                parts.append(f"{label} {value:g}")
        if self.history is not None:
            h = self.history
            parts.append(f"近{h.weeks}周同日均值 ±{h.yellow_k:g}σ 关注 / ±{h.red_k:g}σ 预警")
        return "；".join(parts) or "—"

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["history"] = asdict(self.history) if self.history else None
        out["band"] = self.band_text()
        return out


def worse(a: str, b: str) -> str:
    return a if LEVEL_RANK.get(a, 0) >= LEVEL_RANK.get(b, 0) else b
