"""``serve`` evaluates the signs on a schedule: the one background runner (the collect stage's
Scheduler) does it every ``--signs-every`` seconds; a failing round is logged, never raised."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import pytest

from shucang.city.alerts import list_alerts
from shucang.city.hooks import scheduled_round
from shucang.collect import Scheduler
from shucang.collect.schedule import Periodic
from shucang.platform import open_warehouse


def _wait(until: Callable[[], bool], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not until():
        time.sleep(0.05)
    assert until()


def test_runner_evaluates_signs_between_ingests(warehouse: Any, settings: Any, put_levels: Callable[..., int],
                                                level_sign: Callable[..., Any]) -> None:
    put_levels({"A": 1.0, "B": 4.0, "C": 6.0})
    level_sign()  # added after the ingest: only a scheduled round can evaluate it
    assert list_alerts(warehouse, status="all") == []
    scheduler = Scheduler(lambda: open_warehouse(settings), poll_seconds=30,
                          tasks=[Periodic("city signs", 0.2, scheduled_round)]).start()
    try:
        _wait(lambda: scheduler.task_runs["city signs"] >= 3)  # the poll is 30 s: tasks keep their own time
    finally:
        scheduler.stop()
    alerts = {a["group"]: a["level"] for a in list_alerts(warehouse, status="all") if a["sign"] == "gauge_level"}
    assert alerts == {"B": "yellow", "C": "red"}  # opened once, not once per round


def test_a_failing_round_is_logged_and_the_runner_goes_on(settings: Any, caplog: pytest.LogCaptureFixture) -> None:
    calls: list[str] = []

    def boom(wh: Any) -> None:
        calls.append("boom")
        raise RuntimeError("sign evaluation exploded")

    caplog.set_level(logging.ERROR, logger="shucang.collect")
    scheduler = Scheduler(lambda: open_warehouse(settings), poll_seconds=30,
                          tasks=[Periodic("boom", 0.05, boom), Periodic("city signs", 0.05, scheduled_round)]).start()
    try:
        _wait(lambda: scheduler.task_runs["city signs"] >= 2 and len(calls) >= 2)
    finally:
        scheduler.stop()
    assert any("background task boom failed" in r.getMessage() and r.exc_info for r in caplog.records)


def test_serve_interval_option(settings: Any, monkeypatch: pytest.MonkeyPatch,
                               cli: Callable[..., Any]) -> None:
    from shucang.api.server import start_scheduler

    monkeypatch.setenv("SHUCANG_SCHEDULER_POLL", "30")
    off, on = start_scheduler(settings, signs_every=0), start_scheduler(settings, signs_every=120)
    try:
        assert off.tasks == ()
        assert [(t.name, t.every_seconds) for t in on.tasks] == [("city signs", 120)]
    finally:
        off.stop()
        on.stop()
    monkeypatch.setenv("SHUCANG_SCHEDULER", "0")
    assert start_scheduler(settings) is None  # the whole runner off: no sources, no signs
    assert "--signs-every" in cli("serve", "--help").stdout
