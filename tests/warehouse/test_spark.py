"""The scale-out path: a dataset's exact version read on Spark, and the same Arrow batch function
(here the protection stage's masking) giving the same result on Spark as on one machine.

Runs in `make test` (pyspark is in the test extra) when a Java runtime is installed; skipped otherwise.
"""

from __future__ import annotations

import pyarrow as pa
from tests.spark import require_spark

require_spark()

from shucang.protect.masking import mask_for_type  # noqa: E402
from shucang.warehouse import IngestOptions  # noqa: E402
from shucang.warehouse.scaleout import map_batches, spark_dataframe  # noqa: E402

TYPES = {"name": "person_name", "phone": "mobile_phone"}


def mask_batch(batch: pa.RecordBatch) -> pa.RecordBatch:
    arrays = [mask_for_type(batch.column(i), TYPES.get(f.name)) if f.name in TYPES else batch.column(i)
              for i, f in enumerate(batch.schema)]
    return pa.RecordBatch.from_arrays(arrays, names=batch.schema.names)


def test_same_version_and_same_function_on_spark(spark, warehouse) -> None:
    first = pa.table({"id": pa.array(range(1000), pa.int64()),
                      "name": [f"欧阳{i % 7}号" for i in range(1000)],
                      "phone": [f"138{i:08d}" for i in range(1000)]})
    warehouse.ingest_arrow(first, IngestOptions(dataset="people", mode="replace"))
    warehouse.ingest_arrow(first.slice(0, 10), IngestOptions(dataset="people", mode="append"))

    assert spark_dataframe(spark, warehouse, "people", version=1).count() == 1000
    assert spark_dataframe(spark, warehouse, "people").count() == 1010

    frame = spark_dataframe(spark, warehouse, "people", version=1)
    masked = map_batches(frame, mask_batch, first.schema)
    on_spark = sorted(tuple(r) for r in masked.collect())
    local = mask_batch(pa.concat_tables([warehouse.read_arrow("people", 1)]).combine_chunks().to_batches()[0])
    on_one_machine = sorted(tuple(r.values()) for r in local.to_pylist())
    assert on_spark == on_one_machine
    assert all("****" in phone for _id, _name, phone in on_spark)
