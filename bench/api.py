"""Sharing API under bounded load: 100-row filtered pages and a grouped count over a 10M-row dataset.

Builds a synthetic dataset (default 10,000,000 rows) in a temporary warehouse, starts the real server
(``shucang serve --workers N``) on 127.0.0.1, and drives it with N concurrent keep-alive clients for a
fixed duration (a minimal asyncio HTTP/1.1 client on uvloop, so the load generator spends as little
of the shared cores as possible; its own CPU per request is printed too). Every request is
authenticated by an API token, authorised, masked and fingerprinted for the caller (protection's
output for a page this caller already received is remembered — see docs/sharing.md), given its own
extract id and registry row, and audited — the full path. In the same run the same queries go
straight to DuckDB over the same rows, as the engine's own limit.

Scenarios:
- ``page``: 160 distinct filtered pages (town × category) asked again and again by 50 clients in a
  closed loop (each sends its next request when the last is answered);
- ``page-open``: the same pages in an *open* loop — requests due at a fixed offered rate (``--rate``,
  default 1,000/s) whatever the server does, latency counted from each request's due time, so
  queueing is not hidden (no coordinated omission); the achieved rate is printed beside it;
- ``page-cold``: every request a different query (an extra random ``handled_minutes >=`` bound), so
  nearly every one goes to DuckDB and through protection — the uncached figure;
- ``group`` / ``group-cold``: a grouped count over all 10M rows (8 distinct queries, or a new one each time);
- ``auth``: the token check alone (``/api/v1/auth/me``, through FastAPI) — the framework's ceiling;
- ``page@N``: the page scenario with N clients (default 1 and 10). With C clients always waiting,
  latency ≈ C ÷ throughput (Little's law): 50 clients at 1,000 req/s means a 50 ms *median*, so the
  closed-loop p99 ≤ 50 ms at 50 clients needs well over 1,000 req/s.

Besides latency and throughput, the server's CPU time per answered request is printed: other work
on a shared machine disturbs it far less than throughput, and cores ÷ (server + load-generator CPU
per request) is the capacity. The load average is printed before, during and after.

Each scenario runs ``--repeat`` times, interleaved; medians are printed (the machine is shared).

    .venv/bin/python bench/api.py [--rows 10000000] [--clients 50] [--seconds 10] [--workers 2] [--repeat 3]
                                  [--rate 1000] [--open-connections 100] [--only page,page-open,...]

Targets (docs/sharing.md): page p99 ≤ 50 ms and ≥ 1,000 requests/s on a 2-core machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import duckdb
import numpy as np
import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

TOWNS = ["浒山街道", "白沙路街道", "古塘街道", "坎墩街道", "宗汉街道", "龙山镇", "掌起镇", "观海卫镇", "附海镇", "桥头镇",
         "匡堰镇", "逍林镇", "新浦镇", "胜山镇", "横河镇", "崇寿镇", "庵东镇", "长河镇", "周巷镇", "天元镇"]
CATEGORIES = ["城市管理", "市场监管", "交通出行", "环境保护", "社会保障", "教育", "医疗卫生", "住房"]
TOKEN_FILE = "bench-token.txt"


def make_table(rows: int, seed: int = 7) -> pa.Table:
    """Synthetic service records, generated vectorised (no Python loop per row)."""
    rng = np.random.default_rng(seed)
    town = pa.DictionaryArray.from_arrays(pa.array(rng.integers(0, len(TOWNS), rows, dtype=np.int32)),
                                          pa.array(TOWNS)).cast(pa.string())
    category = pa.DictionaryArray.from_arrays(pa.array(rng.integers(0, len(CATEGORIES), rows, dtype=np.int32)),
                                              pa.array(CATEGORIES)).cast(pa.string())
    ids = pa.compute.binary_join_element_wise("C", pa.array(np.arange(rows, dtype=np.int64)).cast(pa.string()), "")
    day = pa.array((np.datetime64("2021-01-01") + rng.integers(0, 1825, rows)).astype("datetime64[D]"), pa.date32())
    return pa.table({"case_id": ids, "town": town, "category": category, "day": day,
                     "handled_minutes": pa.array(rng.integers(1, 600, rows), pa.int64()),
                     "satisfied": pa.array(rng.random(rows) < 0.9)})


def build_home(home: Path, rows: int) -> str:
    """Warehouse with the bench dataset, a steward of its department and an unthrottled token."""
    from shucang.classify.store import override_column
    from shucang.platform import open_warehouse
    from shucang.protect.keys import load_keyring
    from shucang.settings import Settings
    from shucang.share.identity import create_token, create_user
    from shucang.warehouse import IngestOptions

    settings = Settings.load(home)
    wh = open_warehouse(settings)
    try:
        t0 = time.perf_counter()
        table = make_table(rows)
        wh.ingest_arrow(table, IngestOptions(dataset="bench_cases", department="sjj", mode="replace",
                                             title="基准测试办件（合成）", synthetic=True))
        print(f"built and ingested {rows:,} rows in {time.perf_counter() - t0:.1f} s", flush=True)
        for column in table.column_names:  # grades pinned: the bench measures the path, not the detectors
            override_column(wh, "bench_cases", column, type=None, level=1, who="bench", why="benchmark")
        load_keyring(settings)  # the master key exists before the workers start
        create_user(wh, "bench_steward", role="steward", department="sjj", password="bench-password-1")
        token = create_token(wh, "bench_steward", label="bench", rate_per_minute=100_000_000)[1]
    finally:
        wh.close()
    (home / TOKEN_FILE).write_text(token)
    return token


# ---------------------------------------------------------------------------------------------- load
def _request(path: str, token: str) -> bytes:
    return (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
            "Accept: application/json\r\n\r\n").encode()


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> int:
    """One request/response on a keep-alive connection; the status."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    await reader.readexactly(length)
    return int(head[9:12])


