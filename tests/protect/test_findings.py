"""Trace findings: typed records whose JSON keeps the shape shown before, and one accusation rule."""

from __future__ import annotations

import pytest

from shucang.protect.findings import (
    ACCUSE_BELOW,
    CheckDigitFinding,
    DecoyFinding,
    Finding,
    NumericFinding,
    PseudonymFinding,
    Weighed,
    accuses,
    bound,
    finding_dict,
    settled,
    weigh,
)

SHAPES = {
    PseudonymFinding("甲", "id18", "k1", votes=30, values=40, p_value=1e-30):
        ["kind", "recipient", "shape", "key_id", "votes", "values", "p_value"],
    CheckDigitFinding("甲", "mobile", "k1", agree=30, values=40, p_value=1e-20):
        ["kind", "recipient", "shape", "key_id", "agree", "values", "p_value"],
    NumericFinding("甲", "x1", "people", carriers=400, agree=390, p_value=1e-90):
        ["kind", "recipient", "extract_id", "dataset", "carriers", "agree", "p_value"],
    DecoyFinding("甲", "x1", "people", decoys_found=5, decoys_used=4, bits=120.5, p_value=1e-25):
        ["kind", "recipient", "extract_id", "dataset", "decoys_found", "decoys_used", "bits", "p_value"],
}


@pytest.mark.parametrize("finding", list(SHAPES), ids=lambda f: f.kind)
def test_json_keeps_the_old_keys_in_order(finding: Finding) -> None:
    data = finding_dict(finding)
    assert list(data) == SHAPES[finding] and data["kind"] == finding.kind
    assert list(Weighed(finding, 0.5).to_dict()) == [*SHAPES[finding], "bound"]
    with pytest.raises(AttributeError):
        setattr(finding, "recipient", "乙")  # noqa: B010 — frozen


def test_the_accusation_rule() -> None:
    assert bound(1e-12, 100) == pytest.approx(1e-10) and bound(0.5, 10) == 1.0 and bound(0.1, 0) == 0.1
    assert accuses(ACCUSE_BELOW) and not accuses(ACCUSE_BELOW * 1.001)
    weak = NumericFinding("甲", "x1", "people", carriers=10, agree=9, p_value=1e-3)
    strong = NumericFinding("乙", "x2", "people", carriers=400, agree=390, p_value=1e-20)
    assert not settled([], 10) and not settled([weak], 10) and settled([weak, strong], 10**6)
    assert not settled([strong], 10**11)  # the same evidence among more hypotheses names nobody
    assert [w.accuses for w in weigh([weak, strong], 10**6)] == [False, True]
    # Pseudonym evidence names a recipient, not an extract.
    assert PseudonymFinding("甲", "token", "k1", 3, 9, 0.1).extract_id is None
