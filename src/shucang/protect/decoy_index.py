"""The decoy index: keyed digests of decoy cells in the registry, and the decoy evidence of a trace.

Issuing an extract with decoys stores, per identifying cell of every decoy row, a 128-bit keyed
digest of its normalised value (PRF under a warehouse key per key id, :mod:`shucang.protect.keyed_hash`)
and the *bits* of keyed randomness that went into it — never the value (the layout:
:mod:`shucang.protect.decoy_store`). Tracing digests every cell of the leaked file the same way and
looks the digests up (:mod:`shucang.protect.decoy_lookup`).

**The bound.** A decoy δ's random components (sequence number, phone digits, address digits, name
parts) were drawn independently of any file that did not come from its extract; a component with
``b`` bits hits any fixed value with probability ≤ 2⁻ᵇ. For one leaked row ℓ and one decoy with m
registered cells, the chance that ℓ agrees with δ on a set S of cells is ≤ ∏_{c∈S} n_c·2^{−b_c},
where n_c counts the values of ℓ that could hold cell c (same shape: ID-like, mobile-like, name-like,
or the same digit skeleton). Summing over the 2^m subsets, each of the L·d (leaked row, decoy) pairs
is a super-uniform variable U = 2^m·∏ n_c·2^{−b_c}. For j matched decoys (distinct rows) with
product P = ∏ U_i, the chance of an innocent file doing as well is at most
C(L·d, j) · P · Σ_{i<j} (−ln P)^i / i! (the tail of a product of j independent uniforms), minimised
over j ≤ 16 and multiplied by 16. The trace then multiplies by the number of hypotheses (every
extract with decoys) — the same Bonferroni rule as the other evidence.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shucang.protect.decoy_lookup import lookup_digests
from shucang.protect.decoy_store import DecoyRows, set_bits
from shucang.protect.decoys import ID_VALUE, MOBILE_VALUE, CellBits, Decoys
from shucang.protect.findings import DecoyFinding
from shucang.protect.keyed_hash import keyed_u128_each
from shucang.protect.keys import KeyRing
from shucang.protect.leakfile import normalise_text
from shucang.protect.registry import ExtractRecord

if TYPE_CHECKING:
    from shucang.warehouse import Warehouse

MAX_DECOYS_USED = 16
"""The trace tries the j ≤ 16 strongest decoys and pays a factor 16 for the choice of j."""


def index_key(ring: KeyRing, key_id: str) -> bytes:
    return ring.derive(key_id, "decoy-index")


def normalise_cells(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """The form digested on both sides: the trace's normalised text, upper-cased (``x`` check digits)."""
    return pc.utf8_upper(normalise_text(values))


def shape_of(value: str) -> str:
    """The class of values a decoy cell could be confused with inside one leaked row."""
    if re.fullmatch(ID_VALUE, value):
        return "id"
    if re.fullmatch(MOBILE_VALUE, value):
        return "mobile"
    if not re.search(r"[0-9]", value):
        return "name" if 2 <= len(value) <= 4 else "text:" + str(len(value))
    return "skeleton:" + re.sub(r"[0-9]", "#", re.sub(r"[^0-9]", ".", value))


def _component_sets(column: str, bits: CellBits, rows: np.ndarray) -> tuple[np.ndarray, list[dict[str, float]]]:
    """Each registered cell's component set (rounded bits; index into the distinct sets) and the sets."""
    names = list(bits.components)
    values = np.round(np.stack([bits.components[n][rows] for n in names], axis=1), 3)
    distinct, which = np.unique(values, axis=0, return_inverse=True)
    sets = [{f"{column}/{n}": float(v) for n, v in zip(names, row, strict=True)} for row in distinct.tolist()]
    return np.asarray(which, dtype=np.int64).ravel(), sets


