"""Notifications: webhooks and the outbox that delivers each alert event to each of them once.

Events are queued in the same transaction that creates them (``lifecycle.record_event``), so a crash
never loses or doubles one. :func:`deliver` POSTs pending rows as JSON a 钉钉/浙政钉 group robot
accepts (``{"msgtype": "text", "text": {"content": …}}``) with the idempotency key both in the body
and in the ``Idempotency-Key`` header; a failure is retried later with exponential backoff. A row is
marked delivered only after a 2xx answer — a crash between the answer and the mark means one more
POST with the same key, which the receiver can drop.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlparse

import httpx
import sqlalchemy as sa

from shucang.city.lifecycle import new_id
from shucang.city.tables import ensure_tables, now, outbox, webhooks
from shucang.errors import InputError
from shucang.warehouse import Warehouse

MAX_ATTEMPTS = 8
BACKOFF_BASE_S = 30.0
BACKOFF_MAX_S = 3600.0
TIMEOUT_S = 5.0


def add_webhook(wh: Warehouse, url: str, *, department: str | None = None, actor: str = "system") -> dict[str, Any]:
    """Register a webhook (every alert, or those of one department); audited."""
    from shucang.share.audit import record_event as audit

    parsed = urlparse(url.strip())
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise InputError(f"网址无效 (invalid URL): {url!r}", hint="e.g. https://oapi.dingtalk.com/robot/send?access_token=…")
    ensure_tables(wh.engine)
    with wh.engine.begin() as conn:
        hook_id = new_id(conn.execute(webhooks.insert().values(
            url=url.strip(), department=department or None, active=True, created_by=actor,
            created_at=now())))
    audit(wh, actor, "city:webhook:add", department=department, webhook=hook_id, host=parsed.netloc)
    return {"id": hook_id, "url": url.strip(), "department": department or None}


def list_webhooks(wh: Warehouse) -> list[dict[str, Any]]:
    ensure_tables(wh.engine)
    with wh.engine.connect() as conn:
        rows = conn.execute(sa.select(webhooks).order_by(webhooks.c.id)).all()
    return [{"id": r.id, "url": r.url, "department": r.department, "active": r.active,
             "created_by": r.created_by} for r in rows]


@dataclass
class DeliveryReport:
    delivered: int = 0
    retried: int = 0
    failed: int = 0
    pending: int = 0

    def to_dict(self) -> dict[str, int]:
        return {"delivered": self.delivered, "retried": self.retried, "failed": self.failed, "pending": self.pending}


def backoff(attempts: int, base: float = BACKOFF_BASE_S) -> float:
    """Seconds before attempt ``attempts + 1``: base · 2^(attempts-1), capped at an hour."""
    return float(min(BACKOFF_MAX_S, base * 2 ** max(0, attempts - 1)))


def deliver(wh: Warehouse, *, client: httpx.Client | None = None, base: float = BACKOFF_BASE_S,
            max_attempts: int = MAX_ATTEMPTS, wait: float = 0.0, due_only: bool = True) -> DeliveryReport:
    """POST every due outbox row (every pending one, with ``due_only=False``: a manual retry now); with
    ``wait`` seconds, keep retrying (with backoff from ``base``) until done or that time is up."""
    ensure_tables(wh.engine)
    own = client is None
    http = client or httpx.Client(timeout=TIMEOUT_S)
    report = DeliveryReport()
    deadline = time.monotonic() + wait
    try:
        while True:
            _deliver_due(wh, http, report, base, max_attempts, due_only)
            due_only = True  # a manual retry skips the schedule once; later rounds keep the backoff
            with wh.engine.connect() as conn:
                pending = conn.execute(sa.select(sa.func.min(outbox.c.next_attempt_at), sa.func.count())
                                       .where(outbox.c.status == "pending")).first()
            report.pending = int(pending[1]) if pending else 0
            if not report.pending or time.monotonic() >= deadline:
                return report
            time.sleep(min(max(0.01, base / 4), max(0.0, deadline - time.monotonic())))
    finally:
        if own:
            http.close()


def _deliver_due(wh: Warehouse, http: httpx.Client, report: DeliveryReport, base: float,
                 max_attempts: int, due_only: bool) -> None:
    at = now() if due_only else now() + timedelta(days=3650)
    with wh.engine.connect() as conn:
        rows = conn.execute(sa.select(outbox, webhooks.c.url).join(webhooks, webhooks.c.id == outbox.c.webhook_id)
                            .where((outbox.c.status == "pending") & (outbox.c.next_attempt_at <= at))
                            .order_by(outbox.c.id).limit(500)).all()
    for row in rows:
        error = None
        try:
            answer = http.post(row.url, json=row.payload, headers={"Idempotency-Key": row.key})
            if not 200 <= answer.status_code < 300:
                error = f"HTTP {answer.status_code}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
        with wh.engine.begin() as conn:
            if error is None:
                conn.execute(outbox.update().where(outbox.c.id == row.id).values(
                    status="delivered", delivered_at=now(), attempts=row.attempts + 1, last_error=None))
                report.delivered += 1
            elif row.attempts + 1 >= max_attempts:
                conn.execute(outbox.update().where(outbox.c.id == row.id).values(
                    status="failed", attempts=row.attempts + 1, last_error=error))
                report.failed += 1
            else:
                conn.execute(outbox.update().where(outbox.c.id == row.id).values(
                    attempts=row.attempts + 1, last_error=error,
                    next_attempt_at=now() + timedelta(seconds=backoff(row.attempts + 1, base))))
                report.retried += 1


def outbox_rows(wh: Warehouse, *, status: str | None = None) -> list[dict[str, Any]]:
    ensure_tables(wh.engine)
    stmt = sa.select(outbox).order_by(outbox.c.id)
    if status:
        stmt = stmt.where(outbox.c.status == status)
    with wh.engine.connect() as conn:
        return [{"id": r.id, "event_id": r.event_id, "webhook_id": r.webhook_id, "key": r.key,
                 "status": r.status, "attempts": r.attempts, "last_error": r.last_error}
                for r in conn.execute(stmt)]
