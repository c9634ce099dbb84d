"""From a sign's query result to a reading: each group's current value, its band and its history.

Pure functions over the Arrow result (small: one row per group, or per group and time point when the
query returns ``at``). The reading is what the board shows and what the alert lifecycle acts on.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from shucang.city.model import LEVEL_RANK, Sign
from shucang.errors import InputError

SERIES_POINTS = 30
"""Points kept per group for the sparkline."""
MAX_GROUPS = 500


@dataclass
class GroupReading:
    grp: str
    value: float | None
    level: str
    mean: float | None = None
    sd: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"grp": self.grp, "value": self.value, "level": self.level, "mean": self.mean, "sd": self.sd}


@dataclass
class Reading:
    groups: list[GroupReading]
    as_of: str | None = None
    series: dict[str, list[tuple[str, float | None]]] = field(default_factory=dict)

    @property
    def level(self) -> str:
        worst = "ok"
        for g in self.groups:
            if LEVEL_RANK[g.level] > LEVEL_RANK[worst]:
                worst = g.level
        return worst

    def to_dict(self) -> dict[str, Any]:
        return {"groups": [g.to_dict() for g in self.groups], "as_of": self.as_of, "series": self.series}


def _number(value: Any) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(f"value 列须为数字 (the value column must be numeric), got {value!r}") from None
    return None if math.isnan(number) else number


def _moment(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    raise InputError(f"at 列须为日期或时间 (the at column must be a date or timestamp), got {value!r}")


def _values(column: pa.ChunkedArray) -> list[float | None]:
    """The value column as floats (NaN as missing), checked value by value only when it is not numeric."""
    if pa.types.is_integer(column.type) or pa.types.is_floating(column.type) or pa.types.is_decimal(column.type):
        return [None if v is None or v != v else float(v) for v in column.to_pylist()]
    return [_number(v) for v in column.to_pylist()]


def _moments(column: pa.ChunkedArray) -> list[datetime]:
    """The at column as naive datetimes: an Arrow cast for dates, each value checked for anything else."""
    if column.null_count == 0:
        if pa.types.is_timestamp(column.type) and column.type.tz is None:
            return list(column.to_pylist())
        if pa.types.is_date(column.type):
            return list(pc.cast(column, pa.timestamp("us")).to_pylist())
    return [_moment(a) for a in column.to_pylist()]


def read_result(sign: Sign, table: pa.Table) -> Reading:
    """The reading of one query result; InputError when the columns are not ``grp, value [, at]``."""
    names = set(table.column_names)
    if not {"grp", "value"} <= names:
        raise InputError(f"查询须返回 grp 与 value 两列 (the query must return grp and value), got "
                         f"{', '.join(table.column_names)}")
    grps = ["全市" if g is None else str(g) for g in table.column("grp").to_pylist()]
    values = _values(table.column("value"))
    if "at" not in names:
        seen: dict[str, float | None] = {}
        for g, v in zip(grps, values, strict=True):
            seen[g] = v  # the last row of a group wins
        if len(seen) > MAX_GROUPS:
            raise InputError(f"分组过多 (too many groups): {len(seen)} > {MAX_GROUPS}")
        return Reading([GroupReading(g, v, sign.level(v)) for g, v in seen.items()])
    moments = _moments(table.column("at"))
    points: dict[str, dict[datetime, float | None]] = {}
    for g, v, t in zip(grps, values, moments, strict=True):
        points.setdefault(g, {})[t] = v
    if len(points) > MAX_GROUPS:
        raise InputError(f"分组过多 (too many groups): {len(points)} > {MAX_GROUPS}")
    latest = max(moments) if moments else None
    groups: list[GroupReading] = []
    series: dict[str, list[tuple[str, float | None]]] = {}
    iso: dict[datetime, str] = {}  # groups share their time points: each is written out once
    for g, by_time in points.items():
        ordered = sorted(by_time)
        series[g] = [(iso.get(t) or iso.setdefault(t, t.isoformat()), by_time[t]) for t in ordered[-SERIES_POINTS:]]
        if latest not in by_time:
            continue  # this group did not report at the latest time: no current reading
        value = by_time[latest]
        reference = None
        if sign.history is not None and latest is not None:
            past = [by_time.get(latest - timedelta(weeks=k)) for k in range(1, sign.history.weeks + 1)]
            known = [p for p in past if p is not None]
            if len(known) >= 3:
                reference = (statistics.fmean(known), statistics.pstdev(known))
        level = sign.level(value, reference)
        groups.append(GroupReading(g, value, level, *(reference or (None, None))))
    return Reading(groups, latest.isoformat() if latest else None, series)
