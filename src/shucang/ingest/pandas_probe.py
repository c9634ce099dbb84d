"""Keep pyarrow from importing pandas (~0.5 s of a 3-row ingest) only to ask whether it is there.

pyarrow imports pandas the first time it converts Python values: its Cython layer to ask whether a
value is a pandas object (``pa.array([...], type)``, module set-up of ``pyarrow.dataset``), its C++
layer to learn pandas' null sentinels (any type inference: ``pa.scalar("x")``, ``pc.equal(col, 1)``,
``to_numpy(zero_copy_only=False)``). Both ask once per process and remember the answer. While
pandas is not imported no value can be a pandas object, so :func:`install` makes those two first
questions see "no pandas" (``import pandas`` fails for their length only): pyarrow then behaves as
where pandas is not installed. Should anything import pandas later, :class:`_PandasWatch` tells
pyarrow's Cython layer, so ``pa.array(series)``, ``Table.from_pandas`` and ``to_pandas`` work as
usual; only pyarrow's C++ conversion of *object* columns holding ``pd.NA``/``pd.NaT`` stays without
pandas' sentinels. So only the command line calls this, when it opens the warehouse
(:meth:`shucang.cli.context.CliContext.warehouse`); the library itself does not, so an application
that embeds shucang keeps pyarrow's defaults.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
import threading
from collections.abc import Sequence
from types import ModuleType
from typing import Any

_lock = threading.Lock()


def _shim() -> Any:
    """pyarrow's lazy pandas importer (``pyarrow.lib._pandas_api``), typed Any: a Cython object."""
    import pyarrow.lib

    return pyarrow.lib._pandas_api


class _Refuse(importlib.abc.MetaPathFinder):
    """Fails ``import pandas`` for the length of pyarrow's two probes only."""

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if fullname == "pandas":
            raise ImportError("pandas is not imported yet", name=fullname)
        return None


class _PandasWatch(importlib.abc.MetaPathFinder):
    """When pandas is really imported, tell pyarrow's Cython layer once it has loaded (then step aside)."""

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if fullname != "pandas":
            return None
        with _lock:
            if self in sys.meta_path:
                sys.meta_path.remove(self)
        spec = importlib.util.find_spec("pandas")
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        exec_module = spec.loader.exec_module

        def exec_then_tell_pyarrow(module: ModuleType) -> None:
            exec_module(module)
            try:
                _shim().pd  # noqa: B018 — pyarrow re-imports pandas (now loaded) and enables its pandas paths
            except Exception:  # noqa: BLE001 — pandas itself loaded; pyarrow's integration is best effort
                pass

        # a monkey-patch of this one spec's loader (importlib has no hook after a module executes);
        # mypy rejects assigning to a method
        spec.loader.exec_module = exec_then_tell_pyarrow  # type: ignore[method-assign]
        return spec


def install() -> None:
    """Answer pyarrow's pandas probes with "no pandas" unless pandas is imported already (idempotent)."""
    with _lock:
        if "pandas" in sys.modules or any(isinstance(f, _PandasWatch) for f in sys.meta_path):
            return
        import pyarrow as pa

        refuse = _Refuse()
        sys.meta_path.insert(0, refuse)
        try:
            _shim().have_pandas  # noqa: B018 — the Cython probe, now remembered as "no pandas"
            pa.array([0])  # a type inference: the C++ probe, remembered likewise
        finally:
            sys.meta_path.remove(refuse)
        sys.meta_path.insert(0, _PandasWatch())
