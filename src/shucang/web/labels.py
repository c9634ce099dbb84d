"""One table from every code the cockpit shows to the label a reader sees (Chinese UI: Chinese).

Statuses, audit actions and outcomes, cadences, ingest modes, source formats, value sources, roles
and protection levels are stored as short English codes; pages, exports and error messages show them
through :func:`code_label` so the Chinese interface never shows ``pending`` or ``export``. The labels
are gettext msgids (translated in the ``.po`` file), so the English interface keeps English words.
Unknown codes are shown as they are (a new code is visible, never hidden).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from shucang.web.dictionary import column_label
from shucang.web.i18n import N_, gettext
from shucang.web.numbers import to_beijing

if TYPE_CHECKING:
    from shucang.warehouse import Warehouse

CODES: dict[str, str] = {
    # request workflow and grants
    "pending": N_("Pending"), "approved": N_("Approved"), "rejected": N_("Rejected"), "withdrawn": N_("Withdrawn"),
    "active": N_("Active"), "revoked": N_("Revoked"), "expired": N_("Expired"), "used": N_("Used"),
    # audit outcomes
    "ok": N_("OK"), "denied": N_("Denied"), "failed": N_("Failed"), "error": N_("Error"),
    "warn": N_("Warning"), "fail": N_("Failed"), "repaired": N_("Repaired"),
    # audit actions
    "login": N_("Log in"), "login.failed": N_("Failed log-in"), "logout": N_("Log out"), "read": N_("Read"),
    "export": N_("Export"), "aggregate": N_("Aggregate query"), "sql": N_("SQL query"),
    "request.create": N_("Request filed"), "request.approve": N_("Request approved"),
    "request.reject": N_("Request rejected"), "request.withdraw": N_("Request withdrawn"),
    "request.decide": N_("Request decision"), "grant.revoke": N_("Grant revoked"),
    "token.create": N_("API token created"), "token.revoke": N_("API token revoked"),
    "user.create": N_("User created"), "user.update": N_("User changed"),
    "open.publish": N_("Opened to the public"), "open.unpublish": N_("Withdrawn from open data"),
    "open.read": N_("Open data read"), "open.download": N_("Open data download"),
    # roles and account kinds
    "admin": N_("Administrator"), "steward": N_("Data steward"), "consumer": N_("Data user"),
    "public": N_("Public"), "person": N_("Person"), "app": N_("Application"),
    # cadence, ingest modes and formats
    "daily": N_("Daily"), "weekly": N_("Weekly"), "monthly": N_("Monthly"), "quarterly": N_("Quarterly"),
    "yearly": N_("Yearly"), "once": N_("Once"), "replace": N_("Replace"), "append": N_("Append"),
    "upsert": N_("Update or insert"), "arrow": N_("Arrow table (in memory)"), "csv": "CSV", "xlsx": "Excel",
    "xls": "Excel", "json": "JSON", "jsonl": N_("JSON lines"), "parquet": "Parquet",
    # value sources and series names
    "import": N_("Imported"), "set": N_("Entered"), "update": N_("Changed"), "delete": N_("Deleted"),
    "system": N_("System"), "metric": N_("Computed from data"), "compute": N_("Computed from data"),
    "revise": N_("Revised"),
    "synthetic": N_("Synthetic demo data"), "manual": N_("Entered by hand"), "computed": N_("Computed from data"),
    "actual": N_("Actual"), "projection": N_("Projection"), "target": N_("Target"), "baseline": N_("Baseline"),
    # masking
    "grant": N_("Grant"), "open": N_("Open data"),
    "masked": N_("Masked"), "pseudonym": N_("Pseudonymised"), "dropped": N_("Left out"), "clear": N_("In clear"),
}
"""Code → English label msgid. The one place a code gets its words."""

LEVELS: dict[int, str] = {1: N_("Not sensitive"), 2: N_("Low sensitivity"), 3: N_("Moderately sensitive"),
                          4: N_("Sensitive")}
"""Protection levels as DB33/T 2351-2021 names them (L1 不敏感 · L2 低敏感 · L3 较敏感 · L4 敏感)."""


def code_label(code: Any, lang: str) -> str:
    """The reader's word for ``code`` (``pending`` → 待审批); an unknown code comes back as it is."""
    if code is None or code == "":
        return "–"
    text = str(code)
    msgid = CODES.get(text) or CODES.get(text.lower())
    if msgid is None and ":" in text:  # import:file.csv, metric:cloud_share → 导入（file.csv）
        head, rest = text.split(":", 1)
        if head in CODES:
            return f"{gettext(lang, CODES[head])}（{rest}）" if lang == "zh" else f"{gettext(lang, CODES[head])} ({rest})"
    if msgid is None and "." in text:  # e.g. request.* actions not listed: label the family
        msgid = CODES.get(text.split(".", 1)[0])
    return gettext(lang, msgid) if msgid else text


