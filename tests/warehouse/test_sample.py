"""The ingest's spread sample: bounded, evenly spread over the whole stream, independent of batching."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from shucang.classify import store
from shucang.warehouse import IngestOptions
from shucang.warehouse.sample import SpreadSample


def _stream(total: int, sizes: list[int]) -> list[pa.RecordBatch]:
    batches, start, i = [], 0, 0
    while start < total:
        n = min(sizes[i % len(sizes)], total - start)
        batches.append(pa.record_batch({"row": pa.array(range(start, start + n), pa.int64())}))
        start, i = start + n, i + 1
    return batches


@settings(max_examples=60, deadline=None)
@given(total=st.integers(1, 60_000), sizes=st.lists(st.integers(1, 9_000), min_size=1, max_size=5),
       rows=st.sampled_from([10, 100, 1000]))
def test_sample_is_a_bounded_even_grid_whatever_the_batches(total: int, sizes: list[int], rows: int) -> None:
    sample = SpreadSample(rows)
    for batch in _stream(total, sizes):
        sample.update(batch)
    table = sample.table()
    assert table is not None
    got = table.column("row").to_pylist()
    assert len(got) == min(total, rows)
    assert got == sorted(set(got)) and got[0] == 0
    # spread over the whole stream: the last kept row is near the end, not in the first batch
    assert total - 1 - got[-1] <= 2 * total / min(total, rows) + 1


def test_sample_copies_rows_rather_than_keeping_batches_alive() -> None:
    sample = SpreadSample(100)
    big = pa.record_batch({"s": pa.array(["x" * 100] * 50_000)})
    sample.update(big)
    kept = sum(b.get_total_buffer_size() for b in sample.kept)
    assert kept < big.get_total_buffer_size() / 10


def test_large_replacing_ingest_is_classified_from_its_own_sample(warehouse: Any, monkeypatch: Any) -> None:
    from tests.classify import synth as S

    r = S.rng(3)
    n = 30_000
    table = pa.table({"身份证号": [S.id_card(r) for _ in range(n)], "序号": [str(i) for i in range(n)]})
    reads: list[str] = []
    original = store._read_for_classification
    monkeypatch.setattr(store, "_read_for_classification",
                        lambda *a, **k: reads.append("read") or original(*a, **k))
    warehouse.ingest_arrow(table, IngestOptions(dataset="ids", mode="replace", synthetic=True))
    assert reads == []  # the sample came with the ingest
    grades = store.column_grades(warehouse, "ids")
    assert (grades["身份证号"].type, grades["身份证号"].level) == ("id_card", 4)
    found = store.stored_classification(warehouse, "ids")
    assert found is not None
    warehouse.ingest_arrow(table.slice(0, 100), IngestOptions(dataset="ids", mode="append", synthetic=True))
    assert reads == ["read"]  # an append is judged on the stored version, old rows included
