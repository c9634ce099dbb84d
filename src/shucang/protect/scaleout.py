"""Extracts on Spark: the release's own column functions run batch by batch through ``mapInArrow``.

The plan (which column is masked, pseudonymised or marked, with which keys) is made once on the driver
from the grades and the first rows — exactly as on one machine — and its functions work value by value,
so every executor gives the same cells as the local engine; the mark counts are added up on the driver,
which then writes the file and the registry row through the same code as a local extract. Rows come
back in Spark's order (compare extracts as sets of rows).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from shucang.errors import InputError
from shucang.protect.release import ProtectedRelease, ReleasePlan, finish_release, plan_release
from shucang.protect.where import filter_dataset, parse_where
from shucang.warehouse.scaleout import spark_dataframe, spark_schema

if TYPE_CHECKING:
    from shucang.warehouse import Warehouse

HEAD_ROWS = 5000
"""Rows the plan looks at (``markable`` reads at most the first 5000 values of a column)."""


def release_on_spark(wh: Warehouse, spark: Any, dataset: str, version: int, recipient: str, *,
                     columns: list[str] | None, where: str | None, created_by: str | None,
                     decoys: bool | None, channel: str = "extract",
                     record: Callable[[dict[str, Any]], None] | None = None) -> ProtectedRelease:
    """Read ``dataset`` at ``version`` on Spark, release it for ``recipient``, record it; return the result.

    ``record`` works as in :func:`protect_for_recipient`: a callable receives the registry row's fields
    (the extract writer records them with the file's path and hash, once the file is complete)."""
    local = wh.arrow_dataset(dataset, version)
    if columns:
        missing = [c for c in columns if c not in local.schema.names]
        if missing:
            raise InputError(f"数据集 {dataset} 没有列 {', '.join(missing)} (no such column)",
                             hint="columns: " + ", ".join(local.schema.names))
    wanted = list(columns) if columns else list(local.schema.names)
    expression = parse_where(where, local.schema) if where else None
    head = local.head(HEAD_ROWS, columns=wanted, filter=expression)
    plan = plan_release(wh, dataset, head, recipient, channel=channel, version=version)
    out, marks = apply_on_spark(spark, wh, dataset, version, plan, wanted=wanted, expression=expression, head=head)
    return finish_release(wh, plan, out, marks, lambda: filter_dataset(local, where, wanted), dataset=dataset,
                          channel=channel, version=version, record=record, created_by=created_by, filter_text=where,
                          mark=True, decoys=decoys)


def apply_on_spark(spark: Any, wh: Warehouse, dataset: str, version: int, plan: ReleasePlan, *, wanted: list[str],
                   expression: Any, head: pa.Table) -> tuple[pa.Table, dict[str, Any]]:
    """``plan`` applied batch by batch on Spark to the stored version: (released table, mark counts)."""
    in_schema = wh.arrow_dataset(dataset, version).schema
    release_batch = plan.batch_function()

    def one_batch(batch: pa.RecordBatch) -> pa.RecordBatch:
        table = pa.Table.from_batches([batch])
        if expression is not None:
            table = table.filter(expression)
        table = table.select(wanted).combine_chunks()
        batches = table.to_batches()
        single = batches[0] if batches else pa.RecordBatch.from_pylist([], schema=table.schema)
        return release_batch(single)

    probe = head.combine_chunks().to_batches()
    first = probe[0] if probe else pa.RecordBatch.from_pylist([], schema=head.schema)
    out_schema = release_batch(first).schema

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            # Spark may hand columns in its own order and types widened: back to the stored schema first.
            aligned = pa.RecordBatch.from_arrays(
                [batch.column(batch.schema.get_field_index(f.name)).cast(f.type) for f in in_schema],
                schema=in_schema)
            yield one_batch(aligned).cast(out_schema)

    frame = spark_dataframe(spark, wh, dataset, version)
    gathered = frame.mapInArrow(run, spark_schema(out_schema)).toArrow().cast(out_schema)
    return plan.gather(gathered)
