"""protect_for_recipient: clearance levels, policy (file and catalog), credentials, registry entries."""

from __future__ import annotations

import re

import pyarrow as pa
import pytest
from tests.protect.helpers import GRADES, people

from shucang.errors import InputError, NotFound, PermissionDenied
from shucang.protect import (
    ReleaseRequest,
    list_extracts,
    protect_for_recipient,
    set_column_rule,
    upsert_recipient,
)
from shucang.protect.policy import POLICY_FILE, load_policy
from shucang.protect.pseudonym import TOKEN_VALUE
from shucang.protect.recipients import get_recipient, list_recipients
from shucang.warehouse import IngestOptions


@pytest.fixture
def wh(warehouse):  # type: ignore[no-untyped-def]
    warehouse.ingest_arrow(people(300), IngestOptions(dataset="people", mode="replace", synthetic=True))
    for name, clearance in (("low", 1), ("mid", 3), ("top", 4)):
        upsert_recipient(warehouse, name, clearance=clearance, department="tjj")
    return warehouse


def _release(wh, who: str, **kw):  # type: ignore[no-untyped-def]
    table = wh.read_arrow("people")
    return table, protect_for_recipient(wh, ReleaseRequest("people", who,
                                        channel=kw.pop("channel", "extract"), grades=kw.pop("grades",
                                        GRADES), **kw), table)


def test_recipients_upsert_and_list(wh) -> None:  # type: ignore[no-untyped-def]
    low = get_recipient(wh, "low")
    assert (low.clearance, low.department, low.disabled) == (1, "tjj", False)
    again = upsert_recipient(wh, "low", clearance=2)
    assert again.id == low.id and again.clearance == 2 and again.department == "tjj"
    assert [r.name for r in list_recipients(wh)] == ["low", "mid", "top"]
    with pytest.raises(InputError):
        upsert_recipient(wh, "bad", clearance=5)
    with pytest.raises(NotFound):
        get_recipient(wh, "nobody")


def test_low_clearance_masks_above_level(wh) -> None:  # type: ignore[no-untyped-def]
    source, rel = _release(wh, "low")
    out = rel.table
    assert set(rel.masked_columns) == {"id_card", "name", "mobile", "address", "revenue", "birth_date"}
    assert out.column("town").to_pylist() == source.column("town").to_pylist()
    assert out.column("employees").num_chunks >= 0 and out.num_rows == source.num_rows
    ids = out.column("id_card").to_pylist()
    assert all(len(t) == 18 for t in ids) and not set(ids) & set(source.column("id_card").to_pylist())
    names = out.column("name").to_pylist()  # keyed pseudonyms (they carry the mark when IDs are dropped)
    assert all(re.fullmatch(TOKEN_VALUE, n) for n in names) and not set(names) & set(source.column("name").to_pylist())
    assert all("*" not in m and len(m) == 11 for m in out.column("mobile").to_pylist())  # pseudonym, not mask
    assert set(out.column("birth_date").to_pylist()) <= set(range(1940, 2006))
    assert all(a.endswith(("街道", "镇")) for a in out.column("address").to_pylist())


def test_mid_clearance_sees_level_three_as_stored(wh) -> None:  # type: ignore[no-untyped-def]
    source, rel = _release(wh, "mid")
    assert rel.masked_columns == ["id_card"]
    assert rel.table.column("name").to_pylist() == source.column("name").to_pylist()


def test_full_clearance_sees_identifiers_as_stored_and_numbers_within_tolerance(wh) -> None:  # type: ignore[no-untyped-def]
    source, rel = _release(wh, "top")
    assert rel.masked_columns == [] and rel.dropped_columns == []
    for name in ("id_card", "name", "mobile", "address", "town", "birth_date"):
        assert rel.table.column(name).to_pylist() == source.column(name).to_pylist()
    for name in ("revenue", "employees"):
        before = source.column(name).to_pylist()
        after = rel.table.column(name).to_pylist()
        assert all(abs(a - b) <= 0.001 * abs(b) for a, b in zip(after, before, strict=True))
        assert abs(sum(after) - sum(before)) <= 0.001 * sum(before)
        changed = sum(a != b for a, b in zip(after, before, strict=True))
        assert changed <= 0.1 * len(before)
    assert rel.marks["numeric"]["revenue"]["carriers"] > 0


def test_max_level_lowers_the_ceiling(wh) -> None:  # type: ignore[no-untyped-def]
    _source, rel = _release(wh, "top", max_level=1, channel="opendata")
    assert {"id_card", "name", "mobile", "address"} <= set(rel.dropped_columns)
    assert "id_card" not in rel.table.column_names
    assert rel.marks["numeric"] == {}  # open data is not fingerprinted


def test_display_channel_uses_partial_masks(wh) -> None:  # type: ignore[no-untyped-def]
    source, rel = _release(wh, "low", channel="display")
    first = source.column("id_card").to_pylist()[0]
    assert rel.table.column("id_card").to_pylist()[0] == first[:6] + "********" + first[-4:]
    assert rel.table.column("mobile").to_pylist()[0][3:7] == "****"


