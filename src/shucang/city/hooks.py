"""The after-ingest hook: a new version of a dataset re-evaluates the signs that read it, then the
outbox is flushed (briefly: an unreachable webhook is retried later, never blocking an ingest long);
and the round ``serve`` runs on a schedule (``--signs-every``)."""

from __future__ import annotations

import logging
from pathlib import Path

from shucang.plan.mentions import may_name
from shucang.warehouse import IngestResult, Warehouse

log = logging.getLogger("shucang.city")

BUNDLED_SIGNS = Path(__file__).parent / "signs"
"""Where :mod:`shucang.city.definitions` finds the bundled signs (``sign_dirs``; a test keeps them equal)."""


def city_after_ingest(wh: Warehouse, result: IngestResult) -> None:
    home = wh.settings.home
    if not may_name([BUNDLED_SIGNS, home / "signs"], result.dataset):
        return  # no sign file can name the dataset: nothing to parse (most ingests)
    from shucang.city.definitions import load_signs

    if not any(s.dataset == result.dataset for s in load_signs(home).values()):
        return
    from shucang.city.evaluate import evaluate
    from shucang.city.notify import deliver

    outcomes = evaluate(wh, dataset=result.dataset)
    if any(o.events for o in outcomes):
        deliver(wh)


def scheduled_round(wh: Warehouse) -> None:
    """``serve``'s background evaluation of every sign (the cron ``signs evaluate`` in-process): data
    turns stale with the clock alone, so signs need a look between ingests too. Then the outbox is
    flushed, retrying what failed before. Cheap when nothing changed (every sign a no-op)."""
    from shucang.city.evaluate import evaluate
    from shucang.city.notify import deliver

    outcomes = evaluate(wh)
    events = sum(len(o.events) for o in outcomes)
    errors = [o for o in outcomes if o.error]
    for o in errors:
        log.warning("sign %s: %s", o.sign, o.error)
    report = deliver(wh)
    log.info(
        "signs evaluated: %d (%d new), %d events, %d errors; notifications pending: %d",
        len(outcomes), sum(not o.skipped for o in outcomes), events, len(errors), report.pending)
