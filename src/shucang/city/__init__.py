"""City stage (城市大脑): vital signs over warehouse data, the alert lifecycle, notifications, and the
12345 event loop. The library API the front ends call (documented in docs/city.md)::

    load_signs(home) -> dict[str, Sign]            add_sign(home, values) -> Sign
    evaluate(wh, *, dataset=None, sign_ids=None) -> list[Outcome]
    board(wh, *, viewer=None) -> list[dict]        screen_panel(wh) -> dict   # for /screen
    list_alerts(wh, *, status="open", viewer=None) / alert_detail(wh, id, viewer=None)
    acknowledge / dispatch / record_handling / close (wh, id, actor, …)
    add_webhook(wh, url, department=None) / deliver(wh)
    event_loop(wh) -> dict                          # 12345 全畅通
    city_after_ingest(wh, result)                  # after-ingest hook: evaluate that dataset's signs
"""

from __future__ import annotations

from shucang.reexports import lazy_exports

_EXPORTS = {
    "Sign": "model", "History": "model", "load_signs": "definitions", "add_sign": "definitions",
    "find_sign": "definitions", "parse_signs": "definitions", "evaluate": "evaluate",
    "evaluate_signs": "evaluate", "board": "board", "screen_panel": "board", "list_alerts": "alerts",
    "alert_detail": "alerts", "acknowledge": "alerts", "dispatch": "alerts", "record_handling": "alerts",
    "close": "alerts", "add_webhook": "notify", "list_webhooks": "notify", "deliver": "notify",
    "event_loop": "hotline_loop", "city_after_ingest": "hooks",
}

__getattr__ = lazy_exports(__name__, _EXPORTS)


__all__ = sorted(_EXPORTS)
