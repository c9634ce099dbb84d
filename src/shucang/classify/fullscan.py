"""A full scan: every value of a table re-measured, batch by batch, from results that add up.

The sample decides which detectors matter for each column (:func:`plan_scan`). The scan is then two
passes over batches of rows, each batch giving partial results per column that are merged:

1. :func:`profile_batch` — each column's :class:`~shucang.classify.shares.Profile` (what the detectors'
   gates look at) and, where a rule needs it, its distinct values (:class:`Distinct`, exact up to
   :data:`~shucang.classify.detect.DISTINCT_CAP`);
2. :func:`count_batch` — each column's detector :class:`~shucang.classify.shares.Counts`, gated by the
   *merged* profile of the whole column;

and :func:`finish_column` re-takes the decision from the merged results. Nothing depends on where a
batch starts or ends, so :func:`scan_local` (threads on one machine) and the Spark engine
(:mod:`shucang.classify.scaleout`, ``mapInArrow`` on executors) give the same types, grades and
confidences. Partial results travel as Arrow rows (:data:`PARTIAL_SCHEMA`): JSON counts plus the
distinct values as a list.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from shucang.classify.detect import DISTINCT_CAP, ColumnEvidence, Spread, full_keys, rescanned
from shucang.classify.shares import (
    Counts,
    Profile,
    count_values,
    finish_shares,
    nonblank_values,
    profile_values,
)

BATCH_ROWS = 262_144
"""Rows per batch on one machine (Spark hands its own batches: the results do not depend on the size)."""

PARTIAL_SCHEMA = pa.schema([("column", pa.int32()), ("stats", pa.string()), ("distinct", pa.list_(pa.string())),
                            ("over", pa.bool_())])
"""One partial result per column and batch (or partition): JSON statistics, distinct values, cap exceeded."""

# rules of :func:`shucang.classify.detect.decide` that look at how many different values a column has
_DISTINCT_RULES = (("person_name", 0.4), ("coord_cn", 0.9), ("icd", 0.7))


@dataclass(frozen=True)
class ColumnPlan:
    """What the scan measures of one column."""

    index: int
    name: str
    keys: frozenset[str]
    """Detectors re-measured on every value (empty: only the count of non-blank values)."""
    distinct: bool
    """Whether the decision may need the number of different values."""


def plan_scan(evs: Sequence[ColumnEvidence]) -> list[ColumnPlan]:
    """One plan per column, from the evidence of the sample."""
    plans = []
    for i, ev in enumerate(evs):
        keys = full_keys(ev)
        # a share the scan re-measures may cross its threshold; one it keeps from the sample already has
        distinct = any(key in keys or ev.shares.get(key, 0) >= threshold for key, threshold in _DISTINCT_RULES)
        plans.append(ColumnPlan(i, ev.name, keys, distinct))
    return plans


@dataclass
class Distinct:
    """Different non-blank values, exact while there are at most ``DISTINCT_CAP`` of them."""

    values: pa.Array
    over: bool = False

    @classmethod
    def of(cls, vals: pa.Array) -> Distinct:
        unique = pc.unique(vals)
        return cls(unique, False) if len(unique) <= DISTINCT_CAP else cls(pa.array([], pa.string()), True)

    @classmethod
    def merge_all(cls, parts: Iterable[Distinct]) -> Distinct:
        arrays = []
        for part in parts:
            if part.over:
                return cls(pa.array([], pa.string()), True)
            arrays.append(part.values)
        if not arrays:
            return cls(pa.array([], pa.string()))
        return cls.of(pa.concat_arrays(arrays))

    def count(self) -> int:
        return DISTINCT_CAP + 1 if self.over else len(self.values)


@dataclass
class FirstPass:
    """Pass 1 of one column (a batch, a partition or the whole column): its profile and distinct values."""

    profile: Profile
    distinct: Distinct | None


def _profile(plan: ColumnPlan, arr: pa.Array | pa.ChunkedArray) -> tuple[FirstPass, pa.StringArray]:
    vals = nonblank_values(arr)
    return FirstPass(profile_values(vals, plan.keys, rows=len(arr)), Distinct.of(vals) if plan.distinct else None), vals


def profile_batch(batch: pa.RecordBatch | pa.Table, plans: Sequence[ColumnPlan]) -> list[FirstPass]:
    """Pass 1 over one batch: per column, its profile and (where planned) its distinct values."""
    return [_profile(plan, batch.column(plan.index))[0] for plan in plans]


def count_batch(batch: pa.RecordBatch | pa.Table, plans: Sequence[ColumnPlan],
                profiles: Sequence[Profile]) -> list[Counts]:
    """Pass 2 over one batch: per column, its detector counts gated by the column's merged profile."""
    out = []
    for plan, prof in zip(plans, profiles, strict=True):
        out.append(count_values(nonblank_values(batch.column(plan.index)), prof, plan.keys) if plan.keys
                   else Counts())
    return out


def merge_pass1(parts: Iterable[FirstPass]) -> FirstPass:
    done = list(parts)
    profile = Profile()
    for p in done:
        profile = profile.merge(p.profile)
    kept = [p.distinct for p in done if p.distinct is not None]
    return FirstPass(profile, Distinct.merge_all(kept) if kept else None)


