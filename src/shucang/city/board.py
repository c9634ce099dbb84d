"""The board of every sign (城市体征一览): current state, value, band, sparkline, last update and data
freshness — computed once here for the CLI (``signs list``), the API, the web page and the big screen.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from shucang.city.alerts import open_counts, sees_values
from shucang.city.definitions import load_signs
from shucang.city.evaluate import is_stale, stale_after
from shucang.city.model import KIND_LABELS, LEVEL_RANK, STATE_LABELS, Sign
from shucang.city.tables import aware, ensure_tables, evaluations, now
from shucang.share.access import Actor
from shucang.warehouse import Warehouse


def _latest(wh: Warehouse) -> dict[str, Any]:
    """The newest evaluation row of every sign."""
    newest = sa.select(sa.func.max(evaluations.c.id)).group_by(evaluations.c.sign).scalar_subquery()
    with wh.engine.connect() as conn:
        return {r.sign: r for r in conn.execute(sa.select(evaluations).where(evaluations.c.id.in_(newest)))}


def _headline(groups: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The group shown on the board: the worst level, then the largest value."""
    if not groups:
        return None
    return max(groups, key=lambda g: (LEVEL_RANK.get(g.get("level", "ok"), 0), g.get("value") or 0))


def sign_entry(wh: Warehouse, sign: Sign, row: Any, info: Any, viewer: Actor | str | None,
               at: datetime) -> dict[str, Any]:
    """One sign as the board shows it (values only for viewers who may see them)."""
    visible = sees_values(wh, viewer, sign)
    result = dict(row.result or {}) if row is not None else {}
    groups = list(result.get("groups", []))
    head = _headline(groups)
    state = row.state if row is not None else "no_data"
    fresh = None
    if info is not None:
        stale, age = is_stale(sign, info, at)
        if stale and state not in ("error",):
            state = "stale"  # stale data is never green, even before the next evaluation notices
        limit = stale_after(sign, info)
        fresh = {"updated_at": aware(info.updated_at).isoformat(timespec="seconds"), "age_days": round(age, 2),
                 "stale": stale, "stale_after": limit.isoformat(timespec="seconds") if limit else None}
    counts = {"ok": 0, "yellow": 0, "red": 0}
    for g in groups:
        counts[g.get("level", "ok")] = counts.get(g.get("level", "ok"), 0) + 1
    series = result.get("series", {}).get(head["grp"], []) if head else []
    return {
        **sign.to_dict(),
        "state": state, "state_label": STATE_LABELS.get(state, state), "kind_label": KIND_LABELS.get(sign.kind, ""),
        "value": head.get("value") if head and visible else None,
        "group": head.get("grp") if head and visible else None,
        "groups": groups if visible else [],
        "levels": counts,
        "sparkline": [p[1] for p in series] if visible else [],
        "as_of": row.as_of if row is not None else None,
        "evaluated_at": aware(row.evaluated_at).isoformat(timespec="seconds") if row is not None else None,
        "error": row.error if row is not None else None,
        "freshness": fresh, "visible": visible,
        "sql": sign.sql if visible else None,
    }


def board(wh: Warehouse, *, viewer: Actor | str | None = None, at: datetime | None = None) -> list[dict[str, Any]]:
    """Every sign with its latest reading (``shucang signs list --json``)."""
    ensure_tables(wh.engine)
    at = at or now()
    latest = _latest(wh)
    infos = {d.name: d for d in wh.list_datasets()}
    signs = sorted(load_signs(wh.settings.home).values(), key=lambda s: (s.kind, s.id))
    return [sign_entry(wh, s, latest.get(s.id), infos.get(s.dataset), viewer, at) for s in signs]


def summary(entries: list[dict[str, Any]]) -> dict[str, int]:
    out = {state: 0 for state in STATE_LABELS}
    for e in entries:
        out[e["state"]] = out.get(e["state"], 0) + 1
    return out


def screen_panel(wh: Warehouse) -> dict[str, Any]:
    """What the big screen (/screen) shows about the city: counts only, safe for a public wall.

    ``{"signs": {state: n}, "alerts": {"yellow": n, "red": n, "total": n}, "by_kind": [...],
    "hot_towns": [{"town", "yellow", "red"}], "evaluated_at"}``.
    """
    entries = board(wh, viewer=Actor(name="public", role="public"))
    counts = open_counts(wh)
    kinds: dict[str, dict[str, Any]] = {}
    for e in entries:
        k = kinds.setdefault(e["kind"], {"kind": e["kind"], "label": e["kind_label"], "signs": 0, "worst": "ok"})
        k["signs"] += 1
        if LEVEL_RANK.get(e["state"], 0) > LEVEL_RANK.get(k["worst"], 0):
            k["worst"] = e["state"]
    towns = sorted(({"town": g, **c} for g, c in counts["by_group"].items()),
                   key=lambda t: (-t["red"], -t["yellow"], t["town"]))
    stamps = [e["evaluated_at"] for e in entries if e["evaluated_at"]]
    return {"signs": summary(entries), "alerts": {**counts["by_level"], "total": counts["total"]},
            "by_kind": list(kinds.values()), "hot_towns": towns[:10], "evaluated_at": max(stamps) if stamps else None}
