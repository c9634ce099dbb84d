"""Closing a plan freezes its figures; corrections are audited revisions; values are checked once, for all."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
import sqlalchemy as sa
from tests.plan.test_values import ROBOT_PLAN, robots

from shucang import plan as planlib
from shucang.errors import Conflict, InputError, PermissionDenied
from shucang.warehouse import IngestOptions

FINAL_PLAN = ROBOT_PLAN.replace("entry_rules: {final_after_days: 36500}\n", "")


def catalog_state(wh: Any) -> list[Any]:
    """Every row of the plan's value tables, in a stable order."""
    from shucang.plan.records import plan_closures, plan_revisions
    from shucang.plan.store import plan_value_audit, plan_values

    with wh.engine.connect() as conn:
        return [conn.execute(sa.select(t).order_by(*t.primary_key.columns)).all()
                for t in (plan_values, plan_value_audit, plan_closures, plan_revisions)]


def test_closed_plan_refuses_every_write_and_changes_nothing(cli: Any, tmp_path: Path) -> None:
    assert cli("plan", "set", "software_revenue", "2025", "236.5").exit_code == 0
    assert cli("plan", "set", "mobile_office_share", "2024", "75.2").exit_code == 0
    closed = cli("plan", "close", "cixi-14th", "--note", "终期评估定稿", "--actor", "发改局", "--json")
    assert closed.exit_code == 0, closed.stderr
    assert closed.json()["closed_by"] == "发改局" and closed.json()["values"] == 2
    from shucang.platform import open_warehouse
    from shucang.settings import Settings

    home = Path(tmp_path / "home")
    wh = open_warehouse(Settings.load(home))
    try:
        before = catalog_state(wh)
    finally:
        wh.close()
    values = tmp_path / "v.yaml"
    values.write_text("plan: cixi-14th\nvalues:\n  software_revenue: {2025: 240}\n", encoding="utf-8")
    for args in (("plan", "set", "software_revenue", "2025", "240"),
                 ("plan", "unset", "software_revenue", "2025"),
                 ("plan", "import", str(values)),
                 ("plan", "recompute"),
                 ("plan", "close", "cixi-14th")):
        result = cli(*args)
        assert result.exit_code != 0, args
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
        assert "cixi-14th" in result.stderr
    wh = open_warehouse(Settings.load(home))
    try:
        assert catalog_state(wh) == before
    finally:
        wh.close()
    status = {r["id"]: r for r in cli("plan", "status", "--json").json()}
    assert status["software_revenue"]["latest"] == 236.5
    assert status["software_revenue"]["frozen"]["value"] == 236.5


def test_revision_is_audited_and_shown_beside_the_frozen_figure(warehouse: Any) -> None:
    wh = warehouse
    planlib.set_actual(wh, "cixi-14th", "software_revenue", 2025, 236.5, actor="经信局")
    from shucang.plan.lifecycle import close_plan, revise, revisions

    plan = planlib.load_plan(wh, "cixi-14th")
    with pytest.raises(InputError, match="open"):  # an open plan is corrected with plan set
        revise(wh, plan, "software_revenue", 2025, 240, reason="x", actor="a")
    close_plan(wh, plan, actor="发改局")
    with pytest.raises(InputError, match="reason"):
        revise(wh, plan, "software_revenue", 2025, 240, reason=" ", actor="a")
    with pytest.raises(InputError):  # the same checks as any entry: no decimal comma
        revise(wh, plan, "software_revenue", 2025, "237,1", reason="年鉴", actor="a")
    done = revise(wh, plan, "software_revenue", 2025, "237.1", reason="统计年鉴更正", actor="统计局")
    assert (done["frozen"], done["value"]) == (236.5, 237.1)
    assert revisions(wh, "cixi-14th", "software_revenue")[0]["reason"] == "统计年鉴更正"
    row = next(r.to_dict() for r in planlib.plan_status(wh, "cixi-14th") if r.info["id"] == "software_revenue")
    assert row["latest"] == 237.1 and row["frozen"]["value"] == 236.5
    assert row["revisions"][0]["value"] == 237.1
    from shucang.share.audit import search, verify

    entry = next(e for e in search(wh, action="plan.revise"))
    assert entry.details["reason"] == "统计年鉴更正" and entry.details["frozen"] == 236.5
    assert verify(wh).ok
    assert planlib.value_history(wh, "cixi-14th", "software_revenue")[0].action == "revise"


