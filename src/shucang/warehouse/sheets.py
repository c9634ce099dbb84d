"""``shucang ingest BOOK.xlsx --sheet all``: every sheet holding a table, each loaded on its own.

A workbook often keeps one sheet per year or per town with the same columns; those become
successive versions of the one dataset (appended in sheet order). A sheet whose columns differ from
the first one's is a different table: it becomes its own dataset, ``DATASET_<sheet>``. Every result
says its sheet, so the output tells which sheet went where.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import TYPE_CHECKING

from shucang.errors import InputError
from shucang.ingest import list_tables, open_source
from shucang.warehouse.models import DATASET_NAME, IngestOptions, IngestResult

if TYPE_CHECKING:
    from shucang.warehouse.store import Progress, Warehouse

ALL_SHEETS = "all"


def sheet_dataset(dataset: str, sheet: str, position: int) -> str:
    """The dataset for a sheet whose columns differ: ``DATASET_<sheet>`` (or ``DATASET_<n>``)."""
    slug = re.sub(r"\W+", "_", sheet).strip("_")
    name = f"{dataset}_{slug}" if slug else f"{dataset}_{position}"
    return name if DATASET_NAME.match(name) and len(name) <= 128 else f"{dataset}_{position}"


def ingest_all_sheets(wh: Warehouse, path: str | Path, options: IngestOptions,
                      progress: Progress | None = None) -> list[IngestResult]:
    """Ingest every table sheet of a workbook (see module docstring); one result per sheet."""
    sheets = list_tables(path)
    if sheets == [None]:
        raise InputError(f"{Path(path).name} 不是工作簿，没有工作表 (not a workbook: no sheets)",
                         hint="去掉 --sheet all (drop --sheet all)")
    results: list[IngestResult] = []
    first_names: tuple[str, ...] | None = None
    for position, sheet in enumerate(sheets, start=1):
        assert sheet is not None
        names = tuple(open_source(path, sheet=sheet).schema.names)
        same = first_names is None or names == first_names
        first_names = first_names or names
        dataset = options.dataset if same else sheet_dataset(options.dataset, sheet, position)
        mode = options.mode if not results or not same else "append"
        sheet_options = dataclasses.replace(options, sheet=sheet, dataset=dataset, mode=mode)
        results.append(wh.ingest(path, sheet_options, progress=progress))
    return results
