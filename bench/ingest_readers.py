"""Reader half of the ingest benchmark: shucang's readers vs DuckDB read_csv → Parquet, same file, same run.

Times, each in a fresh subprocess (peak RSS per case):
  duckdb      COPY (SELECT * FROM read_csv(file)) TO parquet          — the baseline
  fast        shucang open_source(...).chunks() on the UTF-8 file     — Arrow fast path
  profiled    the same plus ColumnProfiler.update on every batch       — what Warehouse.ingest reads
  gb18030     fast path on a GB18030 copy (iconv transcoding)          — zero rows may be lost
  careful     every block forced through the careful path (Python csv) — the fallback's speed
Prints rows/s and ratios against DuckDB measured in this run.

    python bench/ingest_readers.py [--rows 1000000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = r"""
import json, resource, sys, time
mode, path, work = sys.argv[1], sys.argv[2], sys.argv[3]
t0 = time.perf_counter()
out = {}
if mode == "duckdb":
    import duckdb
    con = duckdb.connect()
    con.execute(f"COPY (SELECT * FROM read_csv('{path}')) TO '{work}/duck.parquet' (FORMAT parquet)")
    out["rows"] = con.execute(f"SELECT count(*) FROM '{work}/duck.parquet'").fetchone()[0]
else:
    from shucang.ingest import ColumnProfiler, open_source
    from shucang.ingest.csv_source import CsvSource
    if mode == "careful":
        CsvSource._fast = lambda self, part, line0, last: (None, [], part)
    source = open_source(path)
    profiler = ColumnProfiler(source.schema) if mode == "profiled" else None
    rows = rejected = 0
    for chunk in source.chunks():
        rows += chunk.rows.num_rows
        rejected += len(chunk.rejects)
        if profiler is not None:
            profiler.update(chunk.rows)
    if profiler is not None:
        profiler.result()
    out.update(rows=rows, rejected=rejected, encoding=source.encoding)
out["seconds"] = time.perf_counter() - t0
# VmHWM, not ru_maxrss: ru_maxrss survives exec and would report the parent's peak
hwm = [line for line in open("/proc/self/status") if line.startswith("VmHWM")]
out["peak_rss_mb"] = int(hwm[0].split()[1]) / 1024 if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""


def run(mode: str, path: Path, work: Path) -> dict:
    proc = subprocess.run([sys.executable, "-c", CHILD, mode, str(path), str(work)], capture_output=True, text=True)
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, default=None)
    args = parser.parse_args()
    spec = importlib.util.spec_from_file_location("bench_ingest", Path(__file__).with_name("ingest.py"))
    assert spec and spec.loader
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    work = args.keep or Path(tempfile.mkdtemp(prefix="shucang-readers-"))
    work.mkdir(parents=True, exist_ok=True)
    utf8, gb = work / "people.csv", work / "people_gb18030.csv"
    if not utf8.exists():
        gen.make_csv(utf8, args.rows)
        gb.write_bytes(utf8.read_text("utf-8").encode("gb18030"))
    print(f"file: {args.rows:,} rows, {utf8.stat().st_size / 1e6:.0f} MB UTF-8, {gb.stat().st_size / 1e6:.0f} MB GB18030")
    results = {m: run(m, gb if m == "gb18030" else utf8, work)
               for m in ("duckdb", "fast", "profiled", "gb18030", "careful")}
    for mode, res in results.items():
        if "error" in res:
            print(f"{mode:10} ERROR {res['error']}")
            continue
        print(f"{mode:10} {res['seconds']:6.2f}s {res['rows'] / res['seconds']:>11,.0f} rows/s "
              f"peak RSS {res['peak_rss_mb']:5.0f} MB rows={res['rows']:,} rejected={res.get('rejected', 0)}")
    duck = results["duckdb"].get("seconds")
    if duck:
        for mode in ("fast", "profiled", "gb18030", "careful"):
            if "seconds" in results[mode]:
                print(f"ratio {mode}/duckdb throughput: {duck / results[mode]['seconds']:.2f}×")
    if "seconds" in results["fast"] and "seconds" in results["gb18030"]:
        print(f"ratio gb18030/utf-8 reader speed: {results['fast']['seconds'] / results['gb18030']['seconds']:.2f}×, "
              f"rows lost: {args.rows - results['gb18030']['rows']}")
    if args.keep is None:
        import shutil

        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    t = time.perf_counter()
    main()
    print(f"(bench took {time.perf_counter() - t:.0f}s)")
