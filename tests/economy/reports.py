"""A hand-built monthly report file for the economy tests, and the same figures computed in plain Python.

The file mixes the period spellings departments use (202506, 2025-06, 2025年6月), has enterprises
entering and leaving, missing months and corrections (the same enterprise-month reported twice with
different report times). ``hand_yoy`` recomputes the contract's figures with loops over these rows,
independently of the SQL under test.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path
from typing import Any

HEADER = ["统一社会信用代码", "单位详细名称", "统计月份", "行业代码", "镇（街道）", "填报时间", "工业总产值（万元）",
          "用电量(万千瓦时)"]
CHAIN_OF = {"3851": "家电", "3854": "家电", "3451": "轴承", "3525": "模具", "3670": "汽车零部件"}
"""The bundled chains of the industry codes used below (385x 家电, 3451 轴承, 3525 模具, 3670 汽车零部件)."""

# enterprise → (name, industry, town, {year: months reported})
FIRMS: dict[str, tuple[str, str, str, dict[int, list[int]]]] = {
    "91330282A00000001X": ("甲电器", "3851", "周巷镇", {2024: list(range(1, 13)), 2025: list(range(1, 10))}),
    "91330282A00000002X": ("乙轴承", "3451", "周巷镇", {2024: list(range(1, 13)), 2025: list(range(1, 10))}),
    # enters 规上 in March 2025: in 全口径 only
    "91330282A00000003X": ("丙模具", "3525", "观海卫镇", {2025: list(range(3, 10))}),
    # leaves after April 2025: in 全口径 for both years, not comparable for June
    "91330282A00000004X": ("丁汽配", "3670", "观海卫镇", {2024: list(range(1, 13)), 2025: [1, 2, 3, 4]}),
    # missing months (Feb 2024, Mar 2025) but reports June both years: comparable, sums over what exists
    "91330282A00000005X": ("戊家电", "3854", "浒山街道", {2024: [1, 3, 4, 5, 6, 7], 2025: [1, 2, 4, 5, 6]}),
    # missing June 2024: not comparable
    "91330282A00000006X": ("己模具", "3525", "浒山街道", {2024: [1, 2, 3, 4, 5, 7], 2025: list(range(1, 7))}),
    # a town of its own with nothing last year: previous 0 → yoy null
    "91330282A00000007X": ("庚轴承", "3452", "龙山镇", {2025: [1, 2, 5, 6]}),
    # no chain (2929 塑料零件), corrected twice
    "91330282A00000008X": ("辛塑料", "2929", "周巷镇", {2024: list(range(1, 13)), 2025: list(range(1, 8))}),
}
CORRECTIONS = {("91330282A00000008X", 2025, 5): 3, ("91330282A00000001X", 2025, 2): 2,
               ("91330282A00000005X", 2024, 6): 2}
"""(enterprise, year, month) → number of rows for it; the last written (latest report time) counts."""


def _value(i: int, year: int, month: int, k: int) -> float:
    return round(100 + 37.5 * i + 11 * month + (year - 2024) * (5 + 3 * i) + 13.25 * k, 2)


def _period(year: int, month: int, n: int) -> str:
    return (f"{year}{month:02d}", f"{year}-{month:02d}", f"{year}年{month}月")[n % 3]


def rows() -> list[list[Any]]:
    """The file's rows; corrections come *before* the row they are corrected by, to show order is not used."""
    out: list[list[Any]] = []
    n = 0
    for i, (ent, (name, code, town, years)) in enumerate(FIRMS.items()):
        for year, months in years.items():
            for month in months:
                copies = CORRECTIONS.get((ent, year, month), 1)
                # later copies have later report times; write them in reverse so file order misleads
                for k in reversed(range(copies)):
                    rt = f"{year if month < 12 else year + 1}-{month % 12 + 1:02d}-{10 + 5 * k:02d} 09:00:00"
                    out.append([ent, name, _period(year, month, n), code, town, rt, _value(i, year, month, k),
                                round(_value(i, year, month, k) / 10, 1)])
                    n += 1
    return out


def write(path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        writer.writerows(rows())
    return path


def _month_of(text: str) -> tuple[int, int]:
    digits = text.replace("年", "-").replace("月", "")
    if "-" in digits:
        y, m = digits.split("-")
        return int(y), int(m)
    return int(digits[:4]), int(digits[4:])


def deduplicated() -> dict[tuple[str, int, int], list[Any]]:
    """(enterprise, year, month) → the row that counts (latest report time)."""
    best: dict[tuple[str, int, int], list[Any]] = {}
    for row in rows():
        y, m = _month_of(row[2])
        key = (row[0], y, m)
        if key not in best or row[5] > best[key][5]:
            best[key] = row
    return best


def hand_yoy(year: int, month: int, by: str, caliber: str, measure: int = 6) -> dict[str, Any]:
    """The figures of ``shucang economy yoy`` by loops: rows keyed by group, and the total."""
    counted = deduplicated()
    firms = {e for e, _, _ in counted}
    cur: dict[str, float] = defaultdict(float)
    prev: dict[str, float] = defaultdict(float)
    attrs: dict[str, tuple[str, str]] = {}
    has_cur, has_prev, in_cur = set(), set(), set()
    for (e, y, m), row in sorted(counted.items(), key=lambda kv: (kv[0][1], kv[0][2])):
        if y == year and m <= month:
            cur[e] += row[measure]
            in_cur.add(e)
            attrs[e] = (row[3], row[4])
            has_cur |= {e} if m == month else set()
        elif y == year - 1 and m <= month:
            prev[e] += row[measure]
            attrs.setdefault(e, (row[3], row[4]))
            has_prev |= {e} if m == month else set()
    # the latest report within the windows decides the attributes: current year first
    for e in firms:
        latest = max(((y, m) for (f, y, m) in counted if f == e and
                      ((y == year and m <= month) or (y == year - 1 and m <= month))), default=None)
        if latest:
            r = counted[(e, *latest)]
            attrs[e] = (r[3], r[4])
    chosen = (has_cur & has_prev) if caliber == "comparable" else {e for e in firms if e in attrs}

    def groups(e: str) -> list[str]:
        code, town = attrs[e]
        if by == "none":
            return ["全市"]
        if by == "town":
            return [town]
        if by == "industry":
            return [code]
        if by == "division":
            return [code[:2]]
        return [CHAIN_OF[code]] if code in CHAIN_OF else ([] if code != "3452" else ["轴承"])

    out: dict[str, dict[str, float]] = defaultdict(lambda: {"current": 0.0, "previous": 0.0, "enterprises": 0})
    total = {"current": 0.0, "previous": 0.0, "enterprises": 0}
    for e in chosen:
        for g in groups(e):
            out[g]["current"] += cur.get(e, 0.0)
            out[g]["previous"] += prev.get(e, 0.0)
            out[g]["enterprises"] += e in in_cur
        total["current"] += cur.get(e, 0.0)
        total["previous"] += prev.get(e, 0.0)
        total["enterprises"] += e in in_cur

    def pct(f: dict[str, float]) -> float | None:
        return (f["current"] - f["previous"]) / f["previous"] * 100 if f["previous"] else None

    return {"rows": {g: {**f, "yoy_pct": pct(f)} for g, f in out.items()}, "total": {**total, "yoy_pct": pct(total)}}