async def _client(port: int, next_path: Callable[[], bytes], deadline: float, out: list[float],
                  errors: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            status = await _exchange(reader, writer, next_path())
            if status == 200:
                out.append(time.perf_counter() - start)
            else:
                errors.append(status)
    finally:
        writer.close()


async def _load(port: int, next_path: Callable[[], bytes], clients: int,
                seconds: float) -> tuple[list[float], list[int], float]:
    """Closed loop: ``clients`` connections, each sending its next request as soon as the last is answered."""
    latencies: list[float] = []
    errors: list[int] = []
    start = time.perf_counter()
    deadline = start + seconds
    await asyncio.gather(*(_client(port, next_path, deadline, latencies, errors) for _ in range(clients)))
    return latencies, errors, time.perf_counter() - start


async def _open_load(port: int, next_path: Callable[[], bytes], rate: float, seconds: float,
                     connections: int) -> tuple[list[float], list[int], float]:
    """Open loop: request *i* is due at ``start + i / rate`` whatever happened before, and its latency is
    counted from that due time — waiting for a free connection or a busy server counts as latency (no
    coordinated omission). Ends when every due request is answered (or 30 s after the last was due)."""
    latencies: list[float] = []
    errors: list[int] = []
    due: asyncio.Queue[float | None] = asyncio.Queue()
    start = time.perf_counter()
    total = int(rate * seconds)

    async def connection() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while (when := await due.get()) is not None:
                status = await _exchange(reader, writer, next_path())
                if status == 200:
                    latencies.append(time.perf_counter() - when)
                else:
                    errors.append(status)
        finally:
            writer.close()

    async def schedule() -> None:
        for i in range(total):
            when = start + i / rate
            wait = when - time.perf_counter()
            if wait > 0:
                await asyncio.sleep(wait)
            due.put_nowait(when)
        for _ in range(connections):
            due.put_nowait(None)

    workers = [asyncio.ensure_future(connection()) for _ in range(connections)]
    await schedule()
    _done, late = await asyncio.wait(workers, timeout=30)
    for task in late:
        task.cancel()
    errors.extend([0] * (total - len(latencies) - len(errors)))  # never answered: counted as errors
    return latencies, errors, time.perf_counter() - start


def server_cpu(root_pid: int | None) -> float:
    """CPU seconds used so far by the server process and its workers (Linux /proc; 0 elsewhere)."""
    if root_pid is None or not Path("/proc").exists():
        return 0.0
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(stat.parent.name) == root_pid or int(fields[1]) == root_pid:  # fields[1]: parent pid
            total += (int(fields[11]) + int(fields[12])) / tick  # utime + stime
    return total


def run_load(port: int, next_path: Callable[[], bytes], clients: int, seconds: float,
             server_pid: int | None = None, *, rate: float | None = None) -> dict[str, float]:
    """Drive the server (closed loop with ``clients`` connections, or open loop at ``rate`` requests/s
    over ``clients`` connections); latency percentiles, throughput, the server's CPU per answered
    request (a figure that other work on a shared machine disturbs far less than throughput) and the
    load generator's own CPU per request (it shares the cores with the server)."""
    cpu = server_cpu(server_pid)
    mine = time.process_time()
    load = _load(port, next_path, clients, seconds) if rate is None else _open_load(port, next_path, rate, seconds,
                                                                                     clients)
    try:
        import uvloop  # the load generator shares the cores with the server: keep it lean

        latencies, errors, elapsed = uvloop.run(load)
    except ImportError:
        latencies, errors, elapsed = asyncio.run(load)
    used = server_cpu(server_pid) - cpu
    answered = max(1, len(latencies))
    return {"p50_ms": _pct(latencies, 0.5), "p99_ms": _pct(latencies, 0.99), "per_s": len(latencies) / elapsed,
            "errors": float(len(errors)), "cpu_ms": 1000 * used / answered,
            "client_cpu_ms": 1000 * (time.process_time() - mine) / answered}


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def _page_path(town: str, category: str, minutes: int | None, token: str) -> bytes:
    conditions: list[dict[str, Any]] = [{"column": "town", "op": "=", "value": town},
                                        {"column": "category", "op": "=", "value": category}]
    if minutes is not None:
        conditions.append({"column": "handled_minutes", "op": ">=", "value": minutes})
    query = urlencode({"filter": json.dumps({"and": conditions}, ensure_ascii=False), "limit": 100})
    return _request(f"/api/v1/datasets/bench_cases/rows?{query}", token)


def _group_path(category: str, minutes: int | None, token: str) -> bytes:
    flt: dict[str, Any] = {"column": "category", "op": "=", "value": category}
    if minutes is not None:
        flt = {"and": [flt, {"column": "handled_minutes", "op": ">=", "value": minutes}]}
    query = urlencode({"group_by": "town", "agg": "count", "filter": json.dumps(flt, ensure_ascii=False)})
    return _request(f"/api/v1/datasets/bench_cases/aggregate?{query}", token)


def scenarios(token: str) -> dict[str, Callable[[], bytes]]:
    pages = [_page_path(t, c, None, token) for t in TOWNS for c in CATEGORIES[:4]]
    groups = [_group_path(c, None, token) for c in CATEGORIES]
    seen: set[tuple[Any, ...]] = set()

    def fresh(*choices: list[Any]) -> tuple[Any, ...]:
        """A combination not asked before in this run (so it cannot come from any cache)."""
        while True:
            pick = tuple(random.choice(c) for c in choices) + (random.randint(1, 10**6),)
            if pick not in seen:
                seen.add(pick)
                return pick

    def page_cold() -> bytes:
        town, category, salt = fresh(TOWNS, CATEGORIES)
        return _page_path(town, category, -salt, token)  # a bound below every value: same rows, new query

    def group_cold() -> bytes:
        category, salt = fresh(CATEGORIES)
        return _group_path(category, -salt, token)

    auth = _request("/api/v1/auth/me", token)
    return {"page": lambda: random.choice(pages), "page-cold": page_cold,
            "group": lambda: random.choice(groups), "group-cold": group_cold, "auth": lambda: auth}


# ---------------------------------------------------------------------------------------------- server
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(home: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    """``shucang serve --workers N`` (own process group, so it can be stopped as a whole)."""
    env = {**os.environ, "SHUCANG_HOME": str(home), "PYTHONPATH": str(ROOT / "src"),
           "SHUCANG_API_RATE": "100000000"}
    return subprocess.Popen([sys.executable, "-m", "shucang", "serve", "--port", str(port), "--workers", str(workers)],
                            env=env, start_new_session=True)


def stop_server(server: subprocess.Popen[bytes]) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def wait_ready(port: int, warm: Callable[[], bytes]) -> None:
    """Wait for the server, then warm every worker (each materialises its snapshot once)."""
    import httpx

    for _ in range(600):
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/v1/auth/me", timeout=2)
            break
        except httpx.HTTPError:
            time.sleep(0.2)
    t0 = time.perf_counter()
    run_load(port, warm, clients=8, seconds=2.0)
    print(f"server warm in {time.perf_counter() - t0:.1f} s", flush=True)


# ---------------------------------------------------------------------------------------------- DuckDB
def duckdb_baseline(home: Path, seconds: float) -> dict[str, dict[str, float]]:
    """The same queries straight in DuckDB over the same rows (materialised, one connection, all cores)."""
    from shucang.platform import open_warehouse
    from shucang.settings import Settings

    wh = open_warehouse(Settings.load(home))
    con = duckdb.connect()
    con.register("src", wh.arrow_dataset("bench_cases"))
    con.execute("CREATE TABLE t AS SELECT * FROM src")
    con.unregister("src")
    wh.close()
    queries = {
        "page": ("SELECT * FROM t WHERE town = ? AND category = ? AND handled_minutes >= ? LIMIT 100",
                 lambda: [random.choice(TOWNS), random.choice(CATEGORIES[:4]), -random.randint(1, 10**6)]),
        "group": ("SELECT town, count(*) FROM t WHERE category = ? AND handled_minutes >= ? GROUP BY town "
                  "ORDER BY town", lambda: [random.choice(CATEGORIES), -random.randint(1, 10**6)]),
    }
    out = {}
    for name, (sql, params) in queries.items():
        times: list[float] = []
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            t0 = time.perf_counter()
            con.sql(sql, params=params()).to_arrow_table()
            times.append(time.perf_counter() - t0)
        out[name] = {"p50_ms": _pct(times, 0.5), "p99_ms": _pct(times, 0.99), "per_s": len(times) / seconds}
    con.close()
    return out


def _median(runs: list[dict[str, float]]) -> dict[str, float]:
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", default="page,page-open,page-cold,group,group-cold,auth",
                        help="comma-separated scenarios")
    parser.add_argument("--rate", type=float, default=1000.0, help="offered requests/s of the open-loop scenario")
    parser.add_argument("--open-connections", type=int, default=100,
                        help="connections the open-loop scenario may use at once")
    parser.add_argument("--home", type=Path, help="reuse (or build once into) this warehouse home")
    parser.add_argument("--page-clients", default="1,10",
                        help="also run the page scenario with these client counts (latency without queueing)")
    args = parser.parse_args()
    wanted = [s for s in args.only.split(",") if s]
    extra = [f"page@{n}" for n in args.page_clients.split(",") if n and "page" in wanted]
    print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)
    with tempfile.TemporaryDirectory(prefix="shucang-bench-api-") as tmp:
        home = args.home or Path(tmp) / "home"
        token = (home / TOKEN_FILE).read_text() if (home / TOKEN_FILE).exists() else build_home(home, args.rows)
        paths = scenarios(token)
        port = _free_port()
        server = start_server(home, port, args.workers)
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in wanted + extra}
        base_runs: list[dict[str, dict[str, float]]] = []
        try:
            wait_ready(port, paths["page"])
            run_load(port, paths["group"], clients=4, seconds=1.0)
            for _round in range(args.repeat):
                for name in wanted + extra:
                    scenario, _, at = name.partition("@")
                    clients = int(at) if at else args.clients
                    if scenario == "page-open":
                        last = run_load(port, paths["page"], args.open_connections, args.seconds, server.pid,
                                        rate=args.rate)
                    else:
                        last = run_load(port, paths[scenario], clients, args.seconds, server.pid)
                    runs[name].append(last)
                    print(f"  {name:10} {last['p50_ms']:8.1f} ms p50 {last['p99_ms']:8.1f} ms p99 "
                          f"{last['per_s']:7.0f}/s  {last['cpu_ms']:5.2f} ms server CPU/request  "
                          f"{last['client_cpu_ms']:5.2f} ms load-generator CPU/request  "
                          f"(load average {os.getloadavg()[0]:.1f})", flush=True)
        finally:
            stop_server(server)
        for _round in range(args.repeat):
            base_runs.append(duckdb_baseline(home, min(args.seconds, 5.0)))
    base = {q: _median([b[q] for b in base_runs]) for q in ("page", "group")}
    results = {name: _median(r) for name, r in runs.items()}
    print(f"\n{args.rows:,} rows · {args.clients} clients (page@N: N clients; page-open: {args.rate:.0f} requests/s "
          f"offered over ≤ {args.open_connections} connections) · {args.seconds:.0f} s × {args.repeat} (medians) · "
          f"{args.workers} worker(s) · {os.cpu_count()} cores")
    print(f"{'scenario':10} {'API p50':>9} {'API p99':>9} {'API req/s':>10} {'err':>4} {'CPU/req':>8} {'gen CPU':>8} | "
          f"{'DuckDB p50':>10} {'DuckDB p99':>10} {'DuckDB q/s':>10} | {'API/DuckDB':>10}")
    for name, a in results.items():
        d = base.get(name.split("-")[0].split("@")[0]) if name != "auth" else None
        line = (f"{name:10} {a['p50_ms']:8.1f}ms {a['p99_ms']:8.1f}ms {a['per_s']:10.0f} {a['errors']:4.0f} "
                f"{a['cpu_ms']:6.2f}ms {a['client_cpu_ms']:6.2f}ms | ")
        if d:
            line += (f"{d['p50_ms']:9.2f}ms {d['p99_ms']:9.2f}ms {d['per_s']:10.0f} | "
                     f"{a['per_s'] / d['per_s']:9.2f}×")
        else:
            line += "(token check only: the framework's ceiling on this machine)"
        print(line)
    if "page" in results:
        page = results["page"]
        print(f"targets (page, {args.clients} clients, closed loop): p99 ≤ 50 ms → "
              f"{'met' if page['p99_ms'] <= 50 else 'NOT met'} ({page['p99_ms']:.1f} ms); ≥ 1,000 req/s → "
              f"{'met' if page['per_s'] >= 1000 else 'NOT met'} ({page['per_s']:.0f}/s)")
        if page["cpu_ms"] > 0:
            both = page["cpu_ms"] + page["client_cpu_ms"]
            print(f"server CPU per page {page['cpu_ms']:.2f} ms + load generator {page['client_cpu_ms']:.2f} ms → at most "
                  f"{1000 * (os.cpu_count() or 1) / both:.0f} pages/s on {os.cpu_count()} idle cores")
    if "page-open" in results:
        opened = results["page-open"]
        print(f"open loop ({args.rate:.0f} pages/s offered, latency from each request's due time): p50 "
              f"{opened['p50_ms']:.1f} ms, p99 {opened['p99_ms']:.1f} ms → p99 ≤ 50 ms "
              f"{'met' if opened['p99_ms'] <= 50 else 'NOT met'}; achieved {opened['per_s']:.0f}/s, "
              f"{opened['errors']:.0f} errors or unanswered")
    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
