"""The decoy index: keyed digests of decoy cells in the registry, and the decoy evidence of a trace.

Issuing an extract with decoys stores, per identifying cell of every decoy row, a 128-bit keyed
digest of its normalised value (PRF under a warehouse key per key id, :mod:`shucang.protect.keyed_hash`)
and the *bits* of keyed randomness that went into it — never the value. Tracing digests every cell
of the leaked file the same way and looks the digests up.

**The bound.** A decoy δ's random components (sequence number, phone digits, address digits, name
parts) were drawn independently of any file that did not come from its extract; a component with
``b`` bits hits any fixed value with probability ≤ 2⁻ᵇ. For one leaked row ℓ and one decoy with m
registered cells, the chance that ℓ agrees with δ on a set S of cells is ≤ ∏_{c∈S} n_c·2^{−b_c},
where n_c counts the values of ℓ that could hold cell c (same shape: ID-like, mobile-like, name-like,
or the same digit skeleton). Summing over the 2^m subsets, each of the L·d (leaked row, decoy) pairs
is a super-uniform variable U = 2^m·∏ n_c·2^{−b_c}. For j matched decoys (distinct rows) with
product P = ∏ U_i, the chance of an innocent file doing as well is at most
C(L·d, j) · P · Σ_{i<j} (−ln P)^i / i! (the tail of a product of j independent uniforms), minimised
over j ≤ 5 and multiplied by 5. The trace then multiplies by the number of hypotheses (every
extract with decoys) — the same Bonferroni rule as the other evidence.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from shucang.protect.decoys import ID_VALUE, MOBILE_VALUE, Decoys
from shucang.protect.keyed_hash import keyed_u128_each
from shucang.protect.keys import KeyRing
from shucang.protect.leakfile import normalise_text
from shucang.protect.registry import ExtractRecord
from shucang.protect.tables import decoys as decoy_table
from shucang.protect.tables import ensure_tables

MAX_DECOYS_USED = 5
_CHUNK = 500


def index_key(ring: KeyRing, key_id: str) -> bytes:
    return ring.derive(key_id, "decoy-index")


def normalise_cells(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """The form digested on both sides: the trace's normalised text, upper-cased (``x`` check digits)."""
    return pc.utf8_upper(normalise_text(values))


def digests(values: pa.Array, key: bytes) -> list[str | None]:
    hi, lo = keyed_u128_each(values, key)
    return [None if h is None else f"{h:016x}{low:016x}" for h, low in zip(hi.to_pylist(), lo.to_pylist(), strict=True)]


def shape_of(value: str) -> str:
    """The class of values a decoy cell could be confused with inside one leaked row."""
    if re.fullmatch(ID_VALUE, value):
        return "id"
    if re.fullmatch(MOBILE_VALUE, value):
        return "mobile"
    if not re.search(r"[0-9]", value):
        return "name" if 2 <= len(value) <= 4 else "text:" + str(len(value))
    return "skeleton:" + re.sub(r"[0-9]", "#", re.sub(r"[^0-9]", ".", value))


