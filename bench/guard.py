"""Cost of the door check (shucang.api.guard.Guard) on the API's hottest request, a remembered page.

Builds a small home, then times the same page read through the app with and without the Guard in
the same run and prints the ratio. Usage: ``python bench/guard.py [--requests N]``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any


def _home(root: Path) -> tuple[Path, str]:
    import pyarrow as pa

    from shucang.platform import open_warehouse
    from shucang.settings import Settings
    from shucang.share.identity import create_token, create_user
    from shucang.warehouse import IngestOptions

    home = root / "home"
    wh = open_warehouse(Settings.load(home))
    try:
        wh.ensure_department("gaj", "市公安局")
        table = pa.table({"town": [f"镇{i % 7}" for i in range(5000)], "n": list(range(5000))})
        wh.ingest_arrow(table, IngestOptions(dataset="t", department="gaj", mode="replace", synthetic=True))
        create_user(wh, "admin", role="admin", department="gaj", password="correct-horse-battery")
        token = create_token(wh, "admin", label="bench")[1]
    finally:
        wh.close()
    return home, token


def _app(home: Path, guarded: bool) -> Any:
    from shucang.api.app import create_app
    from shucang.api.guard import Guard
    from shucang.settings import Settings
    from shucang.share.ratelimit import RateLimiter

    app = create_app(Settings.load(home))
    if not guarded:
        app.user_middleware = [m for m in app.user_middleware if m.cls is not Guard]
    app.state.api_rate_limiter = RateLimiter(10**9)
    return app


def _time(app: Any, token: str, n: int) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    url = '/api/v1/datasets/t/rows?limit=50&filter={"column":"town","op":"=","value":"镇3"}'
    with TestClient(app) as client:
        headers = {"Authorization": f"Bearer {token}"}
        for _ in range(50):
            assert client.get(url, headers=headers).status_code == 200
        start = time.perf_counter()
        for _ in range(n):
            client.get(url, headers=headers)
        return (time.perf_counter() - start) / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home, token = _home(Path(tmp))
        results = {}
        for guarded in (False, True, False, True):
            app = _app(home, guarded)
            try:
                results.setdefault(guarded, []).append(_time(app, token, args.requests))
            finally:
                app.state.warehouse.close()
    base, guard = min(results[False]), min(results[True])
    print(f"remembered page, in-process client: without guard {base * 1e3:.3f} ms, with guard {guard * 1e3:.3f} ms "
          f"per request — ratio {guard / base:.2f}×")


if __name__ == "__main__":
    main()
