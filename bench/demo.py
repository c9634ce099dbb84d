"""Benchmark: building the synthetic demo warehouse (``shucang demo``) at scale 1.

Baseline, measured in the same run: generating the tables plus writing them with plain
``deltalake.write_deltalake`` (no catalog, profiling or classification). Prints both and the ratio.
Usage: python bench/demo.py [SCALE]
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

from deltalake import write_deltalake

from shucang.demo import build_demo, generate_tables
from shucang.platform import open_warehouse
from shucang.settings import Settings


def main() -> None:
    scale = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    work = Path(tempfile.mkdtemp(prefix="shucang-bench-demo-"))
    try:
        t0 = time.perf_counter()
        tables = generate_tables(scale=scale)
        generate_s = time.perf_counter() - t0
        rows = sum(t.table.num_rows for t in tables.values())

        t0 = time.perf_counter()
        for name, demo in tables.items():
            write_deltalake(str(work / "raw" / name), demo.table)
        raw_write_s = time.perf_counter() - t0
        baseline_s = generate_s + raw_write_s

        wh = open_warehouse(Settings.load(work / "home"))
        t0 = time.perf_counter()
        build_demo(wh, scale=scale)
        build_s = time.perf_counter() - t0
        wh.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"scale {scale}: {len(tables)} datasets, {rows:,} rows")
    print(f"generate_tables           {generate_s:7.2f} s  ({rows / generate_s:,.0f} rows/s)")
    print(f"baseline generate + delta {baseline_s:7.2f} s")
    print(f"build_demo (shucang)      {build_s:7.2f} s")
    print(f"ratio build_demo / baseline = {build_s / baseline_s:.2f}x  (goal: whole build well under 60 s)")


if __name__ == "__main__":
    main()
