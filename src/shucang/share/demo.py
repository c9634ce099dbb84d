"""Demo identities for the synthetic warehouse: an admin, a steward per demo department, two consumers.

Passwords are random per run and returned once (``shucang demo`` prints them, labelled as demo
accounts); nothing here is a real person's account.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from shucang.errors import Conflict
from shucang.share.identity import create_user, set_password

if TYPE_CHECKING:
    from shucang.warehouse import Warehouse

DEMO_DEPARTMENTS = {
    "gaj": "市公安局", "scjgj": "市市场监督管理局", "jxj": "市经济和信息化局", "tjj": "市统计局",
    "swj": "市商务局", "sjj": "市大数据发展管理局", "xfj": "市信访局（12345）", "kjj": "市科学技术局",
}
NOTE = "演示账户，仅用于合成演示数据 (demo account for the synthetic demo warehouse)"


def demo_identities() -> list[dict[str, Any]]:
    """The accounts :func:`seed_demo_identities` creates (without passwords)."""
    people: list[dict[str, Any]] = [{"name": "admin", "role": "admin", "department": "sjj",
                                     "display_name": "系统管理员（演示）", "kind": "person"}]
    for code, label in DEMO_DEPARTMENTS.items():
        people.append({"name": f"steward_{code}", "role": "steward", "department": code,
                       "display_name": f"{label}数据管理员（演示）", "kind": "person"})
    people.append({"name": "analyst_fgj", "role": "consumer", "department": "fgj",
                   "display_name": "市发展和改革局分析员（演示）", "kind": "person"})
    people.append({"name": "app_screen", "role": "consumer", "department": "sjj",
                   "display_name": "大屏应用（演示）", "kind": "app"})
    return people


def seed_demo_identities(wh: Warehouse, *, password: str | None = None, reset: bool = True) -> list[dict[str, Any]]:
    """Create the demo accounts; returns them with their passwords (shown once, never stored in clear).

    ``password`` gives every account the same password (tests); by default each gets a random one.
    Existing accounts get a new password when ``reset`` (so the printed list always works).
    """
    for code, label in {**DEMO_DEPARTMENTS, "fgj": "市发展和改革局"}.items():
        wh.ensure_department(code, label)
    out = []
    for person in demo_identities():
        secret = password or secrets.token_urlsafe(12)
        try:
            create_user(wh, person["name"], role=person["role"], department=person["department"],
                        password=secret, display_name=person["display_name"], kind=person["kind"])
        except Conflict:
            if not reset:
                out.append({**person, "password": None, "note": NOTE})
                continue
            set_password(wh, person["name"], secret)
        out.append({**person, "password": secret, "note": NOTE})
    return out


DEMO_OPEN = ("smart_factories", "high_tech_enterprises", "base_stations_5g")
"""Demo datasets about legal persons and infrastructure opened by the demo: 3 of 12 = 25%, below the
plan's 30% target for 2025, so the cockpit shows work still to do."""


def seed_demo_opendata(wh: Warehouse, datasets: tuple[str, ...] = DEMO_OPEN) -> list[str]:
    """Publish the demo's open candidates (level-1 columns, after the k-anonymity check); returns
    those published. A candidate that is missing or fails the checks is skipped, not forced."""
    from shucang.errors import ShucangError
    from shucang.share.access import Actor
    from shucang.share.opendata import publish

    operator = Actor(name="demo", role="admin", clearance=4, via="cli")
    published = []
    for name in datasets:
        try:
            publish(wh, operator, name)
        except ShucangError:
            continue
        published.append(name)
    return published
