"""Ingest benchmark: shucang vs DuckDB's own read_csv → Parquet, on the same file, in the same run.

Generates a CSV with Chinese text and identifiers (default 1M rows ≈ 190 MB), then times, each in a
fresh subprocess (so peak RSS is per tool):
  1. DuckDB  COPY (SELECT * FROM read_csv(file)) TO parquet       — the baseline
  2. shucang ingest of the UTF-8 file into a Delta table (with classification off and on)
  3. shucang ingest of a GB18030 copy (DuckDB refuses GB18030)    — zero rows may be lost
Prints throughput, the ratios (targets: ≥ 0.8× DuckDB, GB18030 ≥ 0.6× UTF-8) and peak RSS.

    python bench/ingest.py [--rows 1000000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红建文辉力宇浩然欣怡子涵梓萱一诺")
TOWNS = ["浒山街道", "白沙路街道", "古塘街道", "坎墩街道", "宗汉街道", "龙山镇", "掌起镇", "观海卫镇", "附海镇", "桥头镇",
         "匡堰镇", "逍林镇", "新浦镇", "胜山镇", "横河镇", "崇寿镇", "庵东镇", "长河镇", "周巷镇", "天元镇"]
WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])


def make_csv(path: Path, rows: int, seed: int = 7) -> None:
    rng = np.random.default_rng(seed)
    chunk = 200_000
    with path.open("wb") as out:
        for start in range(0, rows, chunk):
            n = min(chunk, rows - start)
            region = np.full(n, 330282)
            year = rng.integers(1940, 2015, n)
            month = rng.integers(1, 13, n)
            day = rng.integers(1, 29, n)
            seq = rng.integers(0, 1000, n)
            body = np.char.add(np.char.add(np.char.add(region.astype(str), year.astype(str)),
                                           np.char.add(np.char.zfill(month.astype(str), 2),
                                                       np.char.zfill(day.astype(str), 2))),
                               np.char.zfill(seq.astype(str), 3))
            digits = np.frombuffer(body.astype("S17").tobytes(), dtype=np.uint8).reshape(n, 17) - 48
            check = np.array(list("10X98765432"))[(digits * WEIGHTS).sum(axis=1) % 11]
            ids = np.char.add(body, check)
            names = np.char.add(np.array(SURNAMES)[rng.integers(0, len(SURNAMES), n)],
                                np.char.add(np.array(GIVEN)[rng.integers(0, len(GIVEN), n)],
                                            np.array(GIVEN)[rng.integers(0, len(GIVEN), n)]))
            phones = np.char.add("13", rng.integers(100_000_000, 999_999_999, n).astype(str))
            towns = np.array(TOWNS)[rng.integers(0, len(TOWNS), n)]
            addresses = np.char.add(towns, np.char.add(rng.integers(1, 300, n).astype(str), "号"))
            table = pa.table({
                "序号": pa.array(np.arange(start + 1, start + n + 1)),
                "姓名": names, "公民身份号码": ids, "性别": np.where(seq % 2 == 1, "男", "女"),
                "出生日期": np.char.add(np.char.add(year.astype(str), "-"),
                                   np.char.add(np.char.zfill(month.astype(str), 2),
                                               np.char.add("-", np.char.zfill(day.astype(str), 2)))),
                "联系电话": phones, "镇街": towns, "住址": addresses,
                "月收入": np.round(rng.gamma(4, 1500, n), 2),
                "备注": np.where(rng.random(n) < 0.1, "已核实，联系人电话" + phones, ""),
            })
            buf = pa.BufferOutputStream()
            pacsv.write_csv(table, buf, pacsv.WriteOptions(include_header=start == 0))
            out.write(buf.getvalue().to_pybytes())


CHILD = r"""
import json, os, resource, sys, time
mode, path, work = sys.argv[1], sys.argv[2], sys.argv[3]
def cpu():
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime
out = {}
# Imports happen before the clock starts: the benchmark measures the work, not interpreter start-up.
if mode == "duckdb":
    import duckdb
    t0, c0 = time.perf_counter(), cpu()
    con = duckdb.connect()
    try:
        con.execute(f"COPY (SELECT * FROM read_csv('{path}')) TO '{work}/duck.parquet' (FORMAT parquet)")
        out["seconds"], out["cpu"] = time.perf_counter() - t0, cpu() - c0
        out["rows"] = con.execute(f"SELECT count(*) FROM '{work}/duck.parquet'").fetchone()[0]
    except Exception as exc:
        out["error"] = str(exc).splitlines()[0][:160]
