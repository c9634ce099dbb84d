"""Ingest benchmark: shucang vs DuckDB's own read_csv → Parquet, on the same file, in the same run.

Generates a CSV with Chinese text and identifiers (default 1M rows ≈ 190 MB), then times, each in a
fresh subprocess (so peak RSS is per tool):
  1. DuckDB  COPY (SELECT * FROM read_csv(file)) TO parquet       — the baseline
  2. shucang ingest of the UTF-8 file into a Delta table (with classification off and on)
  3. shucang ingest of a GB18030 copy (DuckDB refuses GB18030)    — zero rows may be lost
Prints throughput, the ratios (targets: ≥ 0.8× DuckDB, GB18030 ≥ 0.6× UTF-8) and peak RSS.
The ``cli`` case times whole processes as a user meets them: ``shucang ingest FILE`` against DuckDB's
Python one-liner (target ≥ 0.6×), and the fixed cost of a 3-row CSV, cold and per file in one process,
next to the cost of the imports any ingest process needs (its floor). These children run with bytecode
caching on (``PYTHONDONTWRITEBYTECODE`` removed), as an installed package does: compiling the sources
at every start would add about 0.2 s to each process. The ``warm`` case runs the same ingests handed to
a warm server (``shucang warm start``, as ``shucang serve`` runs one): wall time from the outside, CPU
of the caller plus the server's child that ran the command.

    python bench/ingest.py [--rows 1000000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
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


IMPORT_FLOOR = "import typer, pyarrow, pyarrow.compute, sqlalchemy, deltalake"
"""What any ``shucang ingest`` process must import (CLI, Arrow, catalog, Delta): the floor of the fixed cost."""

DUCK_ONE_LINER = ("import duckdb, sys; duckdb.sql(f\"COPY (SELECT * FROM read_csv('{sys.argv[1]}')) "
                  "TO '{sys.argv[2]}' (FORMAT parquet)\")")


def run_end_to_end(argv: list[str], env: dict[str, str] | None = None) -> dict:
    """A whole command in a fresh process, timed from the outside: start-up and imports included."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or ["failed"])[-1]}
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return {"seconds": seconds, "cpu": cpu, "peak_rss_mb": after.ru_maxrss / 1024, "stdout": proc.stdout}


def cli_argv(home: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "shucang", "--home", str(home), *args]


