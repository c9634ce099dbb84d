"""Plan monitoring speed on the (synthetic) demo warehouse, against plain DuckDB in the same run.

Builds the demo at a small scale (default 0.05) in a temporary home, seeds the Cixi plan, then times:
  * ``plan_status`` (the 23-row status table the cockpit shows; goal: far below the 100 ms page budget),
  * ``rollups`` by category and ``composite_index``,
  * ``recompute`` of every metric (12 SQL metrics + the catalog one), against the baseline of running
    the same SQL directly in one DuckDB connection over the same Arrow tables (no versions, no lineage,
    no catalog writes).
Run: ``python bench/plan.py [SCALE]``.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb


def best_of(fn: Callable[[], Any], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def main(scale: float) -> None:
    from shucang import plan
    from shucang.demo import build_demo
    from shucang.platform import open_warehouse
    from shucang.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        wh = open_warehouse(Settings.load(Path(tmp) / "home"))
        try:
            build_demo(wh, scale=scale)
            plan.seed_demo_plan(wh)
            cixi = plan.load_plan(wh)

            status = best_of(lambda: plan.plan_status(wh))
            rollup = best_of(lambda: plan.rollups(wh, by="category"))
            index = best_of(lambda: plan.composite_index(wh))
            recompute = best_of(lambda: plan.recompute(wh, force=True, rewrite_final=True), repeat=2)

            con = duckdb.connect()
            for name in {d for m in cixi.metrics for d in m.datasets}:
                con.register(name, wh.read_arrow(name))
            sqls = [m.sql for m in cixi.metrics if m.kind == "sql"]
            raw = best_of(lambda: [con.execute(s).fetchall() for s in sqls], repeat=2)
        finally:
            wh.close()

    print(f"plan status (23 indicators):   {status * 1000:7.1f} ms")
    print(f"roll-up by category:           {rollup * 1000:7.1f} ms")
    print(f"composite index (6 years):     {index * 1000:7.1f} ms")
    print(f"recompute {len(sqls)} SQL metrics:      {recompute * 1000:7.1f} ms  "
          f"(plain DuckDB, same SQL: {raw * 1000:.1f} ms; ratio {recompute / raw:.1f}×)")


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 0.05)
