"""Item 12 of issue 15: grouped counts and sums served to non-admins leave out groups smaller than k
(protect policy ``small_cells: {k: 5}``), so an aggregate never describes one person."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .conftest import bearer


def _groups(client: Any, user: str, **params: Any) -> list[dict[str, Any]]:
    r = client.get("/api/v1/datasets/people/aggregate", params=params, headers=bearer(user))
    assert r.status_code == 200, r.text
    return r.json()["rows"]  # type: ignore[no-any-return]


def test_small_groups_are_suppressed_for_non_admins(client: Any) -> None:
    # age = 20 + i % 50 over 60 rows: every age group holds one or two people
    assert len(_groups(client, "admin", group_by="age", agg="count,sum:income")) == 50
    assert _groups(client, "st_gaj", group_by="age", agg="count,sum:income") == []
    towns = _groups(client, "st_gaj", group_by="town", agg="count")
    assert len(towns) == 4 and all(g["count"] == 15 for g in towns)
    one = json.dumps({"column": "age", "op": "=", "value": 20})
    assert _groups(client, "st_gaj", agg="count", filter=one) == []  # a filter that isolates two people
    assert _groups(client, "admin", agg="count", filter=one) == [{"count": 2}]


def test_k_is_configurable(client: Any, share_home: Path) -> None:
    (share_home / "protect-policy.yaml").write_text("small_cells: {k: 16}\n", encoding="utf-8")
    import time

    time.sleep(1.1)  # the policy is re-read at most every second
    assert _groups(client, "st_gaj", group_by="town", agg="count") == []
    (share_home / "protect-policy.yaml").write_text("small_cells: {k: 1}\n", encoding="utf-8")
    time.sleep(1.1)
    assert len(_groups(client, "st_gaj", group_by="age", agg="count")) == 50
