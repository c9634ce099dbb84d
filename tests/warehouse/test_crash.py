"""kill -9 at random moments of an ingest never leaves a partial version visible."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from shucang.platform import open_warehouse
from shucang.settings import Settings

ROWS = 120_000


def _write_csv(path: Path, rows: int, tag: str) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write("序号,姓名,镇街,备注\n")
        for i in range(rows):
            out.write(f"{i},{tag}{i % 97},浒山街道,第{i}行备注文字\n")


def _ingest_cmd(home: Path, path: Path) -> list[str]:
    return [sys.executable, "-m", "shucang", "--home", str(home), "ingest", str(path), "--dataset", "d", "--json"]


def _visible(home: Path) -> tuple[int | None, int, int]:
    wh = open_warehouse(Settings.load(home))
    try:
        info = wh.dataset("d")
        counted = wh.sql("SELECT count(*) AS n FROM d").column(0)[0].as_py()
        return info.current_version, info.row_count, counted
    finally:
        wh.close()


def test_kill_minus_nine_never_exposes_a_partial_version(tmp_path: Path) -> None:
    home = tmp_path / "home"
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    _write_csv(first, ROWS, "甲")
    _write_csv(second, ROWS, "乙")
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    started = time.perf_counter()
    subprocess.run(_ingest_cmd(home, first), check=True, capture_output=True, env=env)
    full = time.perf_counter() - started
    assert _visible(home) == (1, ROWS, ROWS)

    rng = random.Random(20211)
    survived = 0
    for attempt in range(5):
        proc = subprocess.Popen(_ingest_cmd(home, second), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                env=env)
        time.sleep(rng.uniform(0.1, max(0.2, full * 0.95)))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        version, catalogued, counted = _visible(home)
        # Either the ingest completed before the kill (a whole new version) or nothing changed.
        assert catalogued == counted, f"attempt {attempt}: catalog says {catalogued}, table has {counted}"
        assert counted % ROWS == 0 and version == counted // ROWS, (version, counted)
        survived += version - 1 - survived
    repaired = subprocess.run([sys.executable, "-m", "shucang", "--home", str(home), "check", "--repair", "--json"],
                              capture_output=True, text=True, env=env)
    assert "Traceback" not in repaired.stderr
    after = subprocess.run([sys.executable, "-m", "shucang", "--home", str(home), "check", "--json"],
                           capture_output=True, text=True, env=env)
    storage = [r for r in json.loads(after.stdout)["results"] if r["check"] == "storage"]
    assert all(r["status"] == "ok" for r in storage), storage  # repair left nothing behind
    before_version = _visible(home)[0] or 0
    subprocess.run(_ingest_cmd(home, second), check=True, capture_output=True, env=env)
    version, catalogued, counted = _visible(home)
    assert version == before_version + 1 and catalogued == counted == ROWS * version