@pytest.fixture
def final_wh(warehouse: Any, home: Path) -> Any:
    (home / "plans").mkdir(parents=True, exist_ok=True)
    (home / "plans" / "robots-plan.yaml").write_text(FINAL_PLAN, encoding="utf-8")
    return warehouse


def test_a_year_whose_data_were_final_is_not_rewritten_unless_asked(final_wh: Any) -> None:
    wh = final_wh
    opts = IngestOptions(dataset="robots")
    wh.ingest_arrow(robots("2020-03-01", "2022-03-01"), opts)  # computed now: 2020–2025 have ended long since
    values = {v["period"]: v for v in planlib.indicator_series(wh, "robots-plan", "robots")["values"]}
    first_version = wh.dataset("robots").current_version
    assert values["2025"]["value"] == 2.0 and values["2025"]["lineage"] == {"robots": first_version}
    wh.ingest_arrow(robots("2024-05-01", start=5), opts)  # late data for a final year
    after = {v["period"]: v for v in planlib.indicator_series(wh, "robots-plan", "robots")["values"]}
    assert after["2025"]["value"] == 2.0 and after["2025"]["lineage"] == {"robots": first_version}
    report = planlib.recompute(wh, "robots-plan", indicators=["robots"])
    assert report["computed"][0]["kept_final"] == ["2024", "2025"] and report["changed"] == 0
    planlib.recompute(wh, "robots-plan", indicators=["robots"], rewrite_final=True)
    rewritten = {v["period"]: v for v in planlib.indicator_series(wh, "robots-plan", "robots")["values"]}
    assert rewritten["2025"]["value"] == 3.0
    assert rewritten["2025"]["lineage"] == {"robots": wh.dataset("robots").current_version}


def test_year_not_yet_final_follows_the_data(final_wh: Any) -> None:
    from shucang.plan.lifecycle import is_final

    plan = planlib.load_plan(final_wh, "robots-plan")
    assert not is_final(plan, 2025, datetime(2026, 3, 1, tzinfo=UTC))
    assert is_final(plan, 2025, datetime(2026, 4, 1, tzinfo=UTC))


@pytest.mark.parametrize(("raw", "expected"), [
    ("85.3", 85.3), ("1,234.5", 1234.5), ("82.5%", 82.5), (" 12 ", 12.0), ("1，234", 1234.0), (7, 7.0), ("/", None)])
def test_numbers_are_read_one_way(raw: Any, expected: float | None) -> None:
    from shucang.plan.validation import parse_number

    assert parse_number(raw) == expected


@pytest.mark.parametrize("raw", ["85,3", "1,23", "12,3456", "abc", "nan", True])
def test_ambiguous_or_bad_numbers_are_refused(raw: Any) -> None:
    from shucang.plan.validation import parse_number

    with pytest.raises(InputError):
        parse_number(raw)


def test_values_that_cannot_be_right_are_refused_everywhere(final_wh: Any, tmp_path: Path) -> None:
    wh = final_wh
    year = datetime.now(UTC).year
    with pytest.raises(InputError, match="不能填报"):
        planlib.set_actual(wh, "robots-plan", "open_rate", year + 1, 20, actor="a")
    with pytest.raises(InputError, match="0–100"):
        planlib.set_actual(wh, "robots-plan", "open_rate", 2024, 853, actor="a")
    with pytest.raises(InputError):
        planlib.set_actual(wh, "robots-plan", "open_rate", 2024, "85,3", actor="a")
    with pytest.raises(InputError, match="整数"):
        planlib.set_actual(wh, "robots-plan", "robots", 2024, 3.5, actor="a")
    planlib.set_actual(wh, "robots-plan", "open_rate", 2022, 20, actor="a")
    with pytest.raises(InputError, match="--confirm"):  # 20 → 70 is beyond 3× last year
        planlib.set_actual(wh, "robots-plan", "open_rate", 2023, 70, actor="a")
    with pytest.raises(InputError, match="--confirm"):  # confirming needs a note
        planlib.set_actual(wh, "robots-plan", "open_rate", 2023, 70, actor="a", confirm=True)
    done = planlib.set_actual(wh, "robots-plan", "open_rate", 2023, 70, actor="a", confirm=True, note="口径调整")
    assert done["changed"]
    bad = tmp_path / "bad.yaml"
    bad.write_text("plan: robots-plan\nvalues:\n  manual_one: {2024: 5, 2025: '85,3'}\n", encoding="utf-8")
    with pytest.raises(InputError, match="85,3"):
        planlib.import_actuals(wh, bad, actor="a")
    assert all(v["period"] != "2024" for v in planlib.indicator_series(wh, "robots-plan", "manual_one")["values"])


