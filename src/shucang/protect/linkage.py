"""Link the rows of a leaked file to the rows of the source dataset, whatever the column names.

Columns are matched by their values, not their headers (leakers rename, drop and reorder): the most
distinctive leaked text column whose values occur in a source column becomes the join key; other
columns are then mapped by agreement over the joined pairs, which also breaks ties when the key
repeats (e.g. one company per month). Numbers are matched within the error of 3-significant-digit
rounding. All work is Arrow kernels, hash lookups and numpy; nothing loops over cells in Python. The
source side (text forms, widths, hash indexes) comes from a :class:`~shucang.protect.source_index.SourceIndex`,
which a trace keeps per (dataset, version).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shucang.protect.fingerprint import as_float, numeric_kind
from shucang.protect.source_index import SourceIndex, value_hashes

MAX_KEY_VALUES = 50_000
MIN_KEY_SCORE = 0.5
AGREE = 0.9


@dataclass
class Linkage:
    """Leaked row i ↔ source row j pairs and the column mapping leaked name → source name."""

    leak_rows: np.ndarray
    source_rows: np.ndarray
    text_map: dict[str, str] = field(default_factory=dict)
    numeric_map: dict[str, str] = field(default_factory=dict)


def _leak_candidates(leak: pa.Table) -> list[tuple[str, pa.Array]]:
    out = []
    for name in leak.column_names:
        uniq = pc.unique(leak.column(name)).drop_null()
        if len(uniq) >= 3 and len(uniq) >= 0.3 * max(1, leak.num_rows - leak.column(name).null_count):
            out.append((name, uniq.slice(0, MAX_KEY_VALUES)))
    out.sort(key=lambda item: -len(item[1]))
    return out[:6]


def _text_codes(columns: list[pa.Array]) -> list[np.ndarray]:
    """Equal-length text columns as integer codes from one shared dictionary (−1 for null), so that
    any two can be compared in numpy."""
    if not columns:
        return []
    encoded = pc.dictionary_encode(pa.concat_arrays(columns))
    codes = np.asarray(pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False), dtype=np.int64)
    bounds = np.cumsum([0] + [len(c) for c in columns])
    return [codes[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def _text_agreement(leak_codes: np.ndarray, src_codes: np.ndarray) -> np.ndarray:
    """Equal text, or both null."""
    return ((leak_codes == src_codes) & (leak_codes >= 0)) | ((leak_codes < 0) & (src_codes < 0))


def _number_agreement(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Equal within 3-significant-digit rounding (NaN never agrees)."""
    with np.errstate(invalid="ignore"):
        return np.nan_to_num(np.abs(y - x) <= 0.006 * np.abs(x) + 1e-9, nan=False).astype(bool)


def _floats(values: pa.Array) -> np.ndarray:
    return np.asarray(as_float(values).to_numpy(zero_copy_only=False), dtype=np.float64)


def _rate_by_leak_row(agree: np.ndarray, li: np.ndarray, rows: np.ndarray, n_leak: int) -> float:
    """Share of the leaked rows ``rows`` (= the distinct ``li``) with at least one agreeing pair."""
    if len(rows) == 0:
        return 0.0
    hit = np.zeros(n_leak, dtype=bool)
    hit[li[agree]] = True
    return float(hit[rows].mean())


def _mean_length(values: pa.Array) -> float:
    sample = values.slice(0, 2000).drop_null()
    return float(pc.mean(pc.utf8_length(sample)).as_py() or 0.0) if len(sample) else 0.0


def _batched_hashes(candidates: list[tuple[str, pa.Array]]) -> Callable[[int], np.ndarray]:
    """Hashes of every candidate's values, computed in one call the first time any is needed."""
    found: list[np.ndarray] = []

    def hashes_of(i: int) -> np.ndarray:
        if not found:
            everything = value_hashes(pa.concat_arrays([uniq for _name, uniq in candidates]))
            bounds = np.cumsum([0] + [len(uniq) for _name, uniq in candidates])
            found.extend(everything[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True))
        return found[i]

    return hashes_of


