"""The sensitive-type registry is the one home of a type: every record is complete, and every stage's
tables are derived from it (a type added to the registry is seen everywhere)."""

from __future__ import annotations

import inspect

import pyarrow as pa
import pytest

from shucang.classify import detect, freetext, grade, types, vocab
from shucang.protect import decoys, masking, policy, pseudonym

CODES = [t.code for t in types.TYPES]


def test_codes_are_unique_and_levels_valid() -> None:
    assert len(CODES) == len(set(CODES)) == 38
    assert all(1 <= t.level <= 4 for t in types.TYPES)
    assert all(set(t.groups) <= set(types.GROUPS) for t in types.TYPES)


@pytest.mark.parametrize("code", CODES)
def test_record_is_complete(code: str) -> None:
    t = types.get(code)
    assert t.name_zh
    assert t.zh or t.en or t.threshold, "a type needs header words or a value detector"
    assert t.mask in masking.STRATEGIES
    if t.pseudonym:
        assert t.pseudonym in pseudonym.SHAPES
    assert t.decoy in (None, "id", "mobile", "name")
    if t.text:
        assert t.text_bound in ("digit", "alnum", "none")


def test_every_stage_derives_from_the_registry() -> None:
    assert grade.TYPE_LEVELS == {t.code: t.level for t in types.TYPES}
    assert grade.TYPE_NAMES_ZH == {t.code: t.name_zh for t in types.TYPES}
    assert grade.DIRECT_IDENTIFIERS == types.in_group("direct")
    assert set(masking.DEFAULT_MASKS) == set(CODES)
    assert all(masking.DEFAULT_MASKS[t.code] == (t.mask, dict(t.mask_params)) for t in types.TYPES)
    assert policy.IDENTIFIER_SHAPES == {t.code: t.pseudonym for t in types.TYPES if t.pseudonym}
    assert policy.NEVER_SHOWN_TYPES == ("credential",)
    assert set(decoys.ID_TYPES) == {t.code for t in types.TYPES if t.decoy == "id"}
    assert policy.OPEN_DATA_DROP == {t.code for t in types.TYPES if t.open_data_drop}
    assert policy.IDENTIFYING_TYPES == types.in_group("identifying") >= grade.DIRECT_IDENTIFIERS
    assert detect.THRESHOLDS == {t.code: t.threshold for t in types.TYPES if t.threshold is not None}
    for t in types.TYPES:
        for word in t.zh:
            assert vocab.read_name(word).head in (t.code, "person_name") or vocab.read_name(word).type == t.code, word
        for spelling in t.initials:
            assert vocab.initials_index()[spelling] == t.code


def test_one_pattern_finds_and_redacts_each_text_entity() -> None:
    """Detect and mask use the same free-text pattern (bank cards once differed: 62… vs 6…)."""
    for t in types.text_types():
        assert freetext.ENTITY_PATTERNS[t.code] == t.in_text("entity")
        assert dict(masking.TEXT_ENTITIES)[t.code] == t.in_text("sides")
    card = "6228480402564890018"
    text = pa.array([f"退款至卡号{card}，请查收", "订单号6123456789012345已发货"])
    found = freetext.count_entities(text)[0]
    redacted = masking.redact_text(text).to_pylist()
    assert found.get("bank_card") == 1
    assert card not in redacted[0] and "[银行卡号]" in redacted[0]
    assert redacted[1] == "订单号6123456789012345已发货"  # what is not found is not redacted either


def test_no_stage_keeps_its_own_type_table() -> None:
    """No module outside the registry spells a type's default level, mask or shape table."""
    for module in (grade, detect, vocab, masking, policy, decoys):
        src = inspect.getsource(module)
        assert '"id_card": 4' not in src and '"id_card": ("keep_ends"' not in src and '"id_card": "id18"' not in src
        assert '"bank_card": ("bank_card"' not in src
