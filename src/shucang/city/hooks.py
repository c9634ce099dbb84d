"""The after-ingest hook: a new version of a dataset re-evaluates the signs that read it, then the
outbox is flushed (briefly: an unreachable webhook is retried later, never blocking an ingest long)."""

from __future__ import annotations

from pathlib import Path

from shucang.plan.mentions import may_name
from shucang.warehouse import IngestResult, Warehouse

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
