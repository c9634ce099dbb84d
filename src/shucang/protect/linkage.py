"""Link the rows of a leaked file to the rows of the source dataset, whatever the column names.

Columns are matched by their values, not their headers (leakers rename, drop and reorder): the most
distinctive leaked text column whose values occur in a source column becomes the join key; other
columns are then mapped by agreement over the joined pairs, which also breaks ties when the key
repeats (e.g. one company per month). Numbers are matched within the error of 3-significant-digit
rounding. All work is Arrow kernels and hash joins; nothing loops over cells in Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shucang.protect.fingerprint import as_float, numeric_kind
from shucang.protect.leakfile import normalise_text

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


def _cheap_text(values: pa.ChunkedArray) -> pa.Array:
    """Whole-column text for the key search: trimmed text (dates ISO), without the costlier NFKC and
    spreadsheet clean-ups that :func:`normalise_text` applies to the (few) linked rows."""
    arr = values.combine_chunks() if values.num_chunks else pa.array([], values.type)
    if pa.types.is_string(arr.type):
        return pc.utf8_trim_whitespace(arr)
    if pa.types.is_timestamp(arr.type) or pa.types.is_floating(arr.type) or pa.types.is_dictionary(arr.type):
        return normalise_text(arr)
    return arr.cast(pa.string())


class _SourceText(dict):  # type: ignore[type-arg]
    """Cheap text of source columns, computed on first use (most columns are never needed)."""

    def __init__(self, source: pa.Table) -> None:
        super().__init__()
        self.source = source
        self.names = [n for n in source.column_names if not pa.types.is_floating(source.schema.field(n).type)]

    def __missing__(self, name: str) -> pa.Array:
        value = _cheap_text(self.source.column(name))
        self[name] = value
        return value

    def __contains__(self, name: object) -> bool:
        return name in self.names


def _mean_length(values: pa.Array) -> float:
    sample = values.slice(0, 2000).drop_null()
    return float(pc.mean(pc.utf8_length(sample)).as_py() or 0.0) if len(sample) else 0.0


def _leak_candidates(leak: pa.Table) -> list[tuple[str, pa.Array]]:
    out = []
    for name in leak.column_names:
        uniq = pc.unique(leak.column(name)).drop_null()
        if len(uniq) >= 3 and len(uniq) >= 0.3 * max(1, leak.num_rows - leak.column(name).null_count):
            out.append((name, uniq.slice(0, MAX_KEY_VALUES)))
    out.sort(key=lambda item: -len(item[1]))
    return out[:6]


def _agreement(leak_vals: pa.Array, src_vals: pa.Array, numeric: bool) -> np.ndarray:
    if numeric:
        y = as_float(leak_vals).to_numpy(zero_copy_only=False)
        x = as_float(src_vals).to_numpy(zero_copy_only=False)
        with np.errstate(invalid="ignore"):
            return np.nan_to_num(np.abs(y - x) <= 0.006 * np.abs(x) + 1e-9, nan=False).astype(bool)
    eq = pc.equal(leak_vals, src_vals)
    both_null = pc.and_(pc.is_null(leak_vals), pc.is_null(src_vals))
    return np.asarray(pc.fill_null(pc.or_kleene(eq, both_null), False).to_numpy(zero_copy_only=False), dtype=bool)


def _rate_by_leak_row(agree: np.ndarray, li: np.ndarray, n_leak: int) -> float:
    rows = np.unique(li)
    if len(rows) == 0:
        return 0.0
    hit = np.zeros(n_leak, dtype=bool)
    hit[li[agree]] = True
    return float(hit[rows].mean())


def link_rows(leak: pa.Table, source: pa.Table) -> Linkage | None:
    """Pairs of (leaked row, source row), or None when no column of the file links to the source."""
    if leak.num_rows == 0 or source.num_rows == 0:
        return None
    src_text = _SourceText(source)
    best: tuple[int, str, str, pa.Array, float] | None = None
    src_lengths = {n: _mean_length(_cheap_text(source.column(n).slice(0, 2000))) for n in src_text.names}
    for leak_name, uniq in _leak_candidates(leak):
        length = _mean_length(uniq)
        names = [leak_name] if leak_name in src_text else []
        names += [n for n in src_text.names if n != leak_name and 0.6 * length <= src_lengths[n] <= 1.6 * length + 1]
        for src_name in names:
            hit = pc.is_in(src_text[src_name], value_set=uniq)
            found = pc.count_distinct(pc.filter(src_text[src_name], hit)).as_py()
            score = found / len(uniq)
            if score >= MIN_KEY_SCORE and (best is None or found > best[0]):
                best = (found, leak_name, src_name, hit, score)
            if src_name == leak_name and score >= 0.9:
                break
        if best is not None and best[4] >= 0.9:
            break
    if best is None:
        return None
    _found, leak_key, src_key, hit, _score = best
    src_idx = np.flatnonzero(np.asarray(hit.to_numpy(zero_copy_only=False), dtype=bool))
    left = pa.table({"k": leak.column(leak_key), "li": pa.array(np.arange(leak.num_rows))})
    right = pa.table({"k": src_text[src_key].take(pa.array(src_idx)), "si": pa.array(src_idx)})
    joined = left.join(right, "k", join_type="inner")
    li = joined.column("li").to_numpy()
    si = joined.column("si").to_numpy()
    if len(li) == 0:
        return None
    text_map = {leak_key: src_key}
    numeric_map: dict[str, str] = {}
    # Map the other columns by agreement over the candidate pairs (sampled), then filter the pairs.
    sample = np.arange(len(li)) if len(li) <= 20_000 else np.random.default_rng(0).choice(len(li), 20_000, replace=False)
    li_s, si_s = li[sample], si[sample]
    src_numeric = [n for n in source.column_names if numeric_kind(source.column(n)) is not None]
    for leak_name in leak.column_names:
        if leak_name == leak_key:
            continue
        lv = leak.column(leak_name).combine_chunks().take(pa.array(li_s))
        best_col, best_rate, best_numeric = None, AGREE, False
        leak_numeric = numeric_kind(lv) is not None
        for src_name in source.column_names:
            if src_name in text_map.values() or src_name in numeric_map.values():
                continue
            numeric = leak_numeric and src_name in src_numeric
            if not numeric and src_name not in src_text:
                continue
            sv = (source.column(src_name).combine_chunks().take(pa.array(si_s)) if numeric
                  else normalise_text(source.column(src_name).combine_chunks().take(pa.array(si_s))))
            rate = _rate_by_leak_row(_agreement(lv, sv, numeric), li_s, leak.num_rows)
            exact = src_name in src_text and not numeric
            if rate > best_rate or (rate == best_rate and best_col is not None and exact and best_numeric):
                best_col, best_rate, best_numeric = src_name, rate, numeric
        if best_col is not None:
            (numeric_map if best_numeric else text_map)[leak_name] = best_col
    keep = np.ones(len(li), dtype=bool)
    for leak_name, src_name in text_map.items():
        if leak_name == leak_key:
            continue
        keep &= _agreement(leak.column(leak_name).combine_chunks().take(pa.array(li)),
                           normalise_text(source.column(src_name).combine_chunks().take(pa.array(si))), False)
    for leak_name, src_name in numeric_map.items():
        keep &= _agreement(leak.column(leak_name).combine_chunks().take(pa.array(li)),
                           source.column(src_name).combine_chunks().take(pa.array(si)), True)
    li, si = li[keep], si[keep]
    # One source row per leaked row: ambiguous rows (still several candidates) are dropped.
    order = np.lexsort((si, li))
    li, si = li[order], si[order]
    first = np.ones(len(li), dtype=bool)
    first[1:] = li[1:] != li[:-1]
    counts = np.diff(np.append(np.flatnonzero(first), len(li)))
    unique_rows = np.repeat(counts == 1, counts)
    li, si = li[first & unique_rows], si[first & unique_rows]
    if len(li) == 0:
        return None
    return Linkage(li, si, text_map, numeric_map)
