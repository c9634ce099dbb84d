"""Plain data objects the warehouse hands to its callers."""

from __future__ import annotations

import re
from copy import deepcopy
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from typing import Any, Literal

import pyarrow as pa

from shucang.errors import InputError

CADENCES = ("daily", "weekly", "monthly", "quarterly", "yearly")
CADENCE_DAYS = {"daily": 1, "weekly": 7, "monthly": 31, "quarterly": 92, "yearly": 366}
DATASET_NAME = re.compile(r"^[^\W\d]\w{0,127}$")
"""What a dataset name may look like (a letter, then letters, digits and underscores)."""


def check_dataset_name(name: str) -> str:
    """Dataset names are SQL-friendly identifiers (letters incl. Chinese, digits, underscore)."""
    if not DATASET_NAME.match(name or "") or name.lower().endswith("__raw"):
        raise InputError(
            f"数据集名称无效 (invalid dataset name): {name!r}",
            hint="use letters, digits and underscores, starting with a letter, e.g. population_2024",
        )
    return name


IngestMode = Literal["append", "replace", "merge"]
INGEST_MODES: tuple[IngestMode, ...] = ("append", "replace", "merge")


def ingest_mode(text: str) -> IngestMode:
    """``text`` as an ingest mode (a shell's option is text), refused as :class:`IngestOptions` refuses it."""
    for mode in INGEST_MODES:
        if text == mode:
            return mode
    raise InputError(f"未知模式 (unknown mode) {text!r}", hint="use --mode append or --mode replace")


@dataclass(frozen=True)
class IngestOptions:
    """How one ingest should land in the warehouse."""

    dataset: str
    """Dataset name: the table's name in SQL."""
    mode: IngestMode = "append"
    """append adds rows as a new version; replace makes the file the whole new version; merge replaces
    the rows whose ``key`` is already stored and appends the others (a Delta merge)."""
    department: str | None = None
    """Owning department code (created on first use)."""
    title: str | None = None
    """Human title, Chinese first; defaults to the dataset name."""
    description: str | None = None
    key: tuple[str, ...] = ()
    """Primary-key columns, checked for uniqueness by ``shucang check``."""
    not_null: tuple[str, ...] = ()
    """Columns that must never be blank."""
    cadence: str | None = None
    """Expected update cadence: daily, weekly, monthly, quarterly or yearly."""
    sheet: str | None = None
    """Workbook sheet to read (default: the first sheet holding a table)."""
    synthetic: bool = False
    """Generated demo data, labelled synthetic wherever shown."""
    created_by: str | None = None
    encoding: str | None = None
    """Override encoding detection (e.g. gb18030)."""
    delimiter: str | None = None
    """Override delimiter detection."""

    def __post_init__(self) -> None:
        check_dataset_name(self.dataset)
        ingest_mode(self.mode)
        if self.mode == "merge" and not self.key:
            raise InputError("合并模式需要主键 (merge needs key columns)", hint="give --key COLUMN[,COLUMN…]")
        if self.cadence is not None and self.cadence not in CADENCES:
            raise InputError(f"未知更新周期 (unknown cadence) {self.cadence!r}", hint="one of " + ", ".join(CADENCES))


@dataclass
class IngestResult:
    """What one ingest did; ``rows_read == rows_loaded + rows_rejected``."""

    dataset: str
    version: int
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    encoding: str | None
    format: str
    mode: str
    path: str
    delimiter: str | None = None
    sheet: str | None = None
    row_count: int = 0
    columns: list[str] = field(default_factory=list)
    schema_changes: dict[str, Any] = field(default_factory=dict)
    rejects: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    duration_s: float = 0.0
    sample: pa.Table | None = field(default=None, repr=False, compare=False)
    """Evenly spread rows of this ingest (for classification; not part of the JSON result)."""

    def to_dict(self, *, max_rejects: int = 100) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "sample"}
        data = deepcopy(data)
        data["rejects"] = self.rejects[:max_rejects]
        data["rejects_truncated"] = len(self.rejects) > max_rejects
        return data


@dataclass(frozen=True)
class DatasetInfo:
    id: int
    name: str
    title: str
    department: str | None
    department_name: str | None
    description: str
    source: str
    cadence: str | None
    primary_key: list[str]
    not_null: list[str]
    topic: str | None
    is_open: bool
    synthetic: bool
    current_version: int | None
    row_count: int
    created_at: datetime
    updated_at: datetime

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["created_at"] = self.created_at.isoformat()
        data["updated_at"] = self.updated_at.isoformat()
        return data


@dataclass(frozen=True)
class ColumnInfo:
    name: str
    position: int
    storage_type: str
    logical_type: str
    null_share: float
    distinct_estimate: int
    examples: list[str]
    canonical: bool = False
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class VersionInfo:
    version: int
    delta_version: int | None
    status: str
    mode: str
    source_path: str
    source_format: str | None
    encoding: str | None
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    row_count: int
    schema_changes: dict[str, Any]
    created_by: str | None
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["created_at"] = self.created_at.isoformat()
        return data