def merge_counts(parts: Iterable[Counts]) -> Counts:
    total = Counts()
    for part in parts:
        total = total.merge(part)
    return total


def finish_column(sample: ColumnEvidence, plan: ColumnPlan, first: FirstPass, counts: Counts) -> ColumnEvidence:
    """The column's evidence after the scan, decided by the same rules as on a sample."""
    prof = first.profile
    shares, facts = finish_shares(prof, counts, plan.keys, serial=bool(sample.facts.get("serial")))
    distinct = first.distinct

    def how_many() -> int:
        if distinct is None:
            raise RuntimeError(f"distinct values of {plan.name!r} were not counted by the scan")
        return distinct.count()

    return rescanned(sample, Spread(prof.n, how_many), shares, facts, rows=prof.rows)


def scan_local(table: pa.Table, evs: Sequence[ColumnEvidence], *, batch_rows: int = BATCH_ROWS
               ) -> list[ColumnEvidence]:
    """Full scan on this machine: columns in parallel threads, each in batches of ``batch_rows``."""
    plans = plan_scan(evs)

    def one(plan: ColumnPlan) -> ColumnEvidence:
        column = table.column(plan.index)
        firsts, values = [], []
        for start in range(0, len(column), batch_rows):
            first, vals = _profile(plan, column.slice(start, batch_rows))
            firsts.append(first)
            values.append(vals)  # kept for pass 2: normalised once (Spark executors normalise again)
        merged = merge_pass1(firsts)
        counts = merge_counts(count_values(v, merged.profile, plan.keys) for v in values) if plan.keys \
            else Counts()
        return finish_column(evs[plan.index], plan, merged, counts)

    # Arrow compute releases the GIL: columns are scanned in parallel threads (2 cores → ~2×)
    workers = min(len(plans), os.cpu_count() or 1, 8)
    if workers > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(one, plans))
    return [one(plan) for plan in plans]


# ---------------------------------------------------------------------------- partial results as Arrow rows
def _lists(arrays: Sequence[pa.Array | None]) -> pa.ListArray:
    """Arrays (or None) as one list<string> column, without going through Python values."""
    sizes = [0 if a is None else len(a) for a in arrays]
    offsets = pa.array([0, *itertools.accumulate(sizes)], pa.int32())
    kept = [a.cast(pa.string()) for a in arrays if a is not None]
    values = pa.concat_arrays(kept) if kept else pa.array([], pa.string())
    return pa.ListArray.from_arrays(offsets, values, mask=pa.array([a is None for a in arrays]))


def encode_pass1(parts: Sequence[FirstPass]) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays([
        pa.array(range(len(parts)), pa.int32()),
        pa.array([json.dumps(p.profile.to_json()) for p in parts], pa.string()),
        _lists([None if p.distinct is None or p.distinct.over else p.distinct.values for p in parts]),
        pa.array([bool(p.distinct is not None and p.distinct.over) for p in parts], pa.bool_()),
    ], schema=PARTIAL_SCHEMA)


def encode_counts(parts: Sequence[Counts]) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays([
        pa.array(range(len(parts)), pa.int32()),
        pa.array([json.dumps(p.to_json()) for p in parts], pa.string()),
        _lists([None] * len(parts)),
        pa.array([False] * len(parts), pa.bool_()),
    ], schema=PARTIAL_SCHEMA)


def decode_pass1(table: pa.Table, plans: Sequence[ColumnPlan]) -> list[FirstPass]:
    """Partial pass-1 rows of every batch or partition → one merged result per column."""
    by_column: list[list[FirstPass]] = [[] for _ in plans]
    table = table.combine_chunks()
    lists = table.column("distinct")
    # one row per column and partition: a handful, not one per value (the values stay in Arrow)
    for i, (col, stats, over) in enumerate(zip(*(table.column(c).to_pylist() for c in ("column", "stats", "over")),
                                               strict=True)):
        distinct = None
        if plans[col].distinct:
            listed = lists[i]
            distinct = Distinct(pa.array([], pa.string()), True) if over else \
                Distinct(listed.values if listed.is_valid else pa.array([], pa.string()))
        by_column[col].append(FirstPass(Profile.from_json(json.loads(stats)), distinct))
    return [merge_pass1(parts) for parts in by_column]


def decode_counts(table: pa.Table, plans: Sequence[ColumnPlan]) -> list[Counts]:
    by_column: list[list[Counts]] = [[] for _ in plans]
    for col, stats in zip(table.column("column").to_pylist(), table.column("stats").to_pylist(), strict=True):
        by_column[col].append(Counts.from_json(json.loads(stats)))
    return [merge_counts(parts) for parts in by_column]


__all__ = ["BATCH_ROWS", "PARTIAL_SCHEMA", "ColumnPlan", "Distinct", "count_batch", "decode_counts", "decode_pass1",
           "encode_counts", "encode_pass1", "finish_column", "merge_counts", "merge_pass1", "plan_scan",
           "profile_batch", "scan_local"]
