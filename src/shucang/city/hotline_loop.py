"""The 12345 event loop (全畅通): tickets through 受理 → 派单 → 签收 → 办结 → 回访, timeliness per department
against its deadline, the overdue list, hot topics per town and repeat callers — from ``hotline_flow``
(the stage times) and ``hotline_12345`` (the ticket texts).

No personal data leaves this module: texts are masked with the classify stage's free-text redaction
before any word is counted (and words touching a mask are dropped); repeat callers are counted per town,
never listed. Ticket lists and topics go to viewers who may read the hotline data; everyone else gets
the stage counts and the per-department rates.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from shucang.city.alerts import Viewer, sees_values
from shucang.city.model import Sign
from shucang.errors import ShucangError
from shucang.warehouse import Warehouse

FLOW, TICKETS = "hotline_flow", "hotline_12345"
STAGES = (("received", "受理"), ("dispatched", "派单"), ("signed", "签收"), ("finished", "办结"), ("visited", "回访"))
TOPIC_DAYS = 90
NGRAM = 4
BOILERPLATE_SHARE = 0.05
"""An n-gram in more than this share of all tickets is template text (希望相关部门…), not a topic."""
_HAN_RUN = re.compile(r"[\u4e00-\u9fff]{4,}")

_STAGES_SQL = f"""
WITH f AS (SELECT * FROM {FLOW}
           WHERE received_at > (SELECT max(received_at) FROM {FLOW}) - INTERVAL 365 DAY)
SELECT count(*) AS received, count(dispatched_at) AS dispatched, count(signed_at) AS signed,
       count(finished_at) AS finished, count(visited_at) AS visited,
       (SELECT max(received_at) FROM {FLOW}) AS as_of
FROM f"""

_DEPARTMENTS_SQL = f"""
WITH d AS (SELECT max(received_at) AS last FROM {FLOW}),
f AS (SELECT *, received_at + to_days(time_limit_days) AS deadline FROM {FLOW}, d
      WHERE received_at > d.last - INTERVAL 365 DAY)
SELECT handling_department AS department, count(*) AS tickets,
       round(100.0 * avg(CASE WHEN finished_at IS NOT NULL AND finished_at <= deadline THEN 1 ELSE 0 END), 1)
         AS on_time_pct,
       round(median(epoch(finished_at - received_at)) / 3600, 1) AS median_hours,
       round(median(epoch(signed_at - dispatched_at)) / 3600, 1) AS median_sign_hours,
       count(*) FILTER (WHERE finished_at IS NULL AND deadline < (SELECT last FROM d)) AS open_overdue,
       count(*) FILTER (WHERE finished_at > deadline) AS finished_late
FROM f GROUP BY ALL ORDER BY on_time_pct, department"""

_OVERDUE_SQL = f"""
WITH d AS (SELECT max(received_at) AS last FROM {FLOW})
SELECT ticket_no, handling_department AS department, town, category, received_at,
       CASE WHEN finished_at IS NULL THEN '办理中' ELSE '超时办结' END AS state,
       round(epoch(coalesce(finished_at, d.last) - (received_at + to_days(time_limit_days))) / 3600, 1)
         AS hours_over
FROM {FLOW}, d
WHERE coalesce(finished_at, d.last) > received_at + to_days(time_limit_days)
  AND received_at > d.last - INTERVAL 30 DAY
ORDER BY finished_at IS NULL DESC, hours_over DESC LIMIT 50"""

_REPEAT_SQL = f"""
WITH c AS (SELECT caller_phone, town, count(*) OVER (PARTITION BY caller_phone) AS times FROM {TICKETS}
           WHERE caller_phone IS NOT NULL)
SELECT town, count(DISTINCT caller_phone) FILTER (WHERE times > 1) AS repeat_callers,
       count(DISTINCT caller_phone) AS callers
FROM c GROUP BY town ORDER BY repeat_callers DESC, town"""

_TEXTS_SQL = f"""
SELECT town, content FROM {TICKETS}
WHERE received_at > (SELECT max(received_at) FROM {TICKETS}) - INTERVAL {TOPIC_DAYS} DAY AND content IS NOT NULL"""


def _rows(wh: Warehouse, sql: str, dataset: str) -> list[dict[str, Any]]:
    return wh.sql(sql, only=[dataset]).to_pylist()


def hot_topics(wh: Warehouse, *, per_town: int = 5) -> dict[str, list[dict[str, Any]]]:
    """Per town, the word groups most tickets share, counted in the masked texts."""
    import pyarrow as pa

    from shucang.classify.freetext import redact_text

    table = wh.sql(_TEXTS_SQL, only=[TICKETS])
    if table.num_rows == 0:
        return {}
    masked = redact_text(table.column("content").combine_chunks() if isinstance(table.column("content"),
                                                                                pa.ChunkedArray)
                         else table.column("content"))
    towns = table.column("town").to_pylist()
    per_ticket: list[tuple[str, set[str]]] = []
    overall: Counter[str] = Counter()
    for town, text in zip(towns, masked.to_pylist(), strict=True):
        grams = {run[i:i + NGRAM] for run in _HAN_RUN.findall(text or "") for i in range(len(run) - NGRAM + 1)}
        per_ticket.append((town or "—", grams))
        overall.update(grams)
    limit = max(2, int(BOILERPLATE_SHARE * len(per_ticket)))
    town_names = {t for t in towns if t}
    counts: dict[str, Counter[str]] = {}
    for town, grams in per_ticket:
        keep = {g for g in grams if overall[g] <= limit and not any(g in t or t in g for t in town_names)}
        counts.setdefault(town, Counter()).update(keep)
    out: dict[str, list[dict[str, Any]]] = {}
    for town, counter in sorted(counts.items()):
        top: list[dict[str, Any]] = [{"words": g, "tickets": n} for g, n in counter.most_common(per_town * 3) if n >= 2]
        chosen: list[dict[str, Any]] = []
        for item in top:  # overlapping n-grams of one phrase: keep the first
            if not any(item["words"][1:] in c["words"] or c["words"][1:] in item["words"] for c in chosen):
                chosen.append(item)
            if len(chosen) == per_town:
                break
        out[town] = chosen
    return out


def event_loop(wh: Warehouse, *, viewer: Viewer = None) -> dict[str, Any]:
    """The whole loop as one dict (stages, departments, overdue, topics, repeat callers)."""
    probe = Sign(id="hotline_loop", dataset=FLOW, sql="", department="xfj")
    visible = sees_values(wh, viewer, probe)
    try:
        stages_row = _rows(wh, _STAGES_SQL, FLOW)[0]
    except ShucangError as exc:
        return {"available": False, "error": exc.message, "visible": visible}
    stages = [{"stage": key, "label": label, "tickets": stages_row[key]} for key, label in STAGES]
    out: dict[str, Any] = {
        "available": True, "visible": visible,
        "as_of": stages_row["as_of"].isoformat() if stages_row["as_of"] else None,
        "stages": stages, "departments": _rows(wh, _DEPARTMENTS_SQL, FLOW),
        "repeat_callers": _rows(wh, _REPEAT_SQL, TICKETS) if _has(wh, TICKETS) else [],
        "overdue": [], "topics": {},
    }
    if visible:
        overdue = _rows(wh, _OVERDUE_SQL, FLOW)
        for row in overdue:
            row["received_at"] = row["received_at"].isoformat(timespec="minutes")
        out["overdue"] = overdue
        out["topics"] = hot_topics(wh) if _has(wh, TICKETS) else {}
    return out


def _has(wh: Warehouse, name: str) -> bool:
    return any(d.name == name for d in wh.list_datasets())
