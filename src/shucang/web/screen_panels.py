"""The big screen's panels from the brains: the industry brain (产业大脑) and the city brain (城市大脑).

Each stage exposes ``screen_panel(wh)`` with its own figures at public level (aggregates only, small
groups suppressed); this module turns them into the wall's panel shape ``{"id", "title", "figures":
[{"label", "value"}], "chart", "href", "note"}`` and remembers them for a minute per data state, since
the economy panel recomputes the county overview. Words come from the cockpit's catalogue, so the
English wall stays English.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from typing import Any

from shucang.errors import ShucangError
from shucang.warehouse import Warehouse
from shucang.web.i18n import gettext
from shucang.web.labels import code_label

log = logging.getLogger("shucang.web")
PanelMaker = Callable[[Warehouse, str], dict[str, Any] | None]
CACHE_SECONDS = 60.0
"""How long a panel is reused: the wall refreshes every 30 s, the data change at most hourly."""


UNIT = re.compile(r"[（(][^)）]*[)）]")
"""A measure's unit in brackets (工业总产值(万元)): the wall shows growth rates, so the unit goes."""


def _pct(value: Any) -> str:
    return "–" if value is None else f"{float(value):+.1f}%"


def economy_panel(wh: Warehouse, lang: str) -> dict[str, Any] | None:
    """The first two headline cumulative YoY figures of the bound monthly reports; the period and watch alerts in the note
    (figures only: a slot under the map has no room for a chart readable from 5 m)."""
    from shucang.economy.monitor import screen_panel

    data = screen_panel(wh)
    if not data.get("available"):
        return None
    _ = lambda s: gettext(lang, s)  # noqa: E731
    figures = [{"label": UNIT.sub("", str(k["label"])), "value": _pct(k["yoy_pct"])} for k in data.get("kpis", [])[:2]]
    alerts = int(data.get("alerts", {}).get("total", 0))
    note = f"{data.get('period', '')} · {_('Watch alerts')} {alerts:,}"
    return {"id": "economy", "title": _("Industrial economy"), "figures": figures, "chart": None,
            "href": "/economy", "note": note}


def city_panel(wh: Warehouse, lang: str) -> dict[str, Any] | None:
    """Open alerts by level; the number of signs and where alerts gather in the note."""
    from shucang.city.board import screen_panel

    data = screen_panel(wh)
    signs = data.get("signs") or {}
    if not signs:
        return None
    _ = lambda s: gettext(lang, s)  # noqa: E731
    alerts = data.get("alerts") or {}
    figures = [
        {"label": _("Red alerts"), "value": f"{int(alerts.get('red', 0)):,}"},
        {"label": _("Yellow alerts"), "value": f"{int(alerts.get('yellow', 0)):,}"},
    ]
    towns = [t["town"] for t in data.get("hot_towns", []) if t.get("red") or t.get("yellow")][:2]
    count = f"{_('Signs')} {sum(int(v) for v in signs.values()):,}"
    note = f"{count} · {_('Most alerts')}: {'、'.join(towns)}" if towns else f"{count} · {code_label('ok', lang)}"
    return {"id": "city", "title": _("City vital signs"), "figures": figures, "chart": None,
            "href": "/city", "note": note}


PANELS: tuple[tuple[str, PanelMaker], ...] = (("economy", economy_panel), ("city", city_panel))
"""The wall's extra panels, in order (add a stage's panel here)."""


def screen_panels(wh: Warehouse, lang: str, state: Any) -> list[dict[str, Any]]:
    """Every panel that has data, reused for :data:`CACHE_SECONDS` (kept on the app's state object)."""
    cache: dict[tuple[str, str], tuple[float, dict[str, Any] | None]] = getattr(state, "screen_panels", None) or {}
    now = time.monotonic()
    out: list[dict[str, Any]] = []
    for name, make in PANELS:
        hit = cache.get((name, lang))
        if hit is None or now - hit[0] > CACHE_SECONDS:
            try:
                hit = (now, make(wh, lang))
            except ShucangError as exc:  # one stage's problem never blanks the wall
                log.warning("screen panel %s left out: %s", name, exc)
                hit = (now, None)
            cache[(name, lang)] = hit
        if hit[1]:
            out.append(hit[1])
    if state is not None:
        state.screen_panels = cache
    return out