def cli_cases(args: argparse.Namespace, utf8: Path, work: Path) -> None:
    """The CLI path: ``shucang ingest`` as a user runs it, against DuckDB's Python one-liner, both as
    whole processes; and the fixed cost of one small file (cold process, and per file in one process)."""
    tiny = work / "tiny.csv"
    tiny.write_text("姓名,人数,日期\n张三,3,2024-01-02\n李四,4,2024-01-03\n王五,5,2024-01-04\n", encoding="utf-8")
    many = [work / f"tiny{k}.csv" for k in range(20)]
    for path in many:
        path.write_bytes(tiny.read_bytes())
    base = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"} | {"PYTHONWARNINGS": "ignore"}
    env = base | {"SHUCANG_WARM": "off"}  # cold processes, whatever warm server the user may run
    warm_env = base | {"SHUCANG_WARM": "on", "SHUCANG_WARM_DIR": tempfile.mkdtemp(prefix="sw-", dir="/tmp")}
    server = start_warm(warm_env) if "warm" in args.cases.split(",") else None
    names = ("duck", "cli", "bare", "floor", "tiny", "many", "warm_cli", "warm_tiny", "warm_again")
    runs: dict[str, list[dict]] = {name: [] for name in names}
    for k in range(args.repeat):
        home = work / f"cli-home-{k}"
        shutil.rmtree(home, ignore_errors=True)  # with --keep, a home from an earlier run would hold more versions
        runs["duck"].append(run_end_to_end([sys.executable, "-c", DUCK_ONE_LINER, str(utf8), str(work / "d.parquet")]))
        runs["cli"].append(run_end_to_end(cli_argv(home, "ingest", str(utf8), "-d", "bench", "--mode", "replace",
                                                   "--json"), env))
        runs["bare"].append(run_end_to_end([sys.executable, "-c", "pass"]))
        runs["floor"].append(run_end_to_end([sys.executable, "-c", IMPORT_FLOOR], env))
        runs["tiny"].append(run_end_to_end(cli_argv(home, "ingest", str(tiny), "-d", f"tiny{k}", "--json"), env))
        runs["many"].append(run_end_to_end(cli_argv(home, "ingest", *map(str, many), "-d", f"many{k}", "--json"),
                                           env))
        if server is not None:
            runs["warm_cli"].append(run_warm(server, cli_argv(home, "ingest", str(utf8), "-d", "bench", "--mode",
                                                              "replace", "--json"), warm_env))
            runs["warm_tiny"].append(run_warm(server, cli_argv(home, "ingest", str(tiny), "-d", f"warm{k}", "--json"),
                                              warm_env))
            runs["warm_again"].append(run_warm(server, cli_argv(home, "ingest", str(tiny), "-d", f"tiny{k}", "--json"),
                                               warm_env))
    if server is not None:
        subprocess.run([sys.executable, "-m", "shucang", "warm", "stop"], env=warm_env, capture_output=True)
    shutil.rmtree(warm_env["SHUCANG_WARM_DIR"], ignore_errors=True)
    results = {name: median_run(runs[name]) for name in names if runs[name]}
    duck, cli, one, batch = results["duck"], results["cli"], results["tiny"], results["many"]
    for label, key in [("duckdb one-liner (process)", "duck"), ("shucang ingest CLI (process)", "cli"),
                       ("python -c pass", "bare"), ("imports alone (typer, arrow, sa…)", "floor"),
                       ("shucang ingest, 3-row CSV", "tiny"), (f"shucang ingest, {len(many)} 3-row CSVs", "many"),
                       ("warm: shucang ingest CLI", "warm_cli"), ("warm: 3-row CSV, new dataset", "warm_tiny"),
                       ("warm: 3-row CSV, next version", "warm_again")]:
        res = results.get(key)
        if res is None:
            continue
        if "error" in res:
            print(f"{label:32} ERROR: {res['error']}")
        else:
            print(f"{label:32} {res['seconds']:6.2f}s wall {res['cpu']:6.2f}s cpu")
    if "error" not in duck and "error" not in cli:
        print(f"ratio CLI/duckdb one-liner ({args.rows:,} rows):     {duck['seconds'] / cli['seconds']:.2f}× wall, "
              f"{duck['cpu'] / cli['cpu']:.2f}× cpu  (target ≥ 0.6)")
    warm = results.get("warm_cli")
    if warm and "error" not in duck and "error" not in warm:
        print(f"ratio warm CLI/duckdb one-liner ({args.rows:,} rows): {duck['seconds'] / warm['seconds']:.2f}× wall, "
              f"{duck['cpu'] / warm['cpu']:.2f}× cpu  (target ≥ 0.6)")
    if "error" not in one and "error" not in batch:
        per_file = (batch["seconds"] - one["seconds"]) / (len(many) - 1)
        print(f"fixed cost of one ingest: {one['seconds']:.2f}s cold process; {per_file:.3f}s per further file "
              f"in one process (`shucang ingest A B C …`)")
    for key, what in (("warm_tiny", "a new dataset"), ("warm_again", "a dataset's next version")):
        res = results.get(key)
        if res and "error" not in res:
            print(f"fixed cost of one ingest with a warm server ({what}): {res['seconds']:.2f}s  (target < 0.3 s)")


def start_warm(env: dict[str, str]) -> int:
    """Start a warm server for the bench (``shucang warm start``); its pid."""
    proc = subprocess.run([sys.executable, "-m", "shucang", "warm", "start", "--json", "--idle-timeout", "900"],
                          env=env, capture_output=True, text=True, check=True)
    return int(json.loads(proc.stdout)["pid"])


def _server_cpu(pid: int) -> float:
    """CPU seconds of a process and of its children it has waited for (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def run_warm(server: int, argv: list[str], env: dict[str, str]) -> dict:
    """A command handed to the warm server: wall time from the outside; CPU of the caller plus the
    server's child that ran it (the server reaps it within a second, so the reading waits for that)."""
    try:
        before = _server_cpu(server)
        result = run_end_to_end(argv, env)
        time.sleep(1.2)
        if "error" not in result:
            result["cpu"] += _server_cpu(server) - before
    except FileNotFoundError:
        return {"error": "the warm server stopped (were the sources edited during the run?)"}
    return result


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
    parser.add_argument("--cases", default="cli,warm,duck,plain,classified,gb",
                        help="comma list of cli (whole processes: CLI vs DuckDB one-liner, small-file cost), "
                             "warm (with cli: the same commands handed to a warm server, shucang warm), "
                             "duck, plain, classified, gb (e.g. `--rows 42000000 --cases plain "
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
    if "cli" in wanted:
        cli_cases(args, utf8, work)
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
        if res is skipped:
            continue
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
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    main()