def decoy_entries(decoys: Decoys, out: pa.Table, usable: set[str], ring: KeyRing, key_id: str,
                  extract_id: str) -> tuple[DecoyRows, dict[str, Any]]:
    """Registry cells for the decoys of a released table (``usable``: columns output as stored or
    pseudonymised — a lossy mask leaves nothing to match) and a summary for the extract's marks."""
    key = index_key(ring, key_id)
    kept = np.zeros(decoys.count, dtype=np.int64)
    bits = np.zeros(decoys.count, dtype=np.float64)
    positions = pa.array(decoys.positions)
    columns: list[str] = []
    component_sets: list[dict[str, float]] = []
    parts: dict[str, list[np.ndarray]] = {name: [] for name in ("hi", "lo", "decoy", "column", "bits", "components")}
    for column in out.column_names:
        cell = decoys.cells.get(column)
        if column not in usable or cell is None:
            continue
        # One normalisation and one batch of digests per column, over the decoy rows only.
        hi, lo = keyed_u128_each(normalise_cells(out.column(column).take(positions)), key)
        valid = np.asarray(pc.is_valid(hi).to_numpy(zero_copy_only=False), dtype=bool)
        number = np.flatnonzero(cell.registered & valid)
        if not len(number):
            continue
        which, sets = _component_sets(column, cell, number)
        parts["hi"].append(np.asarray(pc.fill_null(hi, 0).to_numpy(zero_copy_only=False), dtype=np.uint64)[number])
        parts["lo"].append(np.asarray(pc.fill_null(lo, 0).to_numpy(zero_copy_only=False), dtype=np.uint64)[number])
        parts["decoy"].append(number.astype(np.int64))
        parts["column"].append(np.full(len(number), len(columns), dtype=np.int64))
        parts["bits"].append(np.array([set_bits(s) for s in sets], dtype=np.float64)[which])
        parts["components"].append(which + len(component_sets))
        columns.append(column)
        component_sets += sets
        kept[number] += 1
        bits[number] += sum(cell.components[n][number] for n in cell.components)
    empty = {"hi": np.uint64, "lo": np.uint64, "bits": np.float64}
    joined = {name: np.concatenate(arrays) if arrays else np.zeros(0, dtype=empty.get(name, np.int64))
              for name, arrays in parts.items()}
    rows = DecoyRows(extract_id, joined["hi"], joined["lo"], joined["decoy"], joined["column"], joined["bits"],
                     joined["components"], columns, component_sets)
    summary = {"count": decoys.count, "registered_cells": len(rows), "max_cells": int(kept.max(initial=0)),
               "columns": sorted(columns),
               "bits_min": round(float(bits.min()), 1) if len(bits) else 0.0,
               "bits_median": round(float(np.median(bits)), 1) if len(bits) else 0.0}
    return rows, summary


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


def shape_codes(values: pa.Array) -> pa.Array:
    """:func:`shape_of` of every value of a string array (Arrow kernels; nulls stay null)."""
    length = pc.utf8_length(values)
    has_digit = pc.match_substring_regex(values, "[0-9]")
    skeleton = pc.replace_substring_regex(pc.replace_substring_regex(values, "[^0-9]", "."), "[0-9]", "#")
    return pc.case_when(
        pc.make_struct(pc.match_substring_regex(values, ID_VALUE), pc.match_substring_regex(values, MOBILE_VALUE),
                       pc.and_(pc.invert(has_digit), pc.and_(pc.greater_equal(length, 2), pc.less_equal(length, 4))),
                       pc.invert(has_digit)),
        "id", "mobile", "name", pc.binary_join_element_wise("text:", length.cast(pa.string()), ""),
        pc.binary_join_element_wise("skeleton:", skeleton, ""))


def _same_shape_counts(dictionaries: list[pa.Array], indices: list[np.ndarray], rows: np.ndarray,
                       cols: np.ndarray) -> np.ndarray:
    """For each (leaked row, column) pair: how many cells of that row have the shape of that cell
    (``dictionaries``/``indices``: the leaked columns dictionary-encoded, −1 for null)."""
    unique_rows, where = np.unique(rows, return_inverse=True)
    where = where.ravel()
    cells = []
    for dictionary, index in zip(dictionaries, indices, strict=True):
        at = index[unique_rows]
        cells.append(dictionary.take(pa.array(np.maximum(at, 0), mask=at < 0)))
    shapes = pc.dictionary_encode(shape_codes(pa.concat_arrays(cells)))
    codes = np.asarray(pc.fill_null(shapes.indices, -1).to_numpy(zero_copy_only=False), dtype=np.int64)
    grid = codes.reshape(len(dictionaries), len(unique_rows)).T  # unique row × column
    mine = grid[where, cols]
    return ((grid[where] == mine[:, None]) & (mine[:, None] >= 0)).sum(axis=1)