def test_credentials_are_never_shown_even_at_full_clearance(wh) -> None:  # type: ignore[no-untyped-def]
    table = pa.table({"user": ["a", "b"], "password": ["hunter2", "s3cret"]})
    rel = protect_for_recipient(wh, ReleaseRequest("people", "top", channel="extract",
                                grades={"user": (None, 1), "password": ("credential", 1)}), table)
    assert rel.table.column("password").to_pylist() == ["******", "******"]


def test_catalog_rule_and_policy_file(wh) -> None:  # type: ignore[no-untyped-def]
    set_column_rule(wh, "people", "address", "drop")
    set_column_rule(wh, "*", "name", "keep_ends", head=0, tail=0)
    (wh.settings.home / POLICY_FILE).write_text(
        "types:\n  id_card: {strategy: keep_ends, head: 1, tail: 1}\nfingerprint: {numeric_tolerance: 0.0005}\n",
        encoding="utf-8")
    policy = load_policy(wh)
    assert policy.numeric_tolerance == 0.0005
    source, rel = _release(wh, "low")
    assert "address" in rel.dropped_columns and "address" not in rel.table.column_names
    first = source.column("id_card").to_pylist()[0]
    assert rel.table.column("id_card").to_pylist()[0] == first[0] + "*" * 16 + first[-1]
    assert set("".join(rel.table.column("name").to_pylist())) == {"*"}
    (wh.settings.home / POLICY_FILE).write_text("typo: 1\n", encoding="utf-8")
    with pytest.raises(InputError):
        load_policy(wh)


def test_registry_records_each_release(wh) -> None:  # type: ignore[no-untyped-def]
    _s, rel = _release(wh, "low", version=1)
    _release(wh, "top")
    rows = list_extracts(wh, dataset="people")
    assert len(rows) == 2
    mine = next(r for r in rows if r.id == rel.extract_id)
    assert (mine.recipient, mine.dataset, mine.version, mine.channel, mine.clearance) == ("low", "people", 1, "extract", 1)
    assert mine.rows == 300 and mine.columns == rel.table.column_names
    assert mine.masked["id_card"] == "pseudonym" and mine.key_id == rel.key_id
    assert mine.policy["identifiers"]["extract"] == "pseudonym"
    assert list_extracts(wh, recipient="top")[0].recipient == "top"


def test_disabled_recipient_gets_nothing(wh) -> None:  # type: ignore[no-untyped-def]
    upsert_recipient(wh, "low", clearance=1, disabled=True)
    with pytest.raises(PermissionDenied):
        _release(wh, "low")


def test_grades_default_to_the_classifier(wh) -> None:  # type: ignore[no-untyped-def]
    table = wh.read_arrow("people")
    rel = protect_for_recipient(wh, ReleaseRequest("people", "low", channel="extract"), table)
    # Whatever the classifier decided, an ID column must not leave unmasked to clearance 1.
    assert "id_card" in rel.masked_columns or "id_card" in rel.dropped_columns


def test_api_pages_share_one_mark_files_get_their_own(wh) -> None:  # type: ignore[no-untyped-def]
    _s, first = _release(wh, "top", channel="api")
    _s, second = _release(wh, "top", channel="api")
    assert first.extract_id != second.extract_id
    assert first.table.column("revenue").equals(second.table.column("revenue"))
    _s, file_a = _release(wh, "top")
    _s, file_b = _release(wh, "top")
    assert not file_a.table.column("revenue").equals(file_b.table.column("revenue"))
    assert first.marks["context"] == "api:people" and file_a.marks["context"] == file_a.extract_id


def test_codes_ids_and_years_are_never_marked(wh) -> None:  # type: ignore[no-untyped-def]
    n = 2000
    table = pa.table({
        "station_id": pa.array(range(1000, 1000 + n), pa.int64()),
        "ticket": pa.array([f"20230227{i:010d}" for i in range(n)]),
        "zip": pa.array([f"3153{i % 100:02d}" for i in range(n)]),
        "year": pa.array([2000 + i % 25 for i in range(n)], pa.int64()),
        "amount": pa.array([f"{1000 + i * 0.37:.2f}" for i in range(n)]),
    })
    rel = protect_for_recipient(wh, ReleaseRequest("people", "top", channel="extract",
                                grades={c: (None, 1) for c in table.column_names}), table)
    for name in ("station_id", "ticket", "zip", "year"):
        assert rel.table.column(name).equals(table.column(name)), name
    assert set(rel.marks["numeric"]) == {"amount"}
    before = [float(v) for v in table.column("amount").to_pylist()]
    after = rel.table.column("amount").to_pylist()
    assert all(len(a.split(".")[1]) == 2 for a in after)  # text numbers keep their format
    assert all(abs(float(a) - b) <= 0.001 * b for a, b in zip(after, before, strict=True))


def test_release_says_whether_it_can_be_traced(wh) -> None:  # type: ignore[no-untyped-def]
    _s, low = _release(wh, "low")
    assert low.marks["traceable"] and "id_card" in low.marks["carriers"]
    text_only = wh.read_arrow("people").select(["id_card", "name", "town"])
    full = protect_for_recipient(wh, ReleaseRequest("people", "top", channel="extract", grades=GRADES),
                                 text_only)
    assert full.marks == {**full.marks, "traceable": False, "carriers": []}
