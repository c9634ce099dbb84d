"""City signs: evaluating 200 signs over the (synthetic) demo warehouse, against the same SQL run directly
in DuckDB over the same Arrow data in the same run.

Builds the demo at a small scale (default 0.05) in a temporary home, then makes 200 signs by varying
the bundled ones (each with its own id and thresholds, so every round really runs the query, reads
the result, applies the bands and writes the evaluation, states and alerts — in the round's one
catalog transaction). Per round it times:
  * ``evaluate_signs`` of the 200 signs on fresh data keys (the real work),
  * a repeated round on the same data (every sign a no-op: the cron case between ingests),
  * the baseline: each sign's SQL on one plain DuckDB connection with the datasets registered as Arrow
    datasets (no read-only check, no catalog, no bands, no transaction),
  * the same SQL through the warehouse's read-only path alone (locked connection per dataset, SELECT check;
    a small version is loaded once into that connection's memory, see city/connections.py),
  * for reference, the same SQL on one plain DuckDB connection over tables loaded from the same Arrow data
    (the best a direct DuckDB user could do; not the issue's target baseline, printed to show what the
    evaluation itself costs beside its queries).
The "new data" round follows a real ingest of every dataset (the same rows again as a new version,
untimed, with the after-ingest hooks off so nothing warms the way): it pays for re-pointing each kept
connection at the new version and loading it, and reads and updates the states and open alerts the
round before left. Fair to both sides: the timed paths run the same queries in the same order (grouped by dataset, as the
evaluation runs them), dataset versions are looked up once per round on the warehouse path (as the
evaluation does), and the order of the three timings alternates between rounds (the machine is shared;
whichever runs first must not always pay for a cold cache).
Prints time per round and per sign and the overhead ratio (target: ≤ 20 % over the bare queries).
Run: ``python bench/signs.py [SCALE] [ROUNDS]`` (``--help``).
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import statistics
import tempfile
import time
from functools import partial
from pathlib import Path

import duckdb

SIGNS = 200
BANDS = ("yellow_above", "red_above", "yellow_below", "red_below")


def main(scale: float, rounds: int) -> None:
    from shucang.city.definitions import load_signs
    from shucang.city.evaluate import evaluate_signs
    from shucang.demo import build_demo
    from shucang.platform import open_warehouse
    from shucang.settings import Settings
    from shucang.warehouse import IngestOptions

    full_gc, started = [0.0], [0.0]

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if info["generation"] == 2:
            if phase == "start":
                started[0] = time.perf_counter()
            else:
                full_gc[0] += time.perf_counter() - started[0]

    gc.callbacks.append(on_gc)
    with tempfile.TemporaryDirectory() as tmp:
        wh = open_warehouse(Settings.load(Path(tmp) / "home"))
        try:
            build_demo(wh, scale=scale)
            bundled = sorted(load_signs(None).values(), key=lambda s: s.id)
            datasets = {s.dataset for s in bundled}
            wh.after_ingest.clear()  # no hook evaluates (and so warms) anything between the timed rounds
            con = duckdb.connect(config={"threads": 2})
            mem = duckdb.connect(config={"threads": 2})
            for name in {s.dataset for s in bundled}:
                con.register(name, wh.arrow_dataset(name))
                mem.register(f"{name}__arrow", wh.arrow_dataset(name))
                mem.execute(f'CREATE TABLE "{name}" AS SELECT * FROM "{name}__arrow"')
                mem.unregister(f"{name}__arrow")

            def variants(tag: str) -> list:  # type: ignore[type-arg]
                out = []
                for i in range(SIGNS):
                    base = bundled[i % len(bundled)]
                    shift = 1 + (i // len(bundled)) * 0.01
                    bands = {k: getattr(base, k) * shift for k in BANDS if getattr(base, k) is not None}
                    out.append(dataclasses.replace(base, id=f"{tag}_{i:03d}_{base.id}"[:64], **bands))
                return out

            def grouped(signs: list) -> list:  # type: ignore[type-arg]
                by: dict = {}  # type: ignore[type-arg]
                for s in signs:
                    by.setdefault(s.dataset, []).append(s)
                return [s for group in by.values() for s in group]

            def timed(run: object) -> tuple[float, float, float]:
                """Wall and CPU seconds (all threads of this process: the machine is shared, so CPU time
                is the steadier measure of the work; both are reported), and the seconds of full garbage
                collections inside (whichever step happens to trigger one pays for the whole heap)."""
                before = full_gc[0]
                wall, cpu = time.perf_counter(), time.process_time()
                run()  # type: ignore[operator]
                return time.perf_counter() - wall, time.process_time() - cpu, full_gc[0] - before

            def baseline(signs: list) -> tuple[float, float, float]:  # type: ignore[type-arg]
                return timed(lambda: [con.sql(s.sql).to_arrow_table() for s in grouped(signs)])

            def loaded_baseline(signs: list) -> tuple[float, float, float]:  # type: ignore[type-arg]
                return timed(lambda: [mem.sql(s.sql).to_arrow_table() for s in grouped(signs)])

            def via_warehouse(signs: list) -> tuple[float, float, float]:  # type: ignore[type-arg]
                from shucang.city.connections import connections

                def run() -> None:
                    infos = {d.name: d for d in wh.list_datasets()}
                    for s in grouped(signs):
                        info = infos[s.dataset]
                        dcon, _ = connections(wh).get(wh, s.dataset, info.current_version or 0, info.row_count)
                        wh.select_on(dcon, s.sql)
                return timed(run)

            work, again, noop, bare, door, tables = [], [], [], [], [], []  # type: ignore[var-annotated]
            outcomes: list = []  # type: ignore[type-arg]

            def evaluation(signs: list) -> tuple[float, float, float]:  # type: ignore[type-arg]
                took = timed(lambda: outcomes.__setitem__(slice(None), evaluate_signs(wh, signs)))
                assert not any(o.skipped for o in outcomes)
                return took

            baseline(variants("warm"))  # warm every path once (file cache, DuckDB)
            loaded_baseline(variants("warm"))
            via_warehouse(variants("warm"))
            evaluate_signs(wh, variants("warm"))
            for r in range(rounds):
                signs = variants(f"r{r}")
                steps = [(bare, baseline), (tables, loaded_baseline), (door, via_warehouse), (work, evaluation)]
                for into, run in (steps if r % 2 == 0 else steps[::-1]):
                    into.append(run(signs))
                noop.append(timed(partial(evaluate_signs, wh, signs)))
                assert all(o.skipped for o in evaluate_signs(wh, signs))
                # the same signs once more on new data: every dataset ingested again (the same rows as a new
                # version, untimed), so each sign has a new data key — its group states and open alerts are
                # read and updated — and each kept connection is re-pointed at the new version and loads it
                for info in wh.list_datasets():
                    if info.name in datasets:
                        wh.ingest_arrow(wh.arrow_dataset(info.name).to_table(), IngestOptions(
                            dataset=info.name, mode="replace", cadence=info.cadence, department=info.department,
                            synthetic=info.synthetic))
                again.append(evaluation(signs))
            states = {o.state for o in outcomes}
        finally:
            wh.close()

    def med(xs: list[tuple[float, float, float]], i: int) -> float:
        return statistics.median(x[i] for x in xs)

    print(f"demo scale {scale}, {SIGNS} signs over {len({s.dataset for s in bundled})} datasets, {rounds} rounds "
          f"(median); states seen: {', '.join(sorted(states))}")
    rows = (("evaluate round (new signs):", work), ("evaluate round (new data):", again),
            ("evaluate round (no change):", noop), ("same SQL directly in DuckDB:", bare),
            ("same SQL via Warehouse views:", door), ("same SQL on loaded tables:", tables))
    print(f"{'':32s}{'wall ms':>10s}{'ms/sign':>9s}{'CPU ms':>10s}{'ms/sign':>9s}")
    for label, xs in rows:
        w, c = med(xs, 0), med(xs, 1)
        print(f"{label:32s}{w * 1000:10.1f}{w / SIGNS * 1000:9.2f}{c * 1000:10.1f}{c / SIGNS * 1000:9.2f}")
    print("full garbage collections inside the timed steps (ms, all rounds): " + "; ".join(
        f"{label.rstrip(':')} {sum(x[2] for x in xs) * 1000:.0f}" for label, xs in rows))
    for i, kind in ((0, "wall"), (1, "CPU")):
        b, d = med(bare, i), med(door, i)
        print(f"{kind:4s} overhead over the bare queries: new signs {100 * (med(work, i) / b - 1):.0f} %, new data "
              f"{100 * (med(again, i) / b - 1):.0f} % (target ≤ 20 %); read-only query path alone: "
              f"{100 * (d / b - 1):.0f} %")
        t = med(tables, i)
        print(f"{kind:4s} for reference, over the same SQL on loaded tables: new signs "
              f"{100 * (med(work, i) / t - 1):.0f} %, new data {100 * (med(again, i) / t - 1):.0f} %")


def cli() -> None:
    parser = argparse.ArgumentParser(description="Evaluate 200 city signs over the synthetic demo warehouse and "
                                                 "compare with the same SQL run directly in DuckDB.")
    parser.add_argument("scale", nargs="?", type=float, default=0.05, help="demo scale (default 0.05)")
    parser.add_argument("rounds", nargs="?", type=int, default=3, help="timed rounds, medians reported (default 3)")
    args = parser.parse_args()
    if args.scale <= 0 or args.rounds < 1:
        parser.error("SCALE must be > 0 and ROUNDS ≥ 1")
    main(args.scale, args.rounds)


if __name__ == "__main__":
    cli()