def _key_pairs(leak_key: pa.Array, uniq: pa.Array, which: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(leaked row, source row) pairs with equal key, sorted, from the lookup's (value index, source row) pairs."""
    position = pc.index_in(leak_key, value_set=uniq)
    leak_rows = np.flatnonzero(np.asarray(pc.is_valid(position).to_numpy(zero_copy_only=False), dtype=bool))
    value_of_row = np.asarray(pc.fill_null(position, 0).to_numpy(zero_copy_only=False), dtype=np.int64)[leak_rows]
    rows_by_value = rows[np.lexsort((rows, which))]  # grouped by value, ascending rows within a value
    counts = np.bincount(which, minlength=len(uniq))
    starts = np.cumsum(counts) - counts
    per_row = counts[value_of_row]
    # Leaked rows ascend, and so do source rows within each: the pairs come out sorted by (li, si).
    li = np.repeat(leak_rows, per_row)
    within = np.arange(int(per_row.sum())) - np.repeat(np.cumsum(per_row) - per_row, per_row)
    return li, rows_by_value[np.repeat(starts[value_of_row], per_row) + within]


def link_rows(leak: pa.Table, source: pa.Table | SourceIndex) -> Linkage | None:
    """Pairs of (leaked row, source row), or None when no column of the file links to the source."""
    index = source if isinstance(source, SourceIndex) else SourceIndex(source)
    if leak.num_rows == 0 or index.num_rows == 0:
        return None
    index.links += 1
    text_names = set(index.text_names)
    best: tuple[int, str, str, pa.Array, np.ndarray, np.ndarray, float] | None = None
    candidates = _leak_candidates(leak)
    hashes_of = _batched_hashes(candidates)
    for number, (leak_name, uniq) in enumerate(candidates):
        length = _mean_length(uniq)
        names = [leak_name] if leak_name in text_names else []
        names += [n for n in index.text_names
                  if n != leak_name and 0.6 * length <= index.mean_length(n) <= 1.6 * length + 1]
        for src_name in names:
            which, rows = index.lookup(src_name, uniq, partial(hashes_of, number))
            found = len(np.unique(which))
            score = found / len(uniq)
            if score >= MIN_KEY_SCORE and (best is None or found > best[0]):
                best = (found, leak_name, src_name, uniq, which, rows, score)
            if src_name == leak_name and score >= 0.9:
                break
        if best is not None and best[6] >= 0.9:
            break
    if best is None:
        return None
    _found, leak_key, src_key, uniq, which, rows, _score = best
    li, si = _key_pairs(leak.column(leak_key).combine_chunks(), uniq, which, rows)
    if len(li) == 0:
        return None
    text_map = {leak_key: src_key}
    numeric_map: dict[str, str] = {}
    # Map the other columns by agreement over the candidate pairs (sampled), then filter the pairs.
    sample = np.arange(len(li)) if len(li) <= 20_000 else np.sort(
        np.random.default_rng(0).choice(len(li), 20_000, replace=False))
    li_s, si_s = li[sample], si[sample]
    sampled_leak_rows = np.unique(li_s)
    leak_names = [n for n in leak.column_names if n != leak_key]
    leak_at = {n: leak.column(n).combine_chunks().take(pa.array(li_s)) for n in leak_names}
    source_text = [n for n in index.column_names if n in text_names]
    codes = _text_codes([leak_at[n] for n in leak_names] + [index.normalised_at(n, si_s) for n in source_text])
    leak_codes = dict(zip(leak_names, codes[:len(leak_names)], strict=True))
    source_codes = dict(zip(source_text, codes[len(leak_names):], strict=True))
    source_floats: dict[str, np.ndarray] = {}
    for leak_name in leak_names:
        lv = leak_at[leak_name]
        best_col, best_rate, best_numeric = None, AGREE, False
        leak_floats = _floats(lv) if numeric_kind(lv) is not None else None
        for src_name in index.column_names:
            if src_name in text_map.values() or src_name in numeric_map.values():
                continue
            numeric = leak_floats is not None and index.numeric_kind(src_name) is not None
            if not numeric and src_name not in text_names:
                continue
            if numeric and leak_floats is not None:
                if src_name not in source_floats:
                    source_floats[src_name] = _floats(index.take(src_name, si_s))
                agree = _number_agreement(leak_floats, source_floats[src_name])
            else:
                agree = _text_agreement(leak_codes[leak_name], source_codes[src_name])
            rate = _rate_by_leak_row(agree, li_s, sampled_leak_rows, leak.num_rows)
            exact = src_name in text_names and not numeric
            if rate > best_rate or (rate == best_rate and best_col is not None and exact and best_numeric):
                best_col, best_rate, best_numeric = src_name, rate, numeric
        if best_col is not None:
            (numeric_map if best_numeric else text_map)[leak_name] = best_col
    keep = np.ones(len(li), dtype=bool)
    pairs = pa.array(li)
    for leak_name, src_name in text_map.items():
        if leak_name == leak_key:
            continue
        leak_codes_all, source_codes_all = _text_codes([leak.column(leak_name).combine_chunks().take(pairs),
                                                        index.normalised_at(src_name, si)])
        keep &= _text_agreement(leak_codes_all, source_codes_all)
    for leak_name, src_name in numeric_map.items():
        keep &= _number_agreement(_floats(leak.column(leak_name).combine_chunks().take(pairs)),
                                  _floats(index.take(src_name, si)))
    li, si = li[keep], si[keep]
    # One source row per leaked row: ambiguous rows (still several candidates) are dropped.
    first = np.ones(len(li), dtype=bool)
    first[1:] = li[1:] != li[:-1]
    counts = np.diff(np.append(np.flatnonzero(first), len(li)))
    unique_rows = np.repeat(counts == 1, counts)
    li, si = li[first & unique_rows], si[first & unique_rows]
    if len(li) == 0:
        return None
    return Linkage(li, si, text_map, numeric_map)
