"""Tables on object storage read by Spark: delta-rs names the version's files ``s3://…``, Hadoop's S3 client reads
``s3a://…``; :func:`spark_dataframe` hands Spark the mapped URIs (checked with stand-ins: no Spark, no S3)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pyarrow as pa
import pytest

from shucang.warehouse import scaleout
from shucang.warehouse.scaleout import spark_dataframe, spark_uri


@pytest.mark.parametrize(("given", "read"), [
    ("s3://bucket/prefix/monthly/part-0001.parquet", "s3a://bucket/prefix/monthly/part-0001.parquet"),
    ("S3://Bucket/x.parquet", "s3a://Bucket/x.parquet"),
    ("s3a://bucket/x.parquet", "s3a://bucket/x.parquet"),
    ("gs://bucket/x.parquet", "gs://bucket/x.parquet"),
    ("abfss://c@acct.dfs.core.windows.net/x.parquet", "abfss://c@acct.dfs.core.windows.net/x.parquet"),
    ("/srv/home/tables/monthly/part-0001.parquet", "/srv/home/tables/monthly/part-0001.parquet"),
    ("file:///srv/home/tables/s3://odd.parquet", "file:///srv/home/tables/s3://odd.parquet"),
])
def test_spark_uri(given: str, read: str) -> None:
    assert spark_uri(given) == read


class _Reader:
    def __init__(self) -> None:
        self.paths: tuple[str, ...] = ()

    def option(self, *_args: Any) -> _Reader:
        return self

    def parquet(self, *paths: str) -> Any:
        self.paths = paths
        return SimpleNamespace(select=lambda *names: ("frame", names))


def test_spark_dataframe_reads_s3_files_as_s3a(monkeypatch: pytest.MonkeyPatch) -> None:
    files = ["s3://bucket/wh/monthly/part-0.parquet", "s3://bucket/wh/monthly/part-1.parquet"]
    schema = pa.schema([("ent", pa.string()), ("m", pa.float64())])
    table = SimpleNamespace(file_uris=lambda: files, schema=lambda: SimpleNamespace(to_arrow=lambda: schema))
    opened: list[tuple[Any, int]] = []

    def open_table(path: Any, delta_version: int) -> Any:
        opened.append((path, delta_version))
        return table

    monkeypatch.setattr(scaleout.tables, "open_table", open_table)
    wh = SimpleNamespace(_version_row=lambda _d, _v: (None, SimpleNamespace(version=3, delta_version=7)),
                         table_location=lambda _d: "s3://bucket/wh/monthly")
    reader = _Reader()
    frame = spark_dataframe(SimpleNamespace(read=reader), wh, "monthly", 3)  # type: ignore[arg-type]  # a stand-in warehouse
    assert opened == [("s3://bucket/wh/monthly", 7)]  # the Delta version the catalog names
    assert reader.paths == ("s3a://bucket/wh/monthly/part-0.parquet", "s3a://bucket/wh/monthly/part-1.parquet")
    assert frame == ("frame", ("ent", "m"))


def test_a_table_on_s3_reaches_spark_as_s3a(home: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A real delta-rs table in a bucket (moto's S3 server): its files are listed ``s3://…``, Spark gets ``s3a://…``."""
    pytest.importorskip("moto", reason="moto[server] not installed (a test extra)")
    pytest.importorskip("boto3", reason="boto3 not installed")
    import os

    from tests.s3 import KEY_ID, REGION, SECRET, s3_server

    from shucang.platform import open_warehouse
    from shucang.settings import Settings
    from shucang.warehouse import IngestOptions

    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    with s3_server("spark-uri") as endpoint:
        for name, value in {"SHUCANG_TABLES_URL": "s3://spark-uri/{home_id}/tables", "AWS_ENDPOINT_URL": endpoint,
                            "AWS_REGION": REGION, "AWS_ALLOW_HTTP": "true", "AWS_ACCESS_KEY_ID": KEY_ID,
                            "AWS_SECRET_ACCESS_KEY": SECRET}.items():
            monkeypatch.setenv(name, value)
        wh = open_warehouse(Settings.load(home))
        try:
            wh.ingest_arrow(pa.table({"ent": ["a", "b"], "m": [1.0, 2.0]}), IngestOptions(dataset="monthly"))
            reader = _Reader()
            spark_dataframe(SimpleNamespace(read=reader), wh, "monthly")
        finally:
            wh.close()
    assert reader.paths and all(p.startswith("s3a://spark-uri/") and p.endswith(".parquet") for p in reader.paths)
