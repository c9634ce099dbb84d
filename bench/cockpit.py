"""Cockpit benchmark: the overview's server-side render time and its full load in headless Chromium.

Builds the synthetic demo warehouse (``--scale``, default 0.1) in a temporary home, then measures in
the same run:

* server side — ``GET /`` through the ASGI app in process: cold (memo cleared, every figure recomputed
  from the catalog and plan values) and warm; the baseline is the plan engine's own ``plan_status``
  call, i.e. the ratio says what rendering the page costs on top of the data it shows.
  Goal: < 100 ms.
* browser — Debian's chromium loads ``/`` from a uvicorn server (fresh context each time, so nothing
  cached) until the load event and until every chart has drawn; the baseline is the same browser
  loading the page's JSON twin. Goal: < 1.5 s.

Usage: ``.venv/bin/python bench/cockpit.py [--scale 0.1] [--runs 20]``
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.servers import serve_home  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run"]


def build(home: Path, scale: float) -> None:
    from shucang.demo import build_demo
    from shucang.plan.demo import seed_demo_plan
    from shucang.platform import open_warehouse
    from shucang.settings import Settings

    wh = open_warehouse(Settings.load(home))
    try:
        build_demo(wh, scale=scale)
        seed_demo_plan(wh)
    finally:
        wh.close()


def server_side(home: Path, runs: int) -> None:
    import httpx

    from shucang.api.app import create_app
    from shucang.plan import monitor
    from shucang.settings import Settings
    from shucang.web.memo import forget

    app = create_app(Settings.load(home))
    wh = app.state.warehouse

    async def measure() -> tuple[list[float], list[float]]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            await client.get("/")
            cold, warm = [], []
            for _ in range(runs):
                forget(app.state)
                t = time.perf_counter()
                r = await client.get("/", headers={"accept": "text/html"})
                cold.append(time.perf_counter() - t)
                assert r.status_code == 200
                t = time.perf_counter()
                await client.get("/", headers={"accept": "text/html"})
                warm.append(time.perf_counter() - t)
            return cold, warm

    cold, warm = asyncio.run(measure())
    engine = []
    for _ in range(runs):
        t = time.perf_counter()
        monitor.plan_status(wh)
        engine.append(time.perf_counter() - t)
    wh.close()
    c, w, e = (statistics.median(x) * 1000 for x in (cold, warm, engine))
    print(f"server  overview HTML cold  median {c:7.1f} ms  p95 {sorted(cold)[int(0.95 * len(cold)) - 1] * 1000:7.1f} ms"
          f"  (goal < 100 ms: {'OK' if c < 100 else 'MISSED'})")
    print(f"server  overview HTML warm  median {w:7.1f} ms")
    print(f"server  baseline plan_status median {e:7.1f} ms  → page / engine ratio cold {c / e:.2f}×, warm {w / e:.2f}×")


def browser_side(home: Path, runs: int) -> None:
    if not CHROMIUM.exists():
        print("browser skipped: /usr/bin/chromium not found (apt-get install chromium)")
        return
    from playwright.sync_api import sync_playwright

    with serve_home(home, ready_path="/") as base:  # the first page also warms the server
        loads, drawn, twin = [], [], []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
            for _ in range(runs):
                ctx = browser.new_context(viewport={"width": 1440, "height": 900})
                page = ctx.new_page()
                t = time.perf_counter()
                page.goto(base + "/", wait_until="load")
                loads.append(time.perf_counter() - t)
                page.wait_for_function("() => Array.from(document.querySelectorAll('[data-chart]'))"
                                       ".every(e => e.dataset.drawn === '1')")
                drawn.append(time.perf_counter() - t)
                ctx.close()
                ctx = browser.new_context()
                page = ctx.new_page()
                t = time.perf_counter()
                page.goto(base + "/?format=json", wait_until="load")
                twin.append(time.perf_counter() - t)
                ctx.close()
            browser.close()
    lo, dr, tw = (statistics.median(x) * 1000 for x in (loads, drawn, twin))
    print(f"browser overview load event  median {lo:7.1f} ms; charts drawn median {dr:7.1f} ms"
          f"  (goal < 1500 ms: {'OK' if dr < 1500 else 'MISSED'})")
    print(f"browser baseline JSON twin   median {tw:7.1f} ms  → page / JSON ratio {dr / tw:.2f}×")


def main() -> None:
    warnings.simplefilter("ignore")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.1, help="demo warehouse scale (1.0 = full demo)")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        t = time.perf_counter()
        build(home, args.scale)
        print(f"demo warehouse scale {args.scale} built in {time.perf_counter() - t:.1f} s")
        server_side(home, args.runs)
        browser_side(home, max(3, args.runs // 4))


if __name__ == "__main__":
    main()
