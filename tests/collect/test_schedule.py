"""Cadences, retries with backoff, `sources run --due`, the background scheduler of `serve`, and
failed or late sources on the warehouse page."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import warnings
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from tests.servers import free_port, wait_until_up

from shucang.collect import Scheduler, get_source, statuses
from shucang.collect import catalog as cat
from shucang.collect.schedule import status
from shucang.settings import Settings

SRC = Path(__file__).resolve().parents[2] / "src"


def _drop(tmp_path: Path, name: str = "drop") -> Path:
    drop = tmp_path / name
    drop.mkdir()
    return drop


def _put(drop: Path, name: str, rows: int) -> None:
    path = drop / name
    path.write_text("编号,值\n" + "".join(f"{i},{i * 2}\n" for i in range(rows)), encoding="utf-8")
    os.utime(path, (time.time() - 60, time.time() - 60))


def test_due_runs_only_due_sources(cli, warehouse, tmp_path: Path) -> None:
    hourly, manual = _drop(tmp_path, "h"), _drop(tmp_path, "m")
    _put(hourly, "a.csv", 3)
    _put(manual, "b.csv", 4)
    cli("sources", "add", "hourly", "--folder", str(hourly), "--dataset", "hourly_ds", "--cadence", "hourly")
    cli("sources", "add", "manual", "--folder", str(manual), "--dataset", "manual_ds")  # no cadence: never due
    first = cli("sources", "run", "--due", "--json")
    assert first.exit_code == 0, first.stderr
    assert [(o["source"], o["rows_loaded"]) for o in first.json()] == [("hourly", 3)]
    assert cli("sources", "run", "--due", "--json").json() == []  # ran a moment ago: not due for an hour
    state = status(warehouse, get_source(warehouse, "hourly"))
    assert not state["due"] and not state["late"]
    later = status(warehouse, get_source(warehouse, "hourly"), at=datetime.fromisoformat(state["next_due"]))
    assert later["due"]
    much_later = status(warehouse, get_source(warehouse, "hourly"),
                        at=datetime.fromisoformat(state["last_ok_at"]) + timedelta(hours=2))
    assert much_later["late"] and much_later["due"]


def test_failures_back_off_and_show_on_the_warehouse_page(cli, warehouse, tmp_path: Path, settings) -> None:
    cli("sources", "add", "broken", "--folder", str(tmp_path / "missing"), "--dataset", "b", "--cadence", "daily")
    failed = cli("sources", "run", "--due", "--json")
    assert failed.exit_code == 1 and failed.json()[0]["ok"] is False
    state = status(warehouse, get_source(warehouse, "broken"))
    assert state["failing"] and state["failures"] == 1 and not state["due"]
    finished = datetime.fromisoformat(cli("sources", "history", "broken", "--json").json()[0]["finished_at"])
    assert datetime.fromisoformat(state["next_due"]) - finished == timedelta(seconds=60)  # first retry: 1 min
    cli("sources", "run", "broken")  # a second failure doubles the wait
    again = status(warehouse, get_source(warehouse, "broken"))
    second = datetime.fromisoformat(cli("sources", "history", "broken", "--json").json()[0]["finished_at"])
    assert again["failures"] == 2 and datetime.fromisoformat(again["next_due"]) - second == timedelta(seconds=120)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    from shucang.api.app import create_app

    app = create_app(settings)
    with TestClient(app, headers={"accept": "text/html"}) as client:
        html = client.get("/warehouse").text
        assert 'data-testid="source-alerts">1<' in html and "broken" in html and "需关注的数据源" in html
        assert "投递目录不存在" in html
        export = client.get("/warehouse/export/source-alerts.csv")
        assert export.status_code == 200 and "broken" in export.text
    app.state.warehouse.close()


def test_scheduler_thread_runs_due_sources(warehouse, tmp_path: Path, settings) -> None:
    from shucang.collect import add_source
    from shucang.platform import open_warehouse

    drop = _drop(tmp_path)
    _put(drop, "x.csv", 5)
    add_source(warehouse, "bg", "folder", dataset="bg", config={"path": str(drop), "settle_seconds": 0},
               cadence="hourly")
    scheduler = Scheduler(lambda: open_warehouse(settings), poll_seconds=0.2).start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and scheduler.rounds < 3:
            time.sleep(0.1)
    finally:
        scheduler.stop()
    runs = [r for r in cli_runs(warehouse) if r.source == "bg"]
    assert len(runs) == 1 and runs[0].status == "ok" and runs[0].trigger == "serve"  # once: then not due
    assert warehouse.dataset("bg").row_count == 5


def cli_runs(warehouse):
    with warehouse.engine.connect() as conn:
        return conn.execute(sa.select(cat.runs).order_by(cat.runs.c.id)).all()


@pytest.mark.slow
def test_serve_runs_due_sources_in_the_background(tmp_path: Path) -> None:
    from shucang.collect import add_source
    from shucang.platform import open_warehouse

    home = tmp_path / "home"
    settings = Settings.load(home)
    wh = open_warehouse(settings)
    drop = _drop(tmp_path)
    _put(drop, "y.csv", 7)
    add_source(wh, "srv", "folder", dataset="srv", config={"path": str(drop), "settle_seconds": 0}, cadence="daily")
    wh.close()
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(SRC) + os.pathsep + os.environ.get("PYTHONPATH", ""),
               SHUCANG_SCHEDULER_POLL="0.5", PYTHONWARNINGS="ignore")
    proc = subprocess.Popen([sys.executable, "-m", "shucang", "--home", str(home), "serve", "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_up(f"http://127.0.0.1:{port}", "/static/cockpit.css", 30, proc)
        deadline = time.monotonic() + 30
        loaded = None
        while time.monotonic() < deadline:
            wh = open_warehouse(settings)
            try:
                found = [s for s in statuses(wh) if s["name"] == "srv"]
                if found and found[0]["last_status"] == "ok":
                    loaded = wh.dataset("srv").row_count
                    break
            finally:
                wh.close()
            time.sleep(0.3)
        assert loaded == 7
        assert (drop / "done" / "y.csv").exists()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
