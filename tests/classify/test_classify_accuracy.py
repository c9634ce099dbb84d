"""Accuracy on the labelled development set: macro-F1 over types and recall of level ≥ 3 columns.

Reads every table of ``tests/cases/classify-dev`` with a test-only reader (all values as text),
classifies it, and compares with ``labels.json``. The scores are printed (``-s`` to see them).
"""

from __future__ import annotations

import pytest
from tests.classify.devset import DEV, labels, read_table
from tests.classify.scoring import score

from shucang.classify import classify_table


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
    s = score(pairs, strict=True)
    f1, recall = s.macro_f1, s.recall
    wrong = [(w, g) for w, g, _ in pairs if w != g]
    print(f"\nclassify-dev: {len(pairs)} columns, {s.types} types, macro-F1 {f1:.4f}, "
          f"recall(level≥3) {recall:.4f}, wrong {wrong}")
    assert len(pairs) == 338
    assert f1 >= 0.95
    assert recall >= 0.99


def test_dev_set_without_header_names() -> None:
    """Headers replaced by col_N: types that values alone can show must still be found."""
    pairs = _run(rename=True)
    s = score(pairs, strict=True)
    f1, recall = s.macro_f1, s.recall
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