def decoy_entries(decoys: Decoys, out: pa.Table, usable: set[str], ring: KeyRing, key_id: str,
                  extract_id: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Registry rows for the decoys of a released table (``usable``: columns output as stored or
    pseudonymised — a lossy mask leaves nothing to match) and a summary for the extract's marks."""
    key = index_key(ring, key_id)
    rows: list[dict[str, Any]] = []
    kept = [0] * decoys.count
    bits = [0.0] * decoys.count
    positions = pa.array(decoys.positions)
    for column in out.column_names:
        if column not in usable or not any(column in cells for cells in decoys.cells):
            continue
        # One normalisation and one batch of digests per column, over the decoy rows only.
        found = digests(normalise_cells(out.column(column).take(positions)), key)
        for number, (digest, cells) in enumerate(zip(found, decoys.cells, strict=True)):
            components = cells.get(column)
            if digest is None or not components:
                continue
            rows.append({"extract_id": extract_id, "decoy": number, "column": column, "digest": digest,
                         "key_id": key_id, "components": {f"{column}/{k}": round(v, 3) for k, v in components.items()}})
            kept[number] += 1
            bits[number] += sum(components.values())
    summary = {"count": decoys.count, "registered_cells": len(rows), "max_cells": max(kept, default=0),
               "columns": sorted({r["column"] for r in rows}),
               "bits_min": round(min(bits), 1) if bits else 0.0,
               "bits_median": round(float(np.median(bits)), 1) if bits else 0.0}
    return rows, summary


def record_decoys(wh: Any, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    ensure_tables(wh.engine)
    with wh.engine.begin() as conn:
        conn.execute(decoy_table.insert(), rows)


def _lookup(wh: Any, wanted: list[str]) -> list[Any]:
    ensure_tables(wh.engine)
    found: list[Any] = []
    with wh.engine.connect() as conn:
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start:start + _CHUNK]
            found += conn.execute(sa.select(decoy_table).where(decoy_table.c.digest.in_(chunk))).all()
    return found


def _log_tail(log_p: float, j: int) -> float:
    """ln of P(product of j independent uniforms ≤ e^log_p) = e^log_p · Σ_{i<j} (−log_p)^i / i!."""
    if log_p >= 0:
        return 0.0
    terms = [i * math.log(-log_p) - math.lgamma(i + 1) for i in range(j)]
    top = max(terms)
    return min(0.0, log_p + top + math.log(math.fsum(math.exp(t - top) for t in terms)))


def decoy_p_value(pair_bits: list[float], leak_rows: int, decoys: int) -> tuple[float, int]:
    """The bound for the strongest ``j`` matched decoys (``pair_bits``: −log₂ U per matched decoy)."""
    best, best_j = 1.0, 0
    ordered = sorted(pair_bits, reverse=True)[:MAX_DECOYS_USED]
    pairs = max(1, leak_rows * max(decoys, 1))
    for j in range(1, len(ordered) + 1):
        log_u = -sum(ordered[:j]) * math.log(2)
        log_choose = math.lgamma(pairs + 1) - math.lgamma(j + 1) - math.lgamma(pairs - j + 1) if j <= pairs else -math.inf
        p = math.exp(min(0.0, log_choose + _log_tail(log_u, j)))
        if p < best:
            best, best_j = p, j
    return min(1.0, best * MAX_DECOYS_USED), best_j


def decoy_evidence(wh: Any, leak: pa.Table, ring: KeyRing, candidates: list[ExtractRecord],
                   null_extracts: int = 0) -> tuple[list[dict[str, Any]], int]:
    """Findings (one per extract whose decoys the file contains) and the hypotheses tested."""
    with_decoys = {r.id: r for r in candidates if ((r.marks or {}).get("decoys") or {}).get("count")}
    hypotheses = len(with_decoys) + (null_extracts if with_decoys else 0)
    if not with_decoys or leak.num_rows == 0:
        return [], hypotheses
    columns = {name: normalise_cells(leak.column(name)) for name in leak.column_names}
    findings: list[dict[str, Any]] = []
    # digest -> [(column, dictionary index)], per key id
    rows_of: dict[str, list[tuple[str, int]]] = defaultdict(list)
    wanted: set[str] = set()
    encoded = {name: pc.dictionary_encode(values) for name, values in columns.items()}
    for key_id in ring.key_ids:
        key = index_key(ring, key_id)
        for name, enc in encoded.items():
            dictionary = enc.dictionary
            if len(dictionary) == 0:
                continue
            for i, digest in enumerate(digests(dictionary, key)):
                if digest is not None:
                    rows_of[digest].append((name, i))
                    wanted.add(digest)
    matches = [m for m in _lookup(wh, sorted(wanted)) if m.extract_id in with_decoys]
    if not matches:
        return [], hypotheses
    indices = {name: enc.indices.to_numpy(zero_copy_only=False) for name, enc in encoded.items()}
    leak_values = {name: values.to_pylist() for name, values in columns.items()}
    # (extract, decoy, leaked row) -> {component: bits}, with the shape multiplicity of each cell
    pairs: dict[tuple[str, int, int], dict[str, float]] = defaultdict(dict)
    for match in matches:
        for name, dict_index in rows_of[match.digest]:
            for row in np.flatnonzero(indices[name] == dict_index).tolist():
                value = leak_values[name][row]
                shape = shape_of(value)
                same = sum(1 for other in leak_values if leak_values[other][row] is not None
                           and shape_of(leak_values[other][row]) == shape)
                comp = pairs[(match.extract_id, match.decoy, row)]
                for component, bits in (match.components or {}).items():
                    comp[component] = float(bits)
                comp[f"n:{match.column}"] = -math.log2(max(same, 1))
    by_extract: dict[str, dict[int, tuple[float, int]]] = defaultdict(dict)
    for (extract_id, decoy, row), comp in pairs.items():
        record = with_decoys[extract_id]
        m = int(record.marks["decoys"].get("max_cells") or len(comp))
        bits = sum(comp.values()) - m  # −log₂(2^m · ∏ n_c 2^{−b_c})
        current = by_extract[extract_id].get(decoy)
        if current is None or bits > current[0]:
            by_extract[extract_id][decoy] = (bits, row)
    for extract_id, per_decoy in by_extract.items():
        record = with_decoys[extract_id]
        chosen: list[float] = []
        seen_rows: set[int] = set()
        for bits, row in sorted(per_decoy.values(), reverse=True):
            if row not in seen_rows and bits > 0:
                seen_rows.add(row)
                chosen.append(bits)
        if not chosen:
            continue
        p, used = decoy_p_value(chosen, leak.num_rows, int(record.marks["decoys"]["count"]))
        findings.append({"kind": "decoy", "recipient": record.recipient, "extract_id": extract_id,
                         "dataset": record.dataset, "decoys_found": len(chosen), "decoys_used": used,
                         "bits": round(sum(sorted(chosen, reverse=True)[:used]), 1), "p_value": p})
    return findings, hypotheses
