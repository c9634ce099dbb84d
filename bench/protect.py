"""Benchmark: a masked + fingerprinted 1M-row extract vs DuckDB copying the same rows Parquet → CSV.

Prints rows/s of both and their ratio (target ≥ 0.3×), then the time to trace 10,000 leaked rows
(target < 1 s) for a clearance-1 copy (pseudonyms), a clearance-4 copy (numeric sides) and a
clearance-4 copy of the ``population`` register (no numeric measure: decoy rows only). Runs are
interleaved and repeated (``--repeat``, default 3) and medians reported: the machine is shared.
Traces report CPU and wall time of the first trace of the source in this process (it reads the
source and scans it) and the median of ``--repeat`` further traces (the second one also builds the
source's hash indexes). The time spent registering the full-clearance copy's decoy cells
(``insert_decoys``, inside the extract) is printed too. Synthetic data (合成数据).
Usage: ``python bench/protect.py [--rows N] [--pop-rows N] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

import duckdb  # noqa: E402
import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402
from tests.protect.helpers import GRADES, POPULATION_GRADES, attack, people, population, write_as  # noqa: E402

from shucang.platform import open_warehouse  # noqa: E402
from shucang.protect import ExtractOptions, extract_dataset, trace_file, upsert_recipient  # noqa: E402
from shucang.settings import Settings  # noqa: E402
from shucang.warehouse import IngestOptions  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pop-rows", type=int, default=1_000_000, help="rows of the population register (0: skip)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="shucang-bench-protect-"))
    print(f"building {args.rows:,} synthetic rows …", flush=True)
    table = people(args.rows)
    parquet = work / "source.parquet"
    pq.write_table(table, parquet)

    def duck_copy() -> float:
        con = duckdb.connect()
        start = time.perf_counter()
        con.execute(f"COPY (SELECT * FROM read_parquet('{parquet}')) TO '{work / 'duckdb.csv'}' (HEADER)")
        seconds = time.perf_counter() - start
        con.close()
        return seconds

    wh = open_warehouse(Settings.load(work / "home"))
    wh.ingest_arrow(table, IngestOptions(dataset="people", mode="replace", synthetic=True))
    upsert_recipient(wh, "low", clearance=1)
    upsert_recipient(wh, "full", clearance=4)
    import shucang.protect.extract as extract_module
    import shucang.protect.release as release

    release_grades = release.resolve_grades
    insert_decoys = extract_module.insert_decoys
    registering: list[float] = []

    def timed_insert(wh: Any, conn: Any, rows: Any) -> None:
        start = time.perf_counter()
        insert_decoys(wh, conn, rows)
        if rows is not None and len(rows):
            registering.append(time.perf_counter() - start)

    extract_module.insert_decoys = timed_insert
    # Fixed grades: time protection, not classification.
    release.resolve_grades = lambda _wh, d, _v, g: POPULATION_GRADES if d == "population" else GRADES
    times: dict[str, list[float]] = {"duckdb": [], "low": [], "full": []}
    results = {}
    try:
        extract_dataset(wh, ExtractOptions("people", "low", work / "warm.csv"))  # warm imports and caches
        for _ in range(max(1, args.repeat)):
            times["duckdb"].append(duck_copy())
            for who in ("low", "full"):
                out = work / f"{who}.csv"
                start = time.perf_counter()
                info = extract_dataset(wh, ExtractOptions("people", who, out))
                times[who].append(time.perf_counter() - start)
                results[who] = (info, out)
    finally:
        release.resolve_grades = release_grades
        extract_module.insert_decoys = insert_decoys

    duck_s = statistics.median(times["duckdb"])
    duck_rate = args.rows / duck_s
    print(f"DuckDB Parquet → CSV         : {duck_s:6.2f} s  {duck_rate:12,.0f} rows/s  "
          f"(runs {', '.join(f'{t:.2f}' for t in times['duckdb'])})")
    for who, (info, _out) in results.items():
        seconds = statistics.median(times[who])
        rate = args.rows / seconds
        print(f"extract ({who:4}, masked+marked): {seconds:6.2f} s  {rate:12,.0f} rows/s  "
              f"ratio {rate / duck_rate:.2f}× (target ≥ 0.3×)  runs {', '.join(f'{t:.2f}' for t in times[who])}  "
              f"masked={info['masked_columns']}")
    full = registering
    if full:
        print(f"  registering the full copy's {results['full'][0]['marks']['decoys']['registered_cells']:,} decoy cells: "
              f"median {statistics.median(full):.3f} s (runs {', '.join(f'{t:.3f}' for t in full)}; commit not included)")

    rng = np.random.default_rng(1)
    for who, (info, out) in results.items():
        issued = pa.csv.read_csv(out, convert_options=pa.csv.ConvertOptions(
            column_types={n: pa.string() for n in ("id_card", "mobile", "name", "town", "address")}))
        leak = write_as(attack(issued, rng, 10_000, drop=1), work / f"leak-{who}", "csv")
        report_trace(wh, leak, "people", who, info["extract_id"], args.repeat)
    if args.pop_rows:
        print(f"building the population register ({args.pop_rows:,} synthetic rows) …", flush=True)
        wh.ingest_arrow(population(args.pop_rows), IngestOptions(dataset="population", mode="replace", synthetic=True))
        upsert_recipient(wh, "register", clearance=4)
        out = work / "register.csv"
        release.resolve_grades = lambda _wh, d, _v, g: POPULATION_GRADES if d == "population" else GRADES
        try:
            start = time.perf_counter()
            info = extract_dataset(wh, ExtractOptions("population", "register", out))
            seconds = time.perf_counter() - start
        finally:
            release.resolve_grades = release_grades
        print(f"extract (population, clearance 4, {info['decoy_rows']} decoys): {seconds:.2f} s")
        issued = pa.csv.read_csv(out, convert_options=pa.csv.ConvertOptions(
            column_types={n: pa.string() for n in ("id_card", "mobile", "name", "address")}))
        leak = write_as(attack(issued, rng, 10_000, drop=1, keep_columns=()), work / "leak-register", "csv")
        report_trace(wh, leak, "population", "register", info["extract_id"], args.repeat)
    wh.close()


def report_trace(wh: object, leak: Path, dataset: str, who: str, extract_id: str, repeat: int) -> None:
    """Trace ``leak`` once (first trace of the source here) and ``repeat`` more times; print CPU and wall."""
    runs: list[tuple[float, float]] = []
    got: dict[str, object] = {}
    for _ in range(1 + max(1, repeat)):
        cpu, wall = time.process_time(), time.perf_counter()
        got = trace_file(wh, leak, dataset=dataset)
        runs.append((time.process_time() - cpu, time.perf_counter() - wall))
    ok = got["recipient"] == who and got["extract_id"] == extract_id
    later = runs[1:]
    print(f"trace 10,000 rows ({dataset}/{who}): first {runs[0][0]:.2f} s CPU {runs[0][1]:.2f} s wall; then median "
          f"{statistics.median(c for c, _ in later):.2f} s CPU {statistics.median(w for _, w in later):.2f} s wall "
          f"(runs {', '.join(f'{w:.2f}' for _, w in later)}; target < 1 s)  recipient={got['recipient']} "
          f"bound={got['false_accusation_bound']:.1e} {'OK' if ok else 'WRONG'}", flush=True)


if __name__ == "__main__":
    import pyarrow.csv  # noqa: F401 — pa.csv used above

    main()
