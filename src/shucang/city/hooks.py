"""The after-ingest hook: a new version of a dataset re-evaluates the signs that read it, then the
outbox is flushed (briefly: an unreachable webhook is retried later, never blocking an ingest long)."""

from __future__ import annotations

from shucang.city.definitions import load_signs
from shucang.warehouse import IngestResult, Warehouse


def city_after_ingest(wh: Warehouse, result: IngestResult) -> None:
    if not any(s.dataset == result.dataset for s in load_signs(wh.settings.home).values()):
        return
    from shucang.city.evaluate import evaluate
    from shucang.city.notify import deliver

    outcomes = evaluate(wh, dataset=result.dataset)
    if any(o.events for o in outcomes):
        deliver(wh)
