"""The full scan as per-batch partial results merged: the same evidence whatever the batches are.

One implementation serves the local engine (threads, batches of rows) and the Spark engine (executors,
Spark's batches; see tests/collect/test_spark_engine.py): so the result of a full scan must not depend on
where batches start or end. Checked on a wide synthetic table whose values change along the rows.
"""

from __future__ import annotations

import pyarrow as pa
import pytest
from tests.classify.wide import wide_table

from shucang.classify import classify_table
from shucang.classify.classifier import sample_table
from shucang.classify.detect import detect_sample
from shucang.classify.fullscan import (
    Distinct,
    count_batch,
    decode_counts,
    decode_pass1,
    encode_counts,
    encode_pass1,
    finish_column,
    plan_scan,
    profile_batch,
    scan_local,
)


@pytest.fixture(scope="module")
def table() -> pa.Table:
    return wide_table(60_000)


def _key(ev):  # everything a decision and its stored evidence are made of
    return (ev.name, ev.type, ev.confidence, ev.rule, ev.shares, ev.sampled, ev.nonblank, ev.entity_counts,
            ev.extra)


def test_same_evidence_whatever_the_batches(table: pa.Table) -> None:
    data = sample_table(table, 10_000)
    evs = [detect_sample(data.column_names[i], data.column(i)) for i in range(data.num_columns)]
    whole = [_key(e) for e in scan_local(table, evs, batch_rows=table.num_rows)]
    for rows in (262_144, 4_099):
        assert [_key(e) for e in scan_local(table, evs, batch_rows=rows)] == whole, rows
    found = {name: kind for name, kind, *_ in whole}
    assert found["姓名"] == "person_name" and found["身份证号"] == "id_card" and found["手机"] == "mobile_phone"
    assert found["地址"] == "address" and found["邮箱"] == "email" and found["col_7"] == "gps_coordinate"
    assert found["证件号码"] == "id_card" and found["业务流水号"] is None  # a running serial is not a phone
    assert found["手机号码"] == "mobile_phone"  # float phones read as digits, NaN or not elsewhere in the batch
    by_name = {k[0]: k for k in whole}
    assert by_name["身份证号"][6] == table.num_rows  # every value counted, the full-width ones too
    assert by_name["身份证号"][4]["id_card"] == 1.0
    assert by_name["姓名"][6] < table.num_rows  # blanks left out


def test_partials_through_arrow_rows_equal_the_local_scan(table: pa.Table) -> None:
    """What the Spark engine does, without Spark: per-partition folds encoded as Arrow rows, then merged."""
    data = sample_table(table, 10_000)
    evs = [detect_sample(data.column_names[i], data.column(i)) for i in range(data.num_columns)]
    plans = plan_scan(evs)
    partitions = [table.slice(0, 15_000), table.slice(15_000, 1), table.slice(15_001, 30_000),
                  table.slice(45_001)]
    first = decode_pass1(pa.Table.from_batches([encode_pass1(profile_batch(p, plans)) for p in partitions]), plans)
    profiles = [f.profile for f in first]
    counts = decode_counts(pa.Table.from_batches([encode_counts(count_batch(p, plans, profiles))
                                                  for p in partitions]), plans)
    merged = [_key(finish_column(evs[p.index], p, first[p.index], counts[p.index])) for p in plans]
    assert merged == [_key(e) for e in scan_local(table, evs)]


def test_distinct_values_exact_then_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    import shucang.classify.fullscan as F

    parts = [Distinct.of(pa.array(["a", "b", "a"])), Distinct.of(pa.array(["b", "c"]))]
    assert Distinct.merge_all(parts).count() == 3
    monkeypatch.setattr(F, "DISTINCT_CAP", 2)
    assert Distinct.merge_all([Distinct.of(pa.array(["a", "b"])), Distinct.of(pa.array(["c"]))]).over


def test_classify_table_full_uses_the_scan(table: pa.Table) -> None:
    sampled = classify_table(table)
    full = classify_table(table, full=True)
    assert full.full and full.sampled_rows == table.num_rows and not sampled.full
    assert {c.name: c.evidence["sampled"] for c in full.columns}["地址"] == table.num_rows
    assert full.column("身份证号").type == "id_card" and full.column("身份证号").level == 4
