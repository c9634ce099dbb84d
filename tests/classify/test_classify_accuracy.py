"""Accuracy on the labelled development set: macro-F1 over types and recall of level ≥ 3 columns.

Reads every table of ``tests/cases/classify-dev`` with a test-only reader (all values as text),
classifies it, and compares with ``labels.json``. The scores are printed (``-s`` to see them).
"""

from __future__ import annotations

from collections import Counter

import pytest
from tests.classify.devset import DEV, labels, read_table

from shucang.classify import TYPE_LEVELS, classify_table


def _score(pairs: list[tuple[str | None, str | None, int]]) -> tuple[float, float, list[str]]:
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    high = hit = 0
    for want, got, level in pairs:
        if want == got:
            if want:
                tp[want] += 1
        else:
            if want:
                fn[want] += 1
            if got:
                fp[got] += 1
        if want and TYPE_LEVELS[want] >= 3:
            high += 1
            hit += level >= 3
    types = sorted(set(tp) | set(fn))
    f1s = []
    for t in types:
        p = tp[t] / (tp[t] + fp[t]) if tp[t] + fp[t] else 0.0
        r = tp[t] / (tp[t] + fn[t]) if tp[t] + fn[t] else 0.0
        f1s.append(2 * p * r / (p + r) if p + r else 0.0)
    return sum(f1s) / len(f1s), hit / high, types


def _run(rename: bool) -> list[tuple[str | None, str | None, int]]:
    pairs = []
    for file, cols in labels().items():
        table = read_table(DEV / file)
        names = table.column_names
        if rename:
            table = table.rename_columns([f"col_{i}" for i in range(table.num_columns)])
        result = classify_table(table)
        for name, col in zip(names, result.columns, strict=True):
            assert name in cols, f"{file}: unlabelled column {name}"
            pairs.append((cols[name], col.type, col.level))
    return pairs


def test_dev_set_scores() -> None:
    pairs = _run(rename=False)
    f1, recall, types = _score(pairs)
    wrong = [(w, g) for w, g, _ in pairs if w != g]
    print(f"\nclassify-dev: {len(pairs)} columns, {len(types)} types, macro-F1 {f1:.4f}, "
          f"recall(level≥3) {recall:.4f}, wrong {wrong}")
    assert len(pairs) == 338
    assert f1 >= 0.95
    assert recall >= 0.99


def test_dev_set_without_header_names() -> None:
    """Headers replaced by col_N: types that values alone can show must still be found."""
    pairs = _run(rename=True)
    f1, recall, _ = _score(pairs)
    print(f"\nclassify-dev with col_N headers: macro-F1 {f1:.4f}, recall(level≥3) {recall:.4f}")
    # amounts, postal codes and account numbers are indistinguishable without a name: not counted here
    by_value = {"id_card", "mobile_phone", "person_name", "address", "uscc", "bank_card", "imei", "vin",
                "email", "ip_address", "mac_address", "license_plate", "gender", "ethnicity", "birth_date",
                "marital_status", "education_level", "religion", "medical_info", "criminal_record",
                "gps_coordinate", "credential", "company_name", "landline_phone", "passport", "travel_permit"}
    hits = [w == g for w, g, _ in pairs if w in by_value]
    assert sum(hits) / len(hits) >= 0.95
    # look-alikes and other null columns stay null without their names too
    nulls = [g is None for w, g, _ in pairs if w is None]
    assert sum(nulls) / len(nulls) >= 0.97


@pytest.mark.parametrize("file", sorted(labels()))
def test_every_dev_table_has_a_dataset_level(file: str) -> None:
    result = classify_table(read_table(DEV / file))
    assert result.level == max(c.level for c in result.columns)
    assert all(1 <= c.level <= 4 for c in result.columns)