def _rows_by_value(indices: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR of a dictionary-encoded column: rows sorted by value (nulls left out), each value's start and count."""
    present = np.flatnonzero(indices >= 0)
    order = present[np.argsort(indices[present], kind="stable")]
    counts = np.bincount(indices[present], minlength=size)
    return order, np.cumsum(counts) - counts, counts


def _groups(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows of an integer matrix: each row's group number (groups in sorted order) and the
    position of each group's first occurrence."""
    if len(key) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    order = np.lexsort(key.T[::-1])  # stable: equal rows keep their order
    ordered = key[order]
    new = np.ones(len(order), dtype=bool)
    new[1:] = (ordered[1:] != ordered[:-1]).any(axis=1)
    group_sorted = np.cumsum(new) - 1
    group_of = np.empty(len(order), dtype=np.int64)
    group_of[order] = group_sorted
    return group_of, order[new]


def decoy_evidence(wh: Warehouse, leak: pa.Table, ring: KeyRing, candidates: list[ExtractRecord],
                   null_extracts: int = 0) -> tuple[list[DecoyFinding], int]:
    """Findings (one per extract whose decoys the file contains) and the hypotheses tested."""
    with_decoys = {r.id: r for r in candidates if ((r.marks or {}).get("decoys") or {}).get("count")}
    hypotheses = len(with_decoys) + (null_extracts if with_decoys else 0)
    if not with_decoys or leak.num_rows == 0:
        return [], hypotheses
    names = leak.column_names
    encoded = [pc.dictionary_encode(leak.column(name).combine_chunks()) for name in names]
    # Normalising the distinct values is normalising every cell (the function is per value).
    dictionaries = [normalise_cells(enc.dictionary) for enc in encoded]
    sizes = np.array([len(d) for d in dictionaries], dtype=np.int64)
    column_of = np.repeat(np.arange(len(names)), sizes)
    entry_of = np.concatenate([np.arange(n) for n in sizes]) if len(sizes) else np.zeros(0, np.int64)
    everything = pa.concat_arrays(dictionaries) if dictionaries else pa.array([], pa.string())
    valid = np.asarray(pc.is_valid(everything).to_numpy(zero_copy_only=False), dtype=bool)
    his, los, columns_of, entries_of = [], [], [], []
    for key_id in ring.key_ids:
        hi, lo = keyed_u128_each(everything, index_key(ring, key_id))
        his.append(np.asarray(pc.fill_null(hi, 0).to_numpy(zero_copy_only=False), dtype=np.uint64)[valid])
        los.append(np.asarray(pc.fill_null(lo, 0).to_numpy(zero_copy_only=False), dtype=np.uint64)[valid])
        columns_of.append(column_of[valid])
        entries_of.append(entry_of[valid])
    hi_all, lo_all = np.concatenate(his), np.concatenate(los)
    cell_column, cell_entry = np.concatenate(columns_of), np.concatenate(entries_of)
    _group, first_cells = _groups(np.stack([hi_all, lo_all], axis=1))
    found = lookup_digests(wh, hi_all[first_cells], lo_all[first_cells])
    matches = [i for i, extract_id in enumerate(found.extract_id) if extract_id in with_decoys]
    if not matches:
        return [], hypotheses
    # Every (registered cell, leaked cell) pair with the same digest, then every leaked row holding it.
    digest_of = [(int(found.hi[i]), int(found.lo[i])) for i in matches]
    wanted = set(digest_of)
    cells_of: dict[tuple[int, int], list[int]] = {}
    for i in np.flatnonzero(np.isin(hi_all, np.array([h for h, _low in wanted], dtype=np.uint64))).tolist():
        if (digest := (int(hi_all[i]), int(lo_all[i]))) in wanted:
            cells_of.setdefault(digest, []).append(i)
    indices = [np.asarray(pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False), dtype=np.int64)
               for enc in encoded]
    csr = [_rows_by_value(index, len(enc.dictionary)) for index, enc in zip(indices, encoded, strict=True)]
    extract_ids = sorted(with_decoys)
    extract_number = {e: i for i, e in enumerate(extract_ids)}
    registered = sorted({found.column[i] for i in matches})
    registered_number = {c: i for i, c in enumerate(registered)}
    pair_match, pair_row, pair_col = [], [], []
    for number, digest in enumerate(digest_of):
        for cell in cells_of.get(digest, []):
            column, entry = int(cell_column[cell]), int(cell_entry[cell])
            order, starts, counts = csr[column]
            rows = order[starts[entry]: starts[entry] + counts[entry]]
            pair_match.append(np.full(len(rows), number, dtype=np.int64))
            pair_row.append(rows)
            pair_col.append(np.full(len(rows), column, dtype=np.int64))
    if not pair_match:
        return [], hypotheses
    match_of, row_of, col_of = np.concatenate(pair_match), np.concatenate(pair_row), np.concatenate(pair_col)
    same = _same_shape_counts(dictionaries, indices, row_of, col_of)
    cell_bits = found.bits[matches][match_of]
    extract_of = np.array([extract_number[found.extract_id[i]] for i in matches], dtype=np.int64)[match_of]
    decoy_of = found.decoy[matches][match_of]
    registered_of = np.array([registered_number[found.column[i]] for i in matches], dtype=np.int64)[match_of]
    # One term per (extract, decoy, leaked row, registered column): its components and −log₂ n_c.
    key = np.stack([extract_of, decoy_of, row_of, registered_of], axis=1)
    _group, first = _groups(key)
    terms = cell_bits[first] - np.log2(np.maximum(same[first], 1))
    group_of, group_first = _groups(key[first, :3])
    groups = key[first, :3][group_first]
    total = np.bincount(group_of, weights=terms, minlength=len(groups))
    # m: the most cells any decoy of the extract registered (marks.decoys.max_cells, recorded with
    # every extract that has decoys, and ≥ 1 wherever a cell matched).
    max_cells = np.array([int(with_decoys[e].marks["decoys"]["max_cells"]) for e in extract_ids])
    bits = total - max_cells[groups[:, 0]]  # −log₂(2^m · ∏ n_c 2^{−b_c})
    findings: list[DecoyFinding] = []
    # Per (extract, decoy): its best leaked row; per extract: the strongest decoys on distinct rows.
    order = np.lexsort((-groups[:, 2], -bits, groups[:, 1], groups[:, 0]))
    best_of_decoy: dict[int, list[tuple[float, int]]] = {}
    previous: tuple[int, int] | None = None
    for i in order.tolist():
        extract, decoy, row = (int(v) for v in groups[i])
        if (extract, decoy) == previous:
            continue
        previous = (extract, decoy)
        best_of_decoy.setdefault(extract, []).append((float(bits[i]), row))
    for extract, per_decoy in best_of_decoy.items():
        record = with_decoys[extract_ids[extract]]
        chosen: list[float] = []
        seen_rows: set[int] = set()
        for value, row in sorted(per_decoy, reverse=True):
            if row not in seen_rows and value > 0:
                seen_rows.add(row)
                chosen.append(value)
        if not chosen:
            continue
        p, used = decoy_p_value(chosen, leak.num_rows, int(record.marks["decoys"]["count"]))
        findings.append(DecoyFinding(record.recipient, record.id, record.dataset, decoys_found=len(chosen),
                                     decoys_used=used, bits=round(sum(sorted(chosen, reverse=True)[:used]), 1),
                                     p_value=p))
    return findings, hypotheses
