"""The cockpit's menu: one list of pages, grouped by audience, filtered by who is looking.

Three audiences use the cockpit: leaders (领导驾驶舱: plan progress, the big screen), the people who
govern the data (数据治理: warehouse, security, requests, audit) and the public (公共数据开放). Each
page is registered here once with who may see it; a reader is never shown a link that would answer
403 (the same ``allowed`` check the page itself makes). Other stages' pages (economy, city) are
added by appending to :data:`GROUPS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shucang.web.i18n import N_, gettext


@dataclass(frozen=True)
class NavItem:
    href: str
    key: str
    """The ``active`` key a page passes to ``render.page``."""
    label: str
    """English msgid."""
    who: str = "all"
    """``all`` · ``signed-in`` · ``signed-out`` · a permission (``audit:view``) checked with ``allowed``."""


@dataclass(frozen=True)
class NavGroup:
    key: str
    label: str
    items: tuple[NavItem, ...]


GROUPS: list[NavGroup] = [
    NavGroup("cockpit", N_("Leaders' cockpit"), (
        NavItem("/", "overview", N_("Overview")),
        NavItem("/indicators", "indicators", N_("Indicators")),
        NavItem("/zones", "zones", N_("Zones")),
        NavItem("/tasks", "tasks", N_("Tasks & projects")),
        NavItem("/economy", "economy", N_("Economy")),
        NavItem("/city", "city", N_("City brain")),
        NavItem("/screen", "screen", N_("Big screen")),
    )),
    NavGroup("governance", N_("Data governance"), (
        NavItem("/warehouse", "warehouse", N_("Warehouse")),
        NavItem("/upload", "upload", N_("Upload"), "dataset:upload"),
        NavItem("/security", "security", N_("Security")),
        NavItem("/requests", "requests", N_("Requests"), "signed-in"),
        NavItem("/access", "access", N_("My data"), "signed-in"),
        NavItem("/tokens", "tokens", N_("API tokens"), "token:view"),
        NavItem("/audit", "audit", N_("Audit"), "audit:view"),
    )),
    NavGroup("open", N_("Public data"), (
        NavItem("/opendata", "opendata", N_("Open data")),
        NavItem("/login", "login", N_("Log in"), "signed-out"),
    )),
]
"""Every page in the menu, in order (register a new page here)."""


def _visible(item: NavItem, actor: Any) -> bool:
    signed_in = bool(getattr(actor, "is_authenticated", False))
    if item.who == "all":
        return True
    if item.who == "signed-in":
        return signed_in
    if item.who == "signed-out":
        return not signed_in
    if not signed_in:
        return False
    from shucang.share.access import Resource, allowed

    if item.who == "audit:view" and getattr(actor, "role", None) == "steward":
        return allowed(actor, item.who, Resource("audit", department=actor.department))
    if item.who.startswith("token:"):
        return allowed(actor, item.who, Resource("token", owner=actor.name))
    return allowed(actor, item.who)


def menu(actor: Any, active: str, lang: str) -> list[dict[str, Any]]:
    """The groups this reader may see, with their visible items and which one holds the current page."""
    out = []
    for group in GROUPS:
        items = [{"href": i.href, "key": i.key, "label": gettext(lang, i.label), "current": i.key == active}
                 for i in group.items if _visible(i, actor)]
        if items:
            out.append({"key": group.key, "label": gettext(lang, group.label), "href": items[0]["href"],
                        "items": items, "current": any(i["current"] for i in items)})
    if out and not any(g["current"] for g in out):
        out[0]["current"] = True
    return out
