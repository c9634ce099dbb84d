"""``classify --engine spark``: the full scan's per-batch functions run on executors through ``mapInArrow``.

The driver reads the catalog's exact version: its row count and the evenly spaced sample (the same rows
the local engine samples), classifies the sample, and plans the scan. Spark then runs the two passes of
:mod:`shucang.classify.fullscan` over the version's files — each partition folds its batches into one
partial result per column, sent back as a few Arrow rows — and the driver merges them and decides with
the same rules as the local engine. Types, grades and confidences are therefore those of a local full
scan; the result is written through the same registry (:func:`shucang.classify.store.classify_dataset`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import pyarrow as pa

from shucang.classify import grade as G
from shucang.classify.classifier import SAMPLE_DEFAULT, TableClassification, classify_sampled
from shucang.classify.detect import ColumnEvidence
from shucang.classify.fullscan import (
    PARTIAL_SCHEMA,
    ColumnPlan,
    count_batch,
    decode_counts,
    decode_pass1,
    encode_counts,
    encode_pass1,
    finish_column,
    merge_counts,
    merge_pass1,
    plan_scan,
    profile_batch,
)
from shucang.warehouse.scaleout import spark_dataframe, spark_schema

if TYPE_CHECKING:
    from shucang.warehouse import Warehouse

T = TypeVar("T")


def classify_on_spark(wh: Warehouse, spark: Any, dataset: str, version: int, *,
                      scheme: G.GradingScheme | None = None) -> TableClassification:
    """Classify ``dataset`` at ``version`` with every value scanned on Spark (the sample read on the driver)."""
    ds = wh.arrow_dataset(dataset, version)
    rows = ds.count_rows()
    if rows <= SAMPLE_DEFAULT:
        sample = ds.to_table()
    else:  # the rows classify_table(full=True) samples: evenly spaced over the version, in stored order
        sample = ds.take(pa.array(np.linspace(0, rows - 1, num=SAMPLE_DEFAULT).astype(np.int64)))

    def scan(evs: list[ColumnEvidence]) -> list[ColumnEvidence]:
        return scan_on_spark(spark, wh, dataset, version, evs, ds.schema)

    return classify_sampled(sample, rows=rows, full=True, full_scan=scan if rows > sample.num_rows else None,
                            scheme=scheme)


def scan_on_spark(spark: Any, wh: Warehouse, dataset: str, version: int, evs: Sequence[ColumnEvidence],
                  schema: pa.Schema) -> list[ColumnEvidence]:
    """The full scan of :func:`shucang.classify.fullscan.scan_local`, its two passes run by Spark."""
    plans = plan_scan(evs)
    frame = spark_dataframe(spark, wh, dataset, version)
    first = decode_pass1(_run(frame, schema, lambda b: profile_batch(b, plans), merge_pass1, encode_pass1), plans)
    profiles = [f.profile for f in first]
    if any(p.keys for p in plans):
        counts = decode_counts(_run(frame, schema, lambda b: count_batch(b, plans, profiles), merge_counts,
                                    encode_counts), plans)
    else:
        counts = [merge_counts([]) for _ in plans]
    return [finish_column(evs[p.index], p, first[p.index], counts[p.index]) for p in plans]


def _run(frame: Any, schema: pa.Schema, per_batch: Callable[[pa.RecordBatch], list[T]],
         merge: Callable[[list[T]], T], encode: Callable[[list[T]], pa.RecordBatch]) -> pa.Table:
    """``per_batch`` over every batch on the executors, folded by ``merge`` into one partial result per column
    and partition; those rows gathered on the driver."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        acc: list[T] | None = None
        for batch in batches:
            # Spark may hand columns in its own order and types widened: back to the stored schema first.
            aligned = pa.RecordBatch.from_arrays(
                [batch.column(batch.schema.get_field_index(f.name)).cast(f.type) for f in schema], schema=schema)
            parts = per_batch(aligned)
            acc = parts if acc is None else [merge([a, p]) for a, p in zip(acc, parts, strict=True)]
        if acc is not None:
            yield encode(acc)

    return frame.mapInArrow(run, spark_schema(PARTIAL_SCHEMA)).toArrow().cast(PARTIAL_SCHEMA)


__all__ = ["ColumnPlan", "classify_on_spark", "scan_on_spark"]
