"""Classify a whole table: every column typed (:mod:`detect`), then cross-column evidence, then grades.

Columns are classified on one shared sample of rows (so rows stay aligned across columns), and the
table is then read as a whole: a date column equal to the birth dates inside the ID numbers is a
birth date, an integer column equal to the ages they give is an age, a ``1``/``2`` column that agrees
with their sex digit is a gender code — whatever the headers say (``col_7`` included). Finally the
grading rules of :mod:`grade` turn types into levels. Pure functions over Arrow, no I/O.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shucang.classify import grade as G
from shucang.classify import identifiers as ids
from shucang.classify import types as ST
from shucang.classify.detect import ColumnEvidence, detect_sample, nonblank_values


@dataclass
class ColumnClassification:
    """One column's result: its type code (or None), level 1–4, confidence and the evidence."""

    name: str
    type: str | None
    level: int
    confidence: float
    evidence: dict[str, Any] = field(default_factory=dict)
    entity_counts: dict[str, int] | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "type": self.type, "level": self.level,
                               "confidence": self.confidence, "evidence": self.evidence}
        if self.type:
            out["type_name"] = G.TYPE_NAMES_ZH.get(self.type, self.type)
        if self.entity_counts:
            out["entity_counts"] = self.entity_counts
        return out


@dataclass
class TableClassification:
    """All columns of a table, its level (max of the columns'), and how it was measured."""

    columns: list[ColumnClassification]
    level: int
    rows: int
    sampled_rows: int
    full: bool
    scheme: str = G.DEFAULT_SCHEME.name
    context: dict[str, Any] = field(default_factory=dict)

    def column(self, name: str) -> ColumnClassification:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "sampled_rows": self.sampled_rows, "full": self.full, "level": self.level,
                "scheme": self.scheme, "context": self.context, "columns": [c.to_dict() for c in self.columns]}


SAMPLE_DEFAULT = 10_000
"""Rows a full scan first classifies (evenly spaced) to know which detectors to re-measure everywhere."""


def sample_table(table: pa.Table, sample_rows: int | None) -> pa.Table:
    """Evenly spaced rows (deterministic), so a sorted or appended table is still covered end to end."""
    n = table.num_rows
    if sample_rows is None or n <= sample_rows:
        return table
    idx = np.linspace(0, n - 1, num=sample_rows).astype(np.int64)
    return table.take(pa.array(idx))


def _digits_of_dates(arr: pa.Array) -> pa.StringArray:
    """``YYYYMMDD`` (or ``YYYYMM``) of date-like values, null where not a date."""
    s = ids.normalize(arr)
    parts = pc.extract_regex(s, r"^(?P<y>(?:19|20)[0-9]{2})[-/.年]?(?P<m>[0-9]{1,2})(?:[-/.月]?(?P<d>[0-9]{1,2}))?")
    y, m, d = (pc.struct_field(parts, [i]) for i in range(3))
    m = pc.utf8_lpad(m, 2, "0")
    d = pc.if_else(pc.equal(pc.utf8_length(d), 0), pa.scalar(None, pa.string()), pc.utf8_lpad(d, 2, "0"))
    full = pc.binary_join_element_wise(y, m, d, "")
    return pc.coalesce(full, pc.binary_join_element_wise(y, m, ""))


def _agreement(a: pa.Array, b: pa.Array) -> float:
    """Share of rows where both are present and equal (0 when fewer than 10 rows have both)."""
    both = pc.and_(pc.is_valid(a), pc.is_valid(b))
    n = int(pc.sum(pc.cast(both, pa.int64())).as_py() or 0)
    if n < 10:
        return 0.0
    eq = pc.fill_null(pc.and_(both, pc.equal(a, b)), False)
    return int(pc.sum(pc.cast(eq, pa.int64())).as_py() or 0) / n


# the types whose values carry a birth date and a sex digit (the ID number), and the types checked against them
_CARRY_BIRTH = ST.carrying("birth")
_BIRTH, _AGE, _SEX = (ST.agreeing(fact) for fact in ("birth", "birth_year", "sex"))


def _id_column(evs: list[ColumnEvidence]) -> str | None:
    """The column of ID numbers the table's other columns are checked against (the surest one)."""
    best = [e for e in evs if e.type in _CARRY_BIRTH]
    return max(best, key=lambda e: e.shares.get(e.type or "", 0)).name if best else None


def _id_births(table: pa.Table, evs: list[ColumnEvidence]) -> pa.StringArray | None:
    col = _id_column(evs)
    if col is None:
        return None
    arr = table.column(col)
    return ids.id_card_birth(arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr)


