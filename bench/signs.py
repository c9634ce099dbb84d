"""City signs: evaluating 200 signs over the (synthetic) demo warehouse, against the same SQL run directly
in DuckDB over the same Arrow data in the same run.

Builds the demo at a small scale (default 0.05) in a temporary home, then makes 200 signs by varying
the bundled ones (each with its own id and thresholds, so every round really runs the query, reads
the result, applies the bands and commits one catalog transaction per sign). Per round it times:
  * ``evaluate_signs`` of the 200 signs on fresh data keys (the real work),
  * a repeated round on the same data (every sign a no-op: the cron case between ingests),
  * the baseline: each sign's SQL on one plain DuckDB connection with the datasets registered as Arrow
    datasets (no read-only check, no catalog, no bands, no transaction).
Prints time per round and per sign and the overhead ratio (target: ≤ 20 % over the bare queries).
Run: ``python bench/signs.py [SCALE] [ROUNDS]``.
"""

from __future__ import annotations

import dataclasses
import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb

SIGNS = 200


def main(scale: float, rounds: int) -> None:
    from shucang.city.definitions import load_signs
    from shucang.city.evaluate import evaluate_signs
    from shucang.demo import build_demo
    from shucang.platform import open_warehouse
    from shucang.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        wh = open_warehouse(Settings.load(Path(tmp) / "home"))
        try:
            build_demo(wh, scale=scale)
            bundled = sorted(load_signs(None).values(), key=lambda s: s.id)
            con = duckdb.connect(config={"threads": 2})
            for name in {s.dataset for s in bundled}:
                con.register(name, wh.arrow_dataset(name))

            def variants(tag: str) -> list:  # type: ignore[type-arg]
                out = []
                for i in range(SIGNS):
                    base = bundled[i % len(bundled)]
                    shift = 1 + (i // len(bundled)) * 0.01
                    bands = {k: getattr(base, k) * shift for k in ("yellow_above", "red_above", "yellow_below",
                                                                  "red_below") if getattr(base, k) is not None}
                    out.append(dataclasses.replace(base, id=f"{tag}_{i:03d}_{base.id}"[:64], **bands))
                return out

            def baseline(signs: list) -> float:  # type: ignore[type-arg]
                started = time.perf_counter()
                for s in signs:
                    con.sql(s.sql).to_arrow_table()
                return time.perf_counter() - started

            def via_warehouse(signs: list) -> float:  # type: ignore[type-arg]
                from shucang.city.connections import connections

                started = time.perf_counter()
                for s in signs:
                    con, _ = connections(wh).get(wh, s.dataset, wh.dataset(s.dataset).current_version or 0)
                    wh.select_on(con, s.sql)
                return time.perf_counter() - started

            work, noop, bare, door = [], [], [], []
            baseline(variants("warm"))  # warm both paths once (file cache, DuckDB)
            evaluate_signs(wh, variants("warm"))
            for r in range(rounds):
                signs = variants(f"r{r}")
                bare.append(baseline(signs))
                door.append(via_warehouse(signs))
                started = time.perf_counter()
                outcomes = evaluate_signs(wh, signs)
                work.append(time.perf_counter() - started)
                assert not any(o.skipped for o in outcomes)
                started = time.perf_counter()
                again = evaluate_signs(wh, signs)
                noop.append(time.perf_counter() - started)
                assert all(o.skipped for o in again)
            states = {o.state for o in outcomes}
        finally:
            wh.close()

    w, n, b, d = (statistics.median(x) for x in (work, noop, bare, door))
    print(f"demo scale {scale}, {SIGNS} signs over {len({s.dataset for s in bundled})} datasets, {rounds} rounds "
          f"(median); states seen: {', '.join(sorted(states))}")
    print(f"evaluate round (fresh data):   {w * 1000:8.1f} ms   {w / SIGNS * 1000:6.2f} ms/sign")
    print(f"evaluate round (no change):    {n * 1000:8.1f} ms   {n / SIGNS * 1000:6.2f} ms/sign")
    print(f"same SQL directly in DuckDB:   {b * 1000:8.1f} ms   {b / SIGNS * 1000:6.2f} ms/sign")
    print(f"same SQL via Warehouse views:  {d * 1000:8.1f} ms   {d / SIGNS * 1000:6.2f} ms/sign   "
          f"(the read-only query path alone: ratio {d / b:.2f})")
    print(f"overhead over the bare queries: {100 * (w / b - 1):.0f} %  (ratio {w / b:.2f}; target ≤ 1.20); "
          f"over the warehouse query path: {100 * (w / d - 1):.0f} %")


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 0.05, int(sys.argv[2]) if len(sys.argv) > 2 else 3)
