"""Item 6 of issue 15: `extract --out X` killed with SIGKILL mid-write leaves the old X whole and no
registry row without its path and hash."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import sqlalchemy as sa
from tests.protect.helpers import people

from shucang.settings import Settings

KILLER = textwrap.dedent("""
    import os, signal, sys
    from shucang.protect import extract

    real = extract._write_csv

    def half_then_die(table, path):
        real(table.slice(0, table.num_rows // 2), path)
        os.kill(os.getpid(), signal.SIGKILL)

    extract._write_csv = half_then_die
    from shucang.cli import main
    main(sys.argv[1:])
""")


def test_a_killed_extract_leaves_the_old_file_and_no_half_registry_row(tmp_path: Path) -> None:
    from shucang.platform import open_warehouse
    from shucang.protect.tables import extracts
    from shucang.warehouse import IngestOptions

    home = tmp_path / "home"
    wh = open_warehouse(Settings.load(home))
    try:
        wh.ingest_arrow(people(400), IngestOptions(dataset="people", mode="replace", synthetic=True))
    finally:
        wh.close()
    from tests.conftest import invoke_cli

    assert invoke_cli(home, "recipients", "add", "统计局", "--clearance", "1").exit_code == 0
    out = tmp_path / "out.csv"
    old = b"precious old extract\n" * 1000
    out.write_bytes(old)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.run([sys.executable, "-c", KILLER, "--home", str(home), "extract", "people", "-r", "统计局",
                           "-o", str(out)], env=env, capture_output=True, timeout=120)
    assert proc.returncode == -9, proc.stderr.decode()[-2000:]
    assert out.read_bytes() == old
    wh = open_warehouse(Settings.load(home))
    try:
        with wh.engine.connect() as conn:
            rows = conn.execute(sa.select(extracts.c.id, extracts.c.path, extracts.c.file_sha256)
                                .where(extracts.c.channel == "extract")).all()
    finally:
        wh.close()
    assert all(r.path and r.file_sha256 for r in rows), rows
    # and a finished extract replaces the file atomically, registered with the hash of what is there
    assert invoke_cli(home, "extract", "people", "-r", "统计局", "-o", str(out)).exit_code == 0
    assert out.read_bytes() != old and not list(tmp_path.glob(".*.partial"))


KILLED_INGEST = textwrap.dedent("""
    import os, signal, sys
    import pyarrow as pa, pyarrow.parquet as pq
    from shucang.warehouse import tables

    def write_then_die(path, schema, batches, **kwargs):
        # what a writer killed between its data files and its commit leaves: files, no log entry
        first = next(iter(batches))
        pq.write_table(pa.Table.from_batches([first]), path / "part-00000-killed-c000.snappy.parquet")
        os.kill(os.getpid(), signal.SIGKILL)

    tables.write_batches = write_then_die
    from shucang.cli import main
    main(sys.argv[1:])
""")


def test_a_killed_ingest_leaves_no_orphan_files_after_repair(tmp_path: Path) -> None:
    from tests.conftest import invoke_cli

    from shucang.platform import open_warehouse
    from shucang.warehouse import IngestOptions
    from shucang.warehouse.orphans import orphan_checks, orphan_files

    home = tmp_path / "home"
    wh = open_warehouse(Settings.load(home))
    try:
        wh.ingest_arrow(people(100), IngestOptions(dataset="people", mode="replace", synthetic=True))
    finally:
        wh.close()
    source = tmp_path / "more.csv"
    source.write_text("id_card,name\n330282199001011234,张三\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.run([sys.executable, "-c", KILLED_INGEST, "--home", str(home), "ingest", str(source),
                           "--dataset", "people", "--mode", "append"], env=env, capture_output=True, timeout=120)
    assert proc.returncode == -9, proc.stderr.decode()[-2000:]
    table_dir = home / "tables" / "people"
    assert orphan_files(table_dir, grace_seconds=0)  # the killed writer's file is there, unreferenced
    wh = open_warehouse(Settings.load(home))
    try:
        assert orphan_checks(wh, repair=False, grace_seconds=3600) == []  # a running ingest's files are spared
        assert [r.status for r in orphan_checks(wh, repair=False, grace_seconds=0)] == ["warn"]
        assert [r.status for r in orphan_checks(wh, repair=True, grace_seconds=0)] == ["repaired"]
        assert not orphan_files(table_dir, grace_seconds=0)
        assert wh.read_arrow("people").num_rows == 100
    finally:
        wh.close()
    assert invoke_cli(home, "check", "--repair").exit_code == 0
    assert invoke_cli(home, "check", "--json").json()["ok"] is True
