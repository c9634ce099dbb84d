"""The 数字经济核心产业 by industry code, for plan metrics (and the economy stage above them).

The code list (``data/digital_core.yaml``, from 国家统计局《数字经济及其核心产业统计分类（2021）》) lives in
the plan stage because the plan's core-industry metrics are its first reader: a metric with a
``by_industry_code`` caliber counts enterprises by their GB/T 4754-2017 code instead of a flag column.
On a metric connection :func:`register` makes the list a relation ``digital_core_codes`` and two
macros, ``digital_core_category(code)`` ('01'…'04' or NULL) and ``is_digital_core_code(code)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import yaml

if TYPE_CHECKING:
    import duckdb

CODES_RELATION = "digital_core_codes"
CODE_PATTERN = "[0-9]{4}"
"""A 4-digit GB/T 4754-2017 class (小类) code, the level the classification maps."""


@dataclass(frozen=True)
class DigitalCore:
    """The 数字经济核心产业 code list with its source."""

    source: str
    categories: dict[str, str]
    codes: tuple[tuple[str, str, str, bool], ...]
    """(code prefix, category 01–04, name, partial)."""

    def category_of(self, code: str | None) -> str | None:
        if not code:
            return None
        best = max((c for c in self.codes if str(code).startswith(c[0])), key=lambda c: len(c[0]), default=None)
        return best[1] if best else None

    def prefixes(self) -> tuple[list[str], list[str]]:
        return [c[0] for c in self.codes], [c[1] for c in self.codes]


@lru_cache(maxsize=1)
def digital_core() -> DigitalCore:
    """The bundled list (read once: it is package data, not county data)."""
    text = resources.files("shucang.plan").joinpath("data", "digital_core.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    codes = tuple((str(c["code"]), str(c["category"]), str(c["name"]), bool(c.get("partial", False)))
                  for c in data["codes"])
    return DigitalCore(str(data["source"]), {str(k): str(v) for k, v in data["categories"].items()}, codes)


def is_digital_core_sql(column: str) -> tuple[str, list[str]]:
    """A SQL predicate (and its one list parameter) true where ``column`` is a core-industry code."""
    prefixes, _ = digital_core().prefixes()
    return f"len(list_filter(?::VARCHAR[], p -> starts_with(CAST({column} AS VARCHAR), p))) > 0", prefixes


def register(con: duckdb.DuckDBPyConnection) -> None:
    """Expose the code list and the two macros on a metric connection (see the module docstring)."""
    core = digital_core()
    con.register(CODES_RELATION, pa.table({
        "prefix": [c[0] for c in core.codes], "category": [c[1] for c in core.codes],
        "name": [c[2] for c in core.codes], "partial": [c[3] for c in core.codes]}))
    con.execute(f"CREATE OR REPLACE TEMP MACRO digital_core_category(code) AS "
                f"(SELECT arg_max(d.category, length(d.prefix)) FROM {CODES_RELATION} d "
                f"WHERE starts_with(trim(CAST(code AS VARCHAR)), d.prefix))")
    con.execute("CREATE OR REPLACE TEMP MACRO is_digital_core_code(code) AS digital_core_category(code) IS NOT NULL")


CALIBER_CODES = "industry_code"
CALIBER_FLAG = "flag"


def caliber_text(caliber: str, column: str = "") -> str:
    """The caliber in words, for a value's note and the recompute report."""
    if caliber == CALIBER_CODES:
        return f"口径：按行业代码 {column} 认定数字经济核心产业，依据{digital_core().source}"
    return "口径：按数据中的“是否数字经济核心产业”标记（该数据集无行业代码）"