else:
    from shucang.settings import Settings
    from shucang.warehouse import IngestOptions, Warehouse
    from shucang.platform import open_warehouse
    settings = Settings.load(f"{work}/home-{mode}")
    wh = open_warehouse(settings) if mode.endswith("classify") else Warehouse.open(settings)
    t0, c0 = time.perf_counter(), cpu()
    r = wh.ingest(path, IngestOptions(dataset="bench", mode="replace"))
    out["seconds"], out["cpu"] = time.perf_counter() - t0, cpu() - c0
    out.update(rows=r.rows_loaded, rejected=r.rows_rejected, encoding=r.encoding, warnings=r.warnings)
# VmHWM is this process's own peak (ru_maxrss would carry the parent's peak across exec).
with open("/proc/self/status") as status:
    hwm = next(line for line in status if line.startswith("VmHWM"))
out["peak_rss_mb"] = int(hwm.split()[1]) / 1024
print(json.dumps(out))
"""


def run(mode: str, path: Path, work: Path) -> dict:
    proc = subprocess.run([sys.executable, "-c", CHILD, mode, str(path), str(work)], capture_output=True, text=True)
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "failed"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def median_run(results: list[dict]) -> dict:
    """The run with the median time (errors win: one failure is reported)."""
    failed = [r for r in results if "error" in r]
    if failed:
        return failed[0]
    ordered = sorted(results, key=lambda r: r["seconds"])
    middle = ordered[len(ordered) // 2]
    cpus = sorted(r["cpu"] for r in results)
    return middle | {"peak_rss_mb": max(r["peak_rss_mb"] for r in results), "cpu": cpus[len(cpus) // 2]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, default=None, help="work directory to keep (default: temporary)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per case, interleaved; medians are shown")
    parser.add_argument("--cases", default="duck,plain,classified,gb",
                        help="comma list of duck, plain, classified, gb (e.g. `--rows 42000000 --cases plain "
                             "--repeat 1` is the 5 GB peak-RSS run)")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="shucang-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    utf8 = work / "people.csv"
    gb = work / "people_gb18030.csv"
    t0 = time.perf_counter()
    if not utf8.exists():
        make_csv(utf8, args.rows)
    if "gb" in args.cases and not gb.exists():
        with utf8.open("r", encoding="utf-8", newline="") as src, gb.open("w", encoding="gb18030", newline="") as dst:
            while block := src.read(8 << 20):  # streaming: the copy of a 5 GB file needs no 5 GB of memory
                dst.write(block)
    size_mb = utf8.stat().st_size / 1e6
    print(f"file: {args.rows:,} rows, {size_mb:.0f} MB UTF-8 (generated in {time.perf_counter() - t0:.1f}s)")

    wanted = set(args.cases.split(","))
    cases = {k: v for k, v in {"duck": ("duckdb", utf8), "plain": ("plain", utf8),
                               "classified": ("classify", utf8), "gb": ("plain", gb)}.items() if k in wanted}
    runs: dict[str, list[dict]] = {k: [] for k in cases}
    for _ in range(args.repeat):  # interleaved, so a noisy moment hurts every case alike
        for key, (mode, path) in cases.items():
            runs[key].append(run(mode, path, work))
    skipped = {"error": "not run (--cases)"}
    duck, plain, classified, gbres = (median_run(runs[k]) if k in runs else skipped
                                      for k in ("duck", "plain", "classified", "gb"))
    duck_gb = run("duckdb", gb, work) if "gb" in wanted else skipped
    for label, res in [("duckdb read_csv→parquet", duck), ("duckdb on GB18030", duck_gb),
                       ("shucang ingest (no classify)", plain), ("shucang ingest + classify", classified),
                       ("shucang ingest GB18030", gbres)]:
        if "error" in res:
            print(f"{label:32} ERROR/REFUSED: {res['error']}")
        else:
            rate = res["rows"] / res["seconds"]
            print(f"{label:32} {res['seconds']:6.2f}s wall {res['cpu']:6.2f}s cpu {rate:>10,.0f} rows/s"
                  f"  peak RSS {res['peak_rss_mb']:6.0f} MB  rows={res['rows']:,}")
    if "error" not in duck and "error" not in plain:
        print(f"ratio shucang/duckdb throughput:          {duck['seconds'] / plain['seconds']:.2f}×  (target ≥ 0.8, never < 0.5)")
        print(f"ratio shucang/duckdb CPU efficiency:      {duck['cpu'] / plain['cpu']:.2f}×  (CPU seconds, less sensitive "
              "to other load on the machine)")
    if "error" not in duck and "error" not in classified:
        print(f"ratio shucang+classify/duckdb throughput: {duck['seconds'] / classified['seconds']:.2f}×")
    if "error" not in gbres and "error" not in plain:
        lost = args.rows - gbres["rows"]
        print(f"ratio GB18030/UTF-8 speed:                {plain['seconds'] / gbres['seconds']:.2f}×  (target ≥ 0.6), "
              f"rows lost: {lost}")
    if args.keep is None:
        import shutil

        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    main()
