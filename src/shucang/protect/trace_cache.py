"""What a trace reads besides the leaked file, kept per process so that many traces pay for it once.

A single ``shucang trace`` needs none of this, but a server or a benchmark that traces thousands of
files used to re-read the key file and re-derive a thousand recipients' keys, re-parse every registry
row's JSON, and re-read and re-index the source dataset for every file. Each cache below is keyed so
that a change cannot be missed:

* **key ring** — by the SHA-256 of the key file's bytes and of ``$SHUCANG_MASTER_KEY`` (read on every
  trace; a rotated or restored key file is a new ring). The ring keeps its derived keys.
* **registry rows** — the ids of the candidate rows are read from the catalog on every trace; only the
  parsed rows are kept, by extract id (random, never reused). What a trace reads from a row (recipient,
  dataset, version, columns, marks, key id) is never changed after it is written.
* **recipients** — read on every trace (id and name only: one small query).
* **sources** — by (catalog, dataset, version, the version's Delta version and commit time), so a new
  version or a re-created dataset is a new entry; at most :data:`MAX_SOURCES_KEPT` are held.

Secrets stay in memory only; nothing here is written to disk or to the catalog.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from shucang.protect.keys import ENV_VAR, KEY_FILE, KeyRing, load_keyring
from shucang.protect.registry import ExtractRecord, extract_ids, extracts_by_id
from shucang.protect.source_index import SourceIndex
from shucang.protect.tables import ensure_tables, recipients

if TYPE_CHECKING:
    from shucang.warehouse import Warehouse

MAX_SOURCES_KEPT = 2
MAX_RINGS_KEPT = 8

_lock = threading.Lock()
_rings: OrderedDict[bytes, KeyRing] = OrderedDict()
_records: dict[tuple[str, str], dict[str, ExtractRecord]] = {}
_sources: OrderedDict[tuple[Any, ...], SourceIndex] = OrderedDict()


def catalog_key(wh: Warehouse) -> tuple[str, str]:
    """Which catalog a warehouse talks to: its home and the engine's URL (password hidden)."""
    return str(wh.settings.home), wh.engine.url.render_as_string(hide_password=True)


def keyring(settings: Any) -> KeyRing:
    """The warehouse's key ring, reused while the key file and the environment key are unchanged."""
    environment = os.environ.get(ENV_VAR, "").strip()
    try:
        content = (settings.keys_dir / KEY_FILE).read_bytes()
    except FileNotFoundError:
        if not environment:
            return load_keyring(settings)  # creates the first key
        content = b""  # the key comes from the environment alone
    except OSError:
        return load_keyring(settings)  # raises a StorageError with a hint
    stamp = hashlib.sha256(content + b"\x00" + environment.encode()).digest()
    with _lock:
        found = _rings.get(stamp)
        if found is not None:
            _rings.move_to_end(stamp)
            return found
    found = load_keyring(settings)
    with _lock:
        _rings[stamp] = found
        while len(_rings) > MAX_RINGS_KEPT:
            _rings.popitem(last=False)
    return found


def recipient_slots(wh: Warehouse) -> dict[int, str]:
    """Slot → name of every recipient (disabled ones too: their old copies stay traceable)."""
    ensure_tables(wh.engine)
    with wh.engine.connect() as conn:  # plain SQL: a thousand rows without ORM-style row processing
        rows = conn.exec_driver_sql(f"SELECT id, name FROM {recipients.name}").fetchall()
    return {int(slot): name for slot, name in rows}


def candidate_extracts(wh: Warehouse, dataset: str | None) -> list[ExtractRecord]:
    """Registry rows (of ``dataset``, or all), newest first — like ``list_extracts``, parsing new rows only."""
    ids = extract_ids(wh, dataset=dataset)
    catalog = catalog_key(wh)
    with _lock:
        known = _records.setdefault(catalog, {})
        missing = [i for i in ids if i not in known]
    if missing:
        found = extracts_by_id(wh, missing)
        with _lock:
            known.update(found)
    return [known[i] for i in ids if i in known]


def source_index(wh: Warehouse, dataset: str, version: int | None) -> SourceIndex:
    """The source rows of ``dataset`` at ``version`` (None: current), indexed for linkage."""
    wanted = wh.dataset(dataset).current_version if version is None else version
    row = next((v for v in wh.versions(dataset) if v.version == wanted), None)
    stamp = (
        catalog_key(wh),
        str(wh.table_location(dataset)),
        dataset,
        wanted,
        None if row is None else row.delta_version,
        None if row is None else row.created_at,
    )
    with _lock:
        found = _sources.get(stamp)
        if found is not None:
            _sources.move_to_end(stamp)
            return found
    found = SourceIndex(wh.read_arrow(dataset, wanted))  # NotFound for a version that is gone
    with _lock:
        _sources[stamp] = found
        while len(_sources) > MAX_SOURCES_KEPT:
            _sources.popitem(last=False)
    return found


def clear() -> None:
    """Forget everything kept here (tests; a process that wants its memory back). The decoy digest
    prefixes are dropped by :func:`shucang.protect.decoy_lookup.forget`."""
    with _lock:
        _rings.clear()
        _records.clear()
        _sources.clear()
