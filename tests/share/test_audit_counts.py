"""Audit entries counted per day and action (the security page's activity chart reads this)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from shucang.share.audit import counts_by_day, record_event


def test_counts_by_day_and_action(wh: Any) -> None:
    today = datetime.now(UTC).date().isoformat()
    before = {(c.day, c.action): c.count for c in counts_by_day(wh, today)}
    for action in ("read", "read", "export"):
        record_event(wh, "ana", action, dataset="people")
    after = {(c.day, c.action): c.count for c in counts_by_day(wh, today)}
    assert after[(today, "read")] == before.get((today, "read"), 0) + 2
    assert after[(today, "export")] == before.get((today, "export"), 0) + 1
    assert counts_by_day(wh, datetime.now(UTC) + timedelta(days=1)) == []
