"""Share stage: the one door through which data leaves the warehouse.

Identities and API tokens (``identity``), the one permission check (``access.allowed``), the
request/approval workflow and grants (``grants``), governed reads (``reads`` over ``query``), the
hash-chained audit log (``audit``) and the open-data portal (``opendata``). Other stages call:

- ``record_event(wh, actor, action, **details)`` — append to the audit chain;
- ``open_data_rate(wh)`` — 公共数据开放率, live from the catalog;
- ``allowed(actor, action, resource)`` / ``Actor`` — the permission model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shucang.reexports import lazy_exports

if TYPE_CHECKING:
    from shucang.share.access import PUBLIC, Actor, Resource, allowed, require
    from shucang.share.audit import record_event
    from shucang.share.opendata import open_data_rate

# Names are imported on first use (PEP 562): every audited CLI command imports ``share.access`` and
# ``share.audit``, and ``opendata`` loads DuckDB, which recording an event does not need.
_EXPORTS = {
    "PUBLIC": "access", "Actor": "access", "Resource": "access", "allowed": "access", "require": "access",
    "record_event": "audit", "open_data_rate": "opendata",
}

__getattr__ = lazy_exports(__name__, _EXPORTS)


__all__ = ["PUBLIC", "Actor", "Resource", "allowed", "open_data_rate", "record_event", "require"]
