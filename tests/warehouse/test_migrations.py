"""Schema steps run once even when several processes open a new catalog at the same moment (found when
four parallel `shucang ingest` calls into a fresh home failed with "table share_sessions already exists")."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import sqlalchemy as sa

from shucang.settings import Settings
from shucang.warehouse.engine import create_catalog_engine
from shucang.warehouse.migrations import applied_version, create_tables_step, ensure_schema


def test_parallel_openers_apply_each_step_once(tmp_path: Path) -> None:
    meta = sa.MetaData()
    sa.Table("raced", meta, sa.Column("id", sa.Integer, primary_key=True))
    create = create_tables_step(meta)
    runs: list[int] = []
    errors: list[BaseException] = []

    def slow_step(conn: sa.Connection) -> None:
        runs.append(1)
        time.sleep(0.3)  # widen the window another opener would fall into
        create(conn)

    engines = [create_catalog_engine(Settings.load(tmp_path / "home")) for _ in range(4)]
    for engine in engines:  # every opener has read the versions (nothing applied) before any step runs
        assert applied_version(engine, "raced") == 0
    start = threading.Barrier(len(engines))

    def open_catalog(engine: sa.Engine) -> None:
        start.wait()
        try:
            ensure_schema(engine, "raced", [slow_step])
        except BaseException as exc:  # noqa: BLE001 — collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=open_catalog, args=(engine,)) for engine in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(runs) == 1
    assert all(applied_version(engine, "raced", fresh=True) == 1 for engine in engines)
    for engine in engines:
        engine.dispose()
