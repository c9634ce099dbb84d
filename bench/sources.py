"""Benchmark: pulling a PostgreSQL table through a database source vs the driver alone.

Starts a throwaway PostgreSQL (as the tests do), fills a table of ``--rows`` synthetic (合成) rows, then
times (1) the baseline: psycopg reading every row through a server-side cursor and doing nothing with
them, and (2) ``run_source`` of a full-snapshot source (driver rows → Arrow batches → one Delta commit →
catalog → classification hook), and (3) an incremental run after ``--rows``/10 new rows. Also the
read alone (COPY → Arrow batches, nothing stored). Prints rows/s
and the ratio to the baseline. Usage: ``python bench/sources.py [--rows 1000000]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

import psycopg  # noqa: E402
from tests.postgres import postgres_server  # noqa: E402

from shucang.collect import add_source, run_source  # noqa: E402
from shucang.platform import open_warehouse  # noqa: E402
from shucang.settings import Settings  # noqa: E402

FILL = ("INSERT INTO people SELECT g, '张' || (g %% 50), '13' || (5 + g %% 5) || lpad(((g::bigint * 7919) %% 100000000)"
        "::text, 8, '0'), g * 1.25, timestamptz '2026-01-01 00:00+00' + make_interval(secs => g) "
        "FROM generate_series(%s::int, %s::int) g")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with postgres_server() as base:
        plain = base.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(plain + "/postgres", autocommit=True) as conn:
            conn.execute("CREATE DATABASE bench")
            url = plain + "/bench"
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE TABLE people (id integer PRIMARY KEY, 姓名 text, 手机 text, amount numeric(14,2), "
                         "updated_at timestamptz NOT NULL)")
            conn.execute(FILL, (0, args.rows - 1))
            conn.execute("VACUUM ANALYZE people")
        start = time.perf_counter()
        with psycopg.connect(url) as conn, conn.cursor(name="bench") as cur:
            cur.itersize = 50_000
            cur.execute("SELECT * FROM people")
            count = sum(1 for _ in cur)
        baseline = time.perf_counter() - start
        assert count == args.rows
        from shucang.collect.database import read_table

        start = time.perf_counter()
        read, engine = read_table(base + "/bench", "people")
        assert sum(b.num_rows for b in read.batches) == args.rows
        engine.dispose()
        reading = time.perf_counter() - start
        wh = open_warehouse(Settings.load(Path(tempfile.mkdtemp(prefix="shucang-bench-sources-")) / "home"))
        add_source(wh, "full", "database", dataset="people_full",
                   config={"url": base + "/bench", "table": "people", "incremental_column": None, "key": []})
        add_source(wh, "inc", "database", dataset="people_inc",
                   config={"url": base + "/bench", "table": "people", "incremental_column": "updated_at", "key": []})
        start = time.perf_counter()
        full = run_source(wh, "full")
        ours = time.perf_counter() - start
        assert full["rows_loaded"] == args.rows
        run_source(wh, "inc")
        extra = args.rows // 10
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(FILL, (args.rows, args.rows + extra - 1))
        start = time.perf_counter()
        inc = run_source(wh, "inc")
        incremental = time.perf_counter() - start
        assert inc["rows_loaded"] == extra
        wh.close()
    print(f"driver only (psycopg server-side cursor): {baseline:6.2f} s  ({args.rows / baseline:,.0f} rows/s)")
    print(f"source read only (COPY → Arrow batches) : {reading:6.2f} s  ({args.rows / reading:,.0f} rows/s)  "
          f"ratio {baseline / reading:.2f}× of the driver alone")
    print(f"sources run, full snapshot             : {ours:6.2f} s  ({args.rows / ours:,.0f} rows/s)  "
          f"ratio {baseline / ours:.2f}× of the driver alone")
    print(f"sources run, incremental (+{extra:,} rows) : {incremental:6.2f} s")


if __name__ == "__main__":
    main()
