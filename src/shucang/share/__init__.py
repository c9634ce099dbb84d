"""Share stage: the one door through which data leaves the warehouse.

Identities and API tokens (``identity``), the one permission check (``access.allowed``), the
request/approval workflow and grants (``grants``), governed reads (``reads`` over ``query``), the
hash-chained audit log (``audit``) and the open-data portal (``opendata``). Other stages call:

- ``record_event(wh, actor, action, **details)`` — append to the audit chain;
- ``open_data_rate(wh)`` — 公共数据开放率, live from the catalog;
- ``allowed(actor, action, resource)`` / ``Actor`` — the permission model.
"""

from __future__ import annotations

from shucang.share.access import PUBLIC, Actor, Resource, allowed, require
from shucang.share.audit import record_event
from shucang.share.opendata import open_data_rate

__all__ = ["PUBLIC", "Actor", "Resource", "allowed", "open_data_rate", "record_event", "require"]
