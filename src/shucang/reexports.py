"""A package's names imported on first use (PEP 562), written once for every stage that needs it.

A stage's ``__init__`` re-exports its public names so callers write ``from shucang.plan import
recompute``; importing every module up front would make each CLI call pay for all of them (DuckDB,
YAML, a web of SQL builders) although an ingest needs a few. ``__getattr__ = lazy_exports(…)``
imports a name's module the first time the name is asked for and keeps it on the package.
"""

from __future__ import annotations

import sys
from importlib import import_module

TYPE_CHECKING = False  # typing's names only for the checker: every process imports this module first
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any


def lazy_exports(package: str, exports: Mapping[str, str]) -> Callable[[str], Any]:
    """The module ``__getattr__`` of ``package``: ``exports`` maps a name to its submodule."""

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(f"{package}.{module}"), name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__
