"""The source side of linkage for one (dataset, version), prepared once and kept per process.

Linking a leaked file searches the source's text columns for the leaked values. The first trace of a
source scans each tried column with Arrow ``is_in`` (≈ 10–20 ms per million rows); from the second
trace of the same source in the same process on, each tried column gets a sorted index of 64-bit
hashes of its values (DuckDB's ``hash``, built in ≈ 0.15 s per million rows), so lookups become
binary searches of the leaked values — an
innocent file, which links to nothing, tries up to six leaked columns against every source column of
similar width. A hash only *proposes* a pair: every proposed pair is verified by comparing the
values, so collisions cost time, never correctness.

The text forms, numeric kinds and widths of source columns are computed once per source as well.
Sources are kept by :mod:`shucang.protect.trace_cache`, keyed by the catalog's version row, so a new
version (or a re-created dataset) never meets an old index.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shucang.protect.fingerprint import numeric_kind
from shucang.protect.leakfile import normalise_text

WHOLE_COLUMN_ROWS = 200_000
"""Largest source whose columns are kept in normalised form (20 MB-ish per text column)."""
_duck_lock = threading.Lock()
_duck: list[duckdb.DuckDBPyConnection] = []


def value_hashes(values: pa.Array) -> np.ndarray:
    """DuckDB's 64-bit ``hash`` of each value (uint64): ≈ 0.05 s per million values, ≈ 1 ms per call.
    Not keyed and not collision-resistant — lookups verify the values it proposes."""
    if len(values) == 0:
        return np.zeros(0, dtype=np.uint64)
    with _duck_lock:
        if not _duck:
            _duck.append(duckdb.connect())
        relation = _duck[0].from_arrow(pa.table({"v": values}))
        return np.asarray(relation.project("hash(v) AS h").fetchnumpy()["h"], dtype=np.uint64)


def cheap_text(values: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """Whole-column text for the key search: trimmed text (dates ISO), without the costlier NFKC and
    spreadsheet clean-ups that :func:`normalise_text` applies to the (few) linked rows. Chunked
    columns stay chunked (copying a million strings into one chunk costs more than trimming them)."""
    if pa.types.is_string(values.type):
        return pc.utf8_trim_whitespace(values)
    if (
        pa.types.is_timestamp(values.type)
        or pa.types.is_floating(values.type)
        or pa.types.is_dictionary(values.type)
    ):
        return normalise_text(values)
    return values.cast(pa.string())


def _mean_length(values: pa.Array) -> float:
    sample = values.slice(0, 2000).drop_null()
    return float(pc.mean(pc.utf8_length(sample)).as_py() or 0.0) if len(sample) else 0.0


class SourceIndex:
    """A source table with what linkage derives from it, computed on first use."""

    def __init__(self, table: pa.Table) -> None:
        self.table = table
        self.num_rows = table.num_rows
        self.column_names = list(table.column_names)
        self.text_names = [
            n for n in table.column_names if not pa.types.is_floating(table.schema.field(n).type)
        ]
        self._lock = threading.Lock()
        self._text: dict[str, pa.ChunkedArray | pa.Array] = {}
        self._lengths: dict[str, float] = {}
        self._kinds: dict[str, str | None] = {}
        self._sorted: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.links = 0
        """How many linkages have used this source (``link_rows`` counts)."""
        self._normalised: dict[str, pa.Array] = {}
        self._normalised_uses: dict[str, int] = {}

    def take(self, name: str, rows: np.ndarray) -> pa.Array:
        """The column's values at ``rows`` (the whole column is never copied into one chunk)."""
        taken = self.table.column(name).take(pa.array(rows, pa.int64()))
        return taken.combine_chunks() if taken.num_chunks else pa.array([], taken.type)

    def text(self, name: str) -> pa.ChunkedArray | pa.Array:
        """The column as :func:`cheap_text` (text columns only)."""
        found = self._text.get(name)
        if found is None:
            found = cheap_text(self.table.column(name))
            self._text[name] = found
        return found

    def normalised_at(self, name: str, rows: np.ndarray) -> pa.Array:
        """:func:`normalise_text` of the column's values at ``rows``. Sources up to
        :data:`WHOLE_COLUMN_ROWS` rows normalise a column once, on its second use, and keep it."""
        whole = self._normalised.get(name)
        if whole is None and self.num_rows <= WHOLE_COLUMN_ROWS:
            uses = self._normalised_uses.get(name, 0)
            self._normalised_uses[name] = uses + 1
            if uses:
                whole = self._normalised[name] = normalise_text(self.table.column(name))
        if whole is not None:
            return whole.take(pa.array(rows, pa.int64()))
        return normalise_text(self.take(name, rows))

    def mean_length(self, name: str) -> float:
        """Mean text width of the column's first 2,000 values."""
        found = self._lengths.get(name)
        if found is None:
            found = _mean_length(cheap_text(self.table.column(name).slice(0, 2000)))
            self._lengths[name] = found
        return found

    def numeric_kind(self, name: str) -> str | None:
        if name not in self._kinds:
            self._kinds[name] = numeric_kind(self.table.column(name))
        return self._kinds[name]

    def _hash_index(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        with self._lock:
            found = self._sorted.get(name)
            if found is None:
                text = self.text(name)
                rows = np.flatnonzero(
                    np.asarray(pc.is_valid(text).to_numpy(zero_copy_only=False), dtype=bool)
                )
                hashes = value_hashes(text.take(pa.array(rows)) if len(rows) < len(text) else text)
                order = np.argsort(hashes, kind="stable")
                found = (hashes[order], rows[order])
                self._sorted[name] = found
        return found

    def lookup(
        self, name: str, values: pa.Array, hashes: Callable[[], np.ndarray] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Pairs (i, row) with ``text(name)[row] == values[i]``, in no set order (``values``: distinct,
        non-null text; ``hashes``: gives their :func:`value_hashes`, if the caller batches them)."""
        text = self.text(name)
        if self.links <= 1 and name not in self._sorted:
            # The first trace of this source in this process: scans cost less than building indexes.
            position = pc.index_in(text, value_set=values)
            rows = np.flatnonzero(
                np.asarray(pc.is_valid(position).to_numpy(zero_copy_only=False), dtype=bool)
            )
            which = np.asarray(pc.fill_null(position, 0).to_numpy(zero_copy_only=False), dtype=np.int64)[rows]
            return which, rows
        sorted_hashes, sorted_rows = self._hash_index(name)
        query = value_hashes(values) if hashes is None else hashes()
        low = np.searchsorted(sorted_hashes, query, side="left")
        counts = np.searchsorted(sorted_hashes, query, side="right") - low
        total = int(counts.sum())
        which = np.repeat(np.arange(len(values), dtype=np.int64), counts)
        within = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
        rows = sorted_rows[np.repeat(low, counts) + within]
        if total:
            same = pc.equal(text.take(pa.array(rows)), values.take(pa.array(which)))
            keep = np.asarray(pc.fill_null(same, False).to_numpy(zero_copy_only=False), dtype=bool)
            which, rows = which[keep], rows[keep]
        return which, rows
