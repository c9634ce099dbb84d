"""What every command gets: the settings and a lazily opened warehouse."""

from __future__ import annotations

import importlib
import json
import sys
from types import ModuleType
from typing import TYPE_CHECKING, Any

import typer

from shucang.settings import Settings

if TYPE_CHECKING:
    from shucang.warehouse import Warehouse


class CliContext:
    """Holds the settings and opens the warehouse on first use (so ``--help`` touches no disk)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._warehouse: Warehouse | None = None

    def warehouse(self) -> Warehouse:
        if self._warehouse is None:
            from shucang.ingest.pandas_probe import install
            from shucang.platform import open_warehouse

            install()  # a CLI run needs no pandas: pyarrow is not to import it (~0.5 s) just to ask

            self._warehouse = open_warehouse(self.settings)
        return self._warehouse

    def close(self) -> None:
        if self._warehouse is not None:
            self._warehouse.close()
            self._warehouse = None


def get_context(ctx: typer.Context) -> CliContext:
    obj = ctx.find_root().obj
    if not isinstance(obj, CliContext):  # e.g. invoked through typer's CliRunner without main()
        obj = CliContext(Settings.load())
        ctx.find_root().obj = obj
    return obj


def emit_json(data: Any) -> None:
    """Print JSON for machines: UTF-8, no ASCII escapes, dates as ISO strings."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=1, default=str) + "\n")



class LazyConsole:
    """A rich ``Console`` made on first use: a ``--json`` run prints without importing rich."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Any = None

    def get(self) -> Any:
        """The real console (for rich objects that want one, e.g. ``Progress(console=…)``)."""
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return self._console

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.get(), name)


class LazyModule(ModuleType):
    """A stage module imported on first attribute access, so ``shucang --help`` starts fast."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self._target: ModuleType | None = None

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        if self._target is None:
            self._target = importlib.import_module(self.__name__)
        return getattr(self._target, attr)


def lazy_module(name: str) -> Any:
    return LazyModule(name)


def operator_name(name: str | None = None) -> str:
    """Who a CLI step is recorded under: ``--actor NAME`` when given, else the local operator
    (``cli:<OS user>``, the one :func:`shucang.share.access.cli_actor`)."""
    if name and name.strip():
        return name.strip()[:128]
    from shucang.share.access import cli_actor

    return cli_actor().name