def test_editor_must_own_the_department(final_wh: Any) -> None:
    from shucang.share.access import Actor

    plan_text = FINAL_PLAN.replace("    unit: 分\n", "    unit: 分\n    department: jxj\n")
    (Path(final_wh.settings.home) / "plans" / "robots-plan.yaml").write_text(plan_text, encoding="utf-8")
    other = Actor(name="李四", role="steward", department="nyj", via="token")
    own = Actor(name="张三", role="steward", department="jxj", via="token")
    with pytest.raises(PermissionDenied):
        planlib.set_actual(final_wh, "robots-plan", "manual_one", 2024, 5, actor="李四", editor=other)
    planlib.set_actual(final_wh, "robots-plan", "manual_one", 2024, 5, actor="张三", editor=own)
    with pytest.raises(PermissionDenied):
        planlib.delete_actual(final_wh, "robots-plan", "manual_one", 2024, actor="李四", editor=other)


def test_hand_entered_value_disagreeing_with_the_data_is_flagged(final_wh: Any) -> None:
    wh = final_wh
    wh.ingest_arrow(pa.table({"robot_id": ["R1", "R2"], "in_service_on": pa.array(
        [datetime(2020, 1, 5).date(), datetime(2021, 1, 5).date()], pa.date32())}), IngestOptions(dataset="robots"))
    planlib.set_actual(wh, "robots-plan", "robots", 2023, 4, actor="统计局", source="年报", confirm=True,
                       note="年报")
    planlib.recompute(wh, "robots-plan", indicators=["robots"], force=False)
    from shucang.plan.lifecycle import disagreements

    flagged = disagreements(wh, "robots-plan", "robots")
    assert [(d["period"], d["entered"], d["computed"]) for d in flagged] == [("2023", 4.0, 2.0)]
    with pytest.raises(Conflict):
        from shucang.plan.lifecycle import close_plan

        plan = planlib.load_plan(wh, "robots-plan")
        close_plan(wh, plan, actor="a")
        close_plan(wh, plan, actor="a")


def test_closed_plan_is_left_alone_by_new_data(final_wh: Any) -> None:
    """The after-ingest hook recomputes open plans only: data arriving later cannot move frozen figures."""
    from shucang.plan.lifecycle import close_plan

    wh = final_wh
    opts = IngestOptions(dataset="robots")
    wh.ingest_arrow(robots("2020-03-01"), opts)
    before = planlib.indicator_series(wh, "robots-plan", "robots")["values"]
    close_plan(wh, planlib.load_plan(wh, "robots-plan"), actor="发改局")
    state = catalog_state(wh)
    wh.ingest_arrow(robots("2021-03-01", "2022-03-01", start=3), opts)
    assert planlib.indicator_series(wh, "robots-plan", "robots")["values"] == before
    assert catalog_state(wh) == state


def test_disagreement_reaches_the_status_row(final_wh: Any) -> None:
    wh = final_wh
    wh.ingest_arrow(robots("2020-03-01", "2021-03-01"), IngestOptions(dataset="robots"))
    planlib.set_actual(wh, "robots-plan", "robots", 2022, 5, actor="统计局", source="年报", confirm=True, note="年报")
    planlib.recompute(wh, "robots-plan", indicators=["robots"])
    row = next(r.to_dict() for r in planlib.plan_status(wh, "robots-plan") if r.info["id"] == "robots")
    assert [(d["period"], d["entered"], d["computed"]) for d in row["disagreements"]] == [("2022", 5.0, 2.0)]
    planlib.set_actual(wh, "robots-plan", "robots", 2022, 2, actor="统计局", source="年报")  # corrected: no flag
    row = next(r.to_dict() for r in planlib.plan_status(wh, "robots-plan") if r.info["id"] == "robots")
    assert row["disagreements"] == []
