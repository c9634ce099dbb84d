"""Wiring of the stages into one warehouse object for the front ends (CLI, API, web).

The warehouse stage cannot import the stages above it, so work that must follow every ingest
(classification, plan metrics) is passed in here as hooks. This is the only module that knows every
stage; it imports them inside functions so that opening a warehouse stays cheap.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shucang.settings import Settings
from shucang.warehouse import Warehouse

DemoProgress = Callable[[str, int, int], None]


def _after_ingest_hooks() -> list[Any]:
    """Classification first (grades gate every later use), then the plan metrics that read the data."""
    from shucang.city.hooks import city_after_ingest
    from shucang.classify.store import classify_after_ingest
    from shucang.economy.hooks import economy_after_ingest
    from shucang.plan.hooks import plan_after_ingest

    return [
        classify_after_ingest,
        plan_after_ingest,
        economy_after_ingest,
        city_after_ingest,
    ]


def open_warehouse(settings: Settings) -> Warehouse:
    """Open (creating on first use) the warehouse with every stage's after-ingest hooks."""
    return Warehouse.open(settings, after_ingest=_after_ingest_hooks())


def classification_checks(wh: Warehouse, *, dataset: str | None = None, repair: bool = False) -> list[Any]:
    """Current versions that were never classified (an ingest killed between its commit and its
    classification hook): reported, and classified with ``repair``. Until then only admins see their
    values (the cockpit shows no examples; reads classify before they release)."""
    from shucang.classify.store import classify_dataset, stored_classification
    from shucang.warehouse.checks import CheckResult

    out: list[Any] = []
    for info in ([wh.dataset(dataset)] if dataset else wh.list_datasets()):
        if info.current_version is None or stored_classification(wh, info.name, info.current_version) is not None:
            continue
        if repair:
            classify_dataset(wh, info.name, version=info.current_version)
            out.append(CheckResult(info.name, "classification", "repaired",
                                   f"已分类分级版本 {info.current_version} (classified version {info.current_version})"))
        else:
            out.append(CheckResult(info.name, "classification", "warn",
                                   f"版本 {info.current_version} 未分类分级，仅管理员可见 (version "
                                   f"{info.current_version} not classified: admins only); run `shucang check --repair`"))
    return out


def _save_demo_accounts(wh: Warehouse, accounts: list[dict[str, Any]]) -> str:
    """Write the demo log-ins to a 0600 file in the home and say where (passwords differ per build)."""
    path = wh.settings.home / "demo-accounts.txt"
    lines = ["# 演示账户，仅用于合成演示数据 (demo accounts for the synthetic demo warehouse)",
             "# name\trole\tdepartment\tpassword"]
    lines += [f"{a.get('name')}\t{a.get('role')}\t{a.get('department') or '-'}\t{a.get('password')}" for a in accounts]
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    admin = next((a for a in accounts if a.get("role") == "admin"), accounts[0])
    return (f"演示账户 (demo accounts) → {path}  e.g. 登录 login: {admin.get('name')} / {admin.get('password')}")


def build_demo_warehouse(wh: Warehouse, *, scale: float = 1.0,
                         progress: DemoProgress | None = None) -> dict[str, Any]:
    """Generate the synthetic Cixi warehouse, then seed the plan values and demo identities."""
    from shucang.demo import build_demo
    from shucang.demo.design import OPEN_DATASETS
    from shucang.plan.demo import seed_demo_plan
    from shucang.share.demo import seed_demo_identities, seed_demo_opendata

    results = build_demo(wh, scale=scale, progress=progress)
    notes: list[str] = []
    accounts = [a for a in seed_demo_identities(wh) or [] if isinstance(a, dict)]
    if accounts:
        notes.append(_save_demo_accounts(wh, accounts))
    published = seed_demo_opendata(wh, OPEN_DATASETS)
    notes.append(f"开放数据 (open data): {', '.join(published) or '-'}")
    seed_demo_plan(wh)  # after publishing: 公共数据开放率 is computed from the live catalog
    notes.append("规划指标已计算 (plan indicators computed from the demo data)")
    from shucang.city.evaluate import evaluate

    states = [o.state for o in evaluate(wh)]  # the ingests evaluated their signs already: this finds the rest
    notes.append("城市体征 (city signs): " + ", ".join(f"{s} {states.count(s)}" for s in sorted(set(states))))
    return {"datasets": len(results), "rows": sum(r.rows_loaded for r in results), "notes": notes}


def prepare_stage_tables(settings: Settings) -> None:
    """Create or migrate every stage's catalog tables (and the master key) once, then close: the
    server runs this in the parent before its workers fork (see ``shucang.api.server.prepare_home``)."""
    from shucang.classify.store import ensure_tables as classify_tables
    from shucang.plan.store import ensure_plan_schema
    from shucang.protect.keys import load_keyring
    from shucang.protect.tables import ensure_tables as protect_tables
    from shucang.share.tables import ensure_tables as share_tables

    wh = open_warehouse(settings)
    try:
        share_tables(wh.engine)
        protect_tables(wh.engine)
        # The master key is made on first use; workers making it at once would each write their own.
        load_keyring(settings)
        classify_tables(wh)
        ensure_plan_schema(wh.engine)
    finally:
        wh.close()  # disposes the engine: no SQLite handle crosses the fork
