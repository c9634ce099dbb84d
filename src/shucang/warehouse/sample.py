"""An evenly spread sample of the rows of an ingest, kept as they stream past.

Classification runs after every ingest on about ten thousand rows. Taking them from the batches
already in memory, rather than re-reading row groups of the new Delta version, saves a decode of
several row groups per ingest.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

SAMPLE_ROWS = 10_000


class SpreadSample:
    """Every ``stride``-th row of a stream of unknown length (a systematic sample).

    When more than ``2 × rows`` rows are kept, every other one is dropped and the stride doubles,
    so the sample stays evenly spread over everything seen and its size stays bounded. Rows are
    copied (``take``), so the sample never keeps whole batches alive.
    """

    def __init__(self, rows: int = SAMPLE_ROWS) -> None:
        self.rows = rows
        self.stride = 1
        self.seen = 0
        self.kept: list[pa.RecordBatch] = []
        self.kept_rows = 0
        self.schema: pa.Schema | None = None

    def update(self, batch: pa.RecordBatch) -> None:
        n = batch.num_rows
        if n == 0:
            return
        if self.schema is None:
            self.schema = batch.schema
        first = -self.seen % self.stride  # the first row of this batch on the global grid
        self.seen += n
        if first >= n:
            return
        picked = batch.take(pa.array(np.arange(first, n, self.stride)))
        self.kept.append(picked)
        self.kept_rows += picked.num_rows
        while self.kept_rows > 2 * self.rows:
            self._thin()

    def _thin(self) -> None:
        """Keep the rows at even multiples of the stride: kept row i is global row i × stride."""
        table = pa.Table.from_batches(self.kept, self.schema)
        table = table.take(pa.array(np.arange(0, table.num_rows, 2)))
        self.kept = table.combine_chunks().to_batches()
        self.kept_rows = table.num_rows
        self.stride *= 2

    def table(self) -> pa.Table | None:
        """The sample (at most ``rows`` rows, evenly spread), or None when no row went past."""
        if self.schema is None:
            return None
        table = pa.Table.from_batches(self.kept, self.schema)
        if table.num_rows > self.rows:
            table = table.take(pa.array(np.linspace(0, table.num_rows - 1, self.rows).astype(np.int64)))
        return table