def level_label(level: Any, lang: str) -> str:
    """``L3 较敏感`` — the level number with its standard name."""
    try:
        number = int(level)
    except (TypeError, ValueError):
        return "–"
    name = LEVELS.get(number)
    return f"L{number} {gettext(lang, name)}" if name else f"L{number}"


def fmt_age(updated: Any, lang: str, now: datetime | None = None) -> str:
    """How long ago something was updated, in words: 今天更新 · 3 天前更新 · updated 2 days ago."""
    if isinstance(updated, str):
        try:
            updated = datetime.fromisoformat(updated.replace("Z", "+00:00"))
        except ValueError:
            return "–"
    if isinstance(updated, date) and not isinstance(updated, datetime):
        updated = datetime(updated.year, updated.month, updated.day)
    if not isinstance(updated, datetime):
        return "–"
    current = to_beijing(now or datetime.now().astimezone())
    days = (current.date() - to_beijing(updated).date()).days
    if days <= 0:
        return gettext(lang, "Updated today")
    if days == 1:
        return gettext(lang, "Updated yesterday")
    return gettext(lang, "Updated %(n)s days ago") % {"n": days}


_FILTER_OPS = {"=": "=", "==": "=", "eq": "=", "!=": "≠", "<>": "≠", "ne": "≠", "<": "<", "lt": "<", "<=": "≤",
               "le": "≤", ">": ">", "gt": ">", ">=": "≥", "ge": "≥"}
_FILTER_WORDS = {"in": N_("is one of"), "not in": N_("is none of"), "like": N_("matches"),
                 "not like": N_("does not match"), "is null": N_("is empty"), "is not null": N_("is not empty")}
"""Operators of the row filter language (``shucang.share.query``) as words."""


def describe_filter(spec: Any, lang: str, names: dict[str, str] | None = None) -> str:
    """A row filter as readable text (``镇街 = 周巷镇 且 年龄 ≥ 18``), never as escaped JSON."""
    names = names or {}
    word_and, word_or, word_not = (("且", "或", "非") if lang == "zh" else ("and", "or", "not"))
    if spec is None or spec == {} or spec == []:
        return "–"
    if isinstance(spec, list):
        return f" {word_and} ".join(describe_filter(s, lang, names) for s in spec)
    if not isinstance(spec, dict):
        return str(spec)
    for key, word in (("and", word_and), ("all", word_and), ("or", word_or), ("any", word_or)):
        if isinstance(spec.get(key), list):
            parts = [describe_filter(s, lang, names) for s in spec[key]]
            return "(" + f" {word} ".join(parts) + ")" if len(parts) > 1 else (parts[0] if parts else "–")
    if "not" in spec:
        return f"{word_not} ({describe_filter(spec['not'], lang, names)})"
    column = spec.get("column") or spec.get("col")
    if column is None and len(spec) == 1:  # {"town": "周巷镇"} shorthand
        column, value = next(iter(spec.items()))
        op = "="
    else:
        op = str(spec.get("op", "="))
        value = spec.get("value", spec.get("values"))
    label = names.get(str(column)) or column_label(str(column), lang)
    op = op.strip().lower()
    word = _FILTER_OPS.get(op) or (gettext(lang, _FILTER_WORDS[op]) if op in _FILTER_WORDS else op)
    if isinstance(value, list):
        shown = "、".join(str(v) for v in value) if lang == "zh" else ", ".join(str(v) for v in value)
        shown = f"[{shown}]"
    else:
        shown = "" if value is None else str(value)
    return re.sub(r"\s+", " ", f"{label} {word} {shown}").strip()


def display_names(wh: Warehouse) -> dict[str, str]:
    """Login id → display name of every account that has one."""
    from shucang.share.identity import list_users

    return {u.name: u.display_name for u in list_users(wh) if u.display_name}


def display_name(login: Any, names: dict[str, str]) -> str:
    """A person's display name (系统管理员（演示）) instead of the login id, when one is known."""
    if not login:
        return "–"
    return names.get(str(login)) or str(login)


SYSTEM_ACTORS = {"demo": N_("demo data"), "after-ingest": N_("computed after loading"),
                 "recompute": N_("recomputed"), "city": N_("city brain evaluation"),
                 "sources": N_("scheduled source run")}
"""What the cockpit itself did, by the part after ``system:``."""


def actor_label(actor: Any, lang: str) -> str:
    """Who did something: ``system:demo`` → 系统（demo）; a login id stays (pages map it to a display name)."""
    if not actor:
        return "–"
    text = str(actor)
    if text.startswith("system:"):
        what = SYSTEM_ACTORS.get(text.split(":", 1)[1])
        system = gettext(lang, "System")
        if what is None:
            return system
        return f"{system}（{gettext(lang, what)}）" if lang == "zh" else f"{system} ({gettext(lang, what)})"
    return text
