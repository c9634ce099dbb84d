"""kill -9 at random moments of an incremental database run: re-running loads every row exactly once."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa
from tests.collect.test_database import PEOPLE, _fill

from shucang.platform import open_warehouse
from shucang.settings import Settings

ROWS = 100_000
SRC = Path(__file__).resolve().parents[2] / "src"


def _run_cmd(home: Path) -> list[str]:
    return [sys.executable, "-m", "shucang", "--home", str(home), "sources", "run", "big", "--json"]


def _counts(home: Path) -> dict[str, int]:
    wh = open_warehouse(Settings.load(home))
    try:
        info = wh.dataset("big")
        row = wh.sql("SELECT count(*) AS n, count(DISTINCT id) AS d FROM big").to_pylist()[0]
        return {"catalogued": info.row_count, **row}
    finally:
        wh.close()


def _wait_until_running(home: Path, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    """Until the run has recorded itself as running (its catalog row), or the process ended."""
    engine = sa.create_engine(Settings.load(home).catalog_sqlalchemy_url(), poolclass=sa.NullPool)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            with engine.connect() as conn:
                running = conn.execute(sa.text("SELECT count(*) FROM collect_runs WHERE status = 'running'")).scalar()
            if running:
                return
            time.sleep(0.01)
    finally:
        engine.dispose()


def test_killed_incremental_runs_load_each_row_once(cli, home: Path, source_db) -> None:
    url, run = source_db()
    run(PEOPLE)
    _fill(run, 0, ROWS)
    cli("sources", "add", "big", "--url", url, "--table", "people", "--dataset", "big",
        "--incremental-column", "updated_at")
    env = dict(os.environ, PYTHONWARNINGS="ignore",
               PYTHONPATH=str(SRC) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    started = time.perf_counter()
    first = subprocess.run(_run_cmd(home), capture_output=True, text=True, env=env)
    assert first.returncode == 0, first.stderr
    full = time.perf_counter() - started
    total = ROWS
    rng = random.Random(1414)
    for attempt in range(4):
        _fill(run, total, total + ROWS, hour=10 + attempt)  # new rows, past the watermark
        total += ROWS
        proc = subprocess.Popen(_run_cmd(home), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        if attempt == 0:  # once surely inside the run (a loaded machine can stretch start-up past any guess)
            _wait_until_running(home, proc)
            time.sleep(rng.uniform(0.0, 0.05))
        else:  # then at random moments, start-up included
            time.sleep(rng.uniform(0.2, full * 0.95))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        seen = _counts(home)
        assert seen["n"] == seen["d"] == seen["catalogued"], (attempt, seen)  # never a row twice
    again = subprocess.run(_run_cmd(home), capture_output=True, text=True, env=env)
    assert again.returncode == 0, again.stderr
    assert _counts(home) == {"catalogued": total, "n": total, "d": total}
    history = cli("sources", "history", "big", "--json").json()
    statuses = [h["status"] for h in history]
    assert statuses[0] == "ok" and statuses[-1] == "ok"
    assert set(statuses) <= {"ok", "interrupted"} and "interrupted" in statuses  # the kills did land mid-run
    idle = cli("sources", "run", "big", "--json").json()
    assert idle["rows_loaded"] == 0 and idle["row_count"] == total
