"""Item 8 of issue 15: an emptied or rewritten audit log is detected (the head is anchored twice)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .conftest import bearer


def _some_activity(client: Any) -> None:
    r = client.post("/api/v1/requests", json={"dataset": "people", "purpose": "人口结构分析 study"},
                    headers=bearer("ana"))
    assert r.status_code == 201
    assert client.get("/api/v1/datasets/people/rows?limit=2", headers=bearer("st_gaj")).status_code == 200


def test_deleting_every_entry_and_the_head_file_does_not_verify(client: Any, app: Any) -> None:
    from shucang.share.audit import verify
    from shucang.share.tables import audit

    wh = app.state.warehouse
    _some_activity(client)
    assert verify(wh).ok
    with wh.engine.begin() as conn:
        conn.execute(audit.delete())
    (Path(wh.settings.home) / "audit.head").unlink()
    report = verify(wh)
    assert not report.ok and {p["problem"] for p in report.problems} & {"anchor_catalog", "emptied"}


def test_an_emptied_log_with_its_anchors_gone_still_shows(client: Any, app: Any) -> None:
    from shucang.share.audit import verify
    from shucang.share.tables import audit, audit_anchor

    wh = app.state.warehouse
    _some_activity(client)
    with wh.engine.begin() as conn:
        conn.execute(audit.delete())
        conn.execute(audit_anchor.delete())
    (Path(wh.settings.home) / "audit.head").unlink()
    report = verify(wh)
    assert not report.ok and [p["problem"] for p in report.problems] == ["emptied"]


def test_a_rewritten_shorter_chain_is_found_by_the_catalog_anchor(client: Any, app: Any) -> None:
    """The tail is cut and audit.head rewritten to match: only the catalog anchor still knows."""
    from shucang.share.audit import verify
    from shucang.share.tables import audit

    wh = app.state.warehouse
    _some_activity(client)
    _some_activity(client)
    with wh.engine.begin() as conn:
        last = conn.execute(audit.select().order_by(audit.c.seq.desc()).limit(2)).all()
        conn.execute(audit.delete().where(audit.c.seq == last[0].seq))
    (Path(wh.settings.home) / "audit.head").write_text(f"{last[1].seq:>20d} {last[1].hash}\n")
    report = verify(wh)
    assert [p["problem"] for p in report.problems] == ["anchor_catalog"]