def _cross_check(table: pa.Table, evs: list[ColumnEvidence]) -> None:
    """Birth dates, ages and gender codes recognised by agreeing with the table's ID numbers."""
    births = _id_births(table, evs)
    if births is None:
        return
    raw = ids.compact(table.column(_id_column(evs) or ""))
    seq = pc.if_else(pc.equal(pc.utf8_length(raw), 18), pc.utf8_slice_codeunits(raw, 16, 17),
                     pc.utf8_slice_codeunits(raw, 14, 15))
    sex = pc.if_else(pc.is_valid(births), seq, pa.scalar(None, pa.string()))
    male = pc.is_in(sex, value_set=pa.array(["1", "3", "5", "7", "9"]))
    for e in evs:
        if e.type is not None:
            continue
        col = table.column(e.name)
        sh = e.shares
        if sh.get("date", 0) >= 0.6 and _BIRTH:
            dates = _digits_of_dates(col)
            agree = max(_agreement(dates, births), _agreement(dates, pc.utf8_slice_codeunits(births, 0, 6)))
            if agree >= 0.7:
                e.type, e.confidence, e.rule = _BIRTH[0], round(0.6 + 0.35 * agree, 3), "matches ID birth dates"
                continue
        if sh.get("int_small", 0) >= 0.8 and _AGE:
            num = pc.extract_regex(ids.normalize(col), r"^(?P<n>[0-9]{1,3})(?:岁)?$")
            num = pc.struct_field(num, [0])
            vals = pc.cast(num, pa.int64())
            byear = pc.cast(pc.utf8_slice_codeunits(births, 0, 4), pa.int64())
            total = pc.add(vals, byear)  # age + birth year ≈ the year of the record
            both = pc.drop_null(total)
            if len(both) >= 10:
                mode = pc.mode(both).to_pylist()[0]["mode"]
                near = pc.less_equal(pc.abs(pc.subtract(both, mode)), 1)
                share = int(pc.sum(pc.cast(near, pa.int64())).as_py()) / len(both)
                if share >= 0.8 and 1900 < mode <= dt.date.today().year + 1:
                    e.type, e.confidence, e.rule = _AGE[0], round(0.6 + 0.35 * share, 3), "matches ID ages"
                    continue
        if sh.get("gender_code", 0) >= 0.8 and _SEX:
            codes = ids.normalize(col)
            is_male = pc.equal(codes, "1")
            agree = _agreement(pc.if_else(pc.fill_null(pc.is_in(codes, value_set=pa.array(["1", "2"])), False), is_male,
                                          pa.scalar(None, pa.bool_())), male)
            if agree >= 0.9:
                e.type, e.confidence, e.rule = _SEX[0], round(0.6 + 0.35 * agree, 3), "matches ID sex digit"


def _minors_share(table: pa.Table, evs: list[ColumnEvidence]) -> float | None:
    births = _id_births(table, evs)
    if births is None or pc.sum(pc.cast(pc.is_valid(births), pa.int64())).as_py() < 10:
        bcols = [e for e in evs if e.type in _BIRTH]
        if not bcols:
            return None
        births = _digits_of_dates(table.column(bcols[0].name))
    year = pc.cast(pc.utf8_slice_codeunits(births, 0, 4), pa.int64())
    present = pc.drop_null(year)
    if len(present) < 10:
        return None
    this_year = dt.date.today().year
    young = pc.greater(present, this_year - G.DEFAULT_SCHEME.minor_age)
    return round(int(pc.sum(pc.cast(young, pa.int64())).as_py()) / len(present), 3)


FullScan = Callable[[list[ColumnEvidence]], list[ColumnEvidence]]
"""Re-measures every value of the table, given the sample's evidence (on this machine or on Spark)."""


def classify_table(table: pa.Table, *, sample_rows: int | None = 10_000, full: bool = False,
                   scheme: G.GradingScheme | None = None) -> TableClassification:
    """Type and grade every column of ``table`` (from an evenly spaced sample unless ``full``)."""
    from shucang.classify.fullscan import scan_local

    data = sample_table(table, sample_rows or SAMPLE_DEFAULT if full else sample_rows)
    scan: FullScan | None = None
    if full and table.num_rows > data.num_rows:
        def scan(evs: list[ColumnEvidence]) -> list[ColumnEvidence]:
            return scan_local(table, evs)
    return classify_sampled(data, rows=table.num_rows, full=full, full_scan=scan, scheme=scheme)


def classify_sampled(data: pa.Table, *, rows: int, full: bool, full_scan: FullScan | None,
                     scheme: G.GradingScheme | None = None) -> TableClassification:
    """Classify from ``data`` (the sample), then — with ``full_scan`` — re-measure every value of the table.

    Cross-column checks (ID birth dates, ages, sex digits) and the minors' share are read on the sample.
    """
    scheme = scheme or G.DEFAULT_SCHEME

    def one(i: int) -> ColumnEvidence:
        return detect_sample(data.column_names[i], data.column(i))

    # Arrow compute releases the GIL: columns are classified in parallel threads (2 cores → ~2×)
    workers = min(data.num_columns, os.cpu_count() or 1, 8)
    if workers > 1 and data.num_rows >= 2_000:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            evs = list(pool.map(one, range(data.num_columns)))
    else:
        evs = [one(i) for i in range(data.num_columns)]
    if full_scan is not None:
        evs = full_scan(evs)
    _cross_check(data, evs)
    minors = _minors_share(data, evs)
    grades = G.grade_columns({e.name: e.type for e in evs}, G.TableContext(minors_share=minors), scheme)
    cols: list[ColumnClassification] = []
    for e in evs:
        g = grades[e.name]
        evidence = e.evidence()
        if g.reasons:
            evidence["grading"] = list(g.reasons)
        cols.append(ColumnClassification(e.name, e.type, g.level, e.confidence, evidence, e.entity_counts))
    context: dict[str, Any] = {}
    if minors is not None:
        context["minors_share"] = minors
    scanned = rows if full else data.num_rows
    return TableClassification(columns=cols, level=G.dataset_level([c.level for c in cols]), rows=rows,
                               sampled_rows=scanned, full=full or scanned == rows,
                               scheme=scheme.name, context=context)


__all__ = ["ColumnClassification", "FullScan", "TableClassification", "classify_sampled", "classify_table",
           "nonblank_values", "sample_table"]
