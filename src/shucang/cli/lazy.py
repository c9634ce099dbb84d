"""The root command group imports a command module only when one of its commands runs.

Importing every command module costs a third of a small ingest (rich tables, each stage's imports);
``shucang ingest`` needs ``warehouse_cmds`` alone, and of it only the ``ingest`` command converted.
:data:`COMMANDS` says which module registers which top-level name, so a command loads its own module;
a name not in it (a command added without an entry here) loads every module, as does ``--help`` — so
every command is always listed and found, and ``tests/test_cli_startup.py`` checks the table against
what the modules register.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, MutableMapping
from typing import Any

import typer
from typer.core import TyperGroup
from typer.main import get_command_name

COMMANDS: dict[str, str] = {
    **dict.fromkeys(("init", "ingest", "datasets", "show", "versions", "rejects", "sql", "check", "demo", "serve"),
                    "warehouse_cmds"),
    **dict.fromkeys(("scan", "classify", "review"), "classify_cmds"),
    **dict.fromkeys(("extract", "trace", "recipients", "extracts", "protect"), "protect_cmds"),
    **dict.fromkeys(("users", "tokens", "requests", "grants", "audit", "opendata"), "share_cmds"),
    "plan": "plan_cmds",
    "economy": "economy_cmds",
    **dict.fromkeys(("signs", "alerts"), "city_cmds"),
    "sources": "sources_cmds",
    **dict.fromkeys(("restore", "backup"), "backup_cmds"),
    "warm": "warm_cmds",
}
"""Top-level command or group name → the module of ``shucang.cli`` that registers it."""


def module_commands(module_name: str) -> tuple[list[str], list[str]]:
    """The (commands, groups) one command module registers, in its order."""
    app = _module_app(module_name)
    commands = [info.name or info.callback.__name__.replace("_", "-") for info in app.registered_commands
                if info.callback is not None]
    return commands, [g.name for g in app.registered_groups if g.name]


def _module_app(module_name: str) -> typer.Typer:
    from shucang.cli import audited

    module = importlib.import_module(f"shucang.cli.{module_name}")
    app = typer.Typer()
    module.register(app)
    audited.install(app)  # every CLI data access audited (issue 15)
    return app


class LazyCommands(TyperGroup):
    """A Typer group whose commands come from the modules of ``shucang.cli`` on first use."""

    modules: tuple[str, ...] = ()
    """Every command module, in registration (and ``--help``) order; set by :func:`lazy_group`."""

    def __init__(self, **kwargs: Any) -> None:
        self._loaded: dict[str, tuple[list[str], list[str]]] = {}
        self._apps: dict[str, typer.Typer] = {}
        super().__init__(**kwargs)

    # ``commands`` read from outside (help, docs tests, typer internals) is always complete; the
    # command lookup below reads ``_commands`` and loads one module only.
    @property
    def commands(self) -> MutableMapping[str, Any]:
        self._load(self.modules)
        return self._commands

    @commands.setter
    def commands(self, value: MutableMapping[str, Any]) -> None:
        self._commands = value

    def _load(self, module_names: Iterable[str]) -> None:
        for module_name in module_names:
            if module_name in self._loaded:
                continue
            kept = self._apps.pop(module_name) if module_name in self._apps else None
            group = typer.main.get_group(kept or _module_app(module_name))
            commands = [n for n, c in group.commands.items() if not isinstance(c, TyperGroup)]
            groups = [n for n in group.commands if n not in commands]
            for name, command in group.commands.items():
                self._commands.setdefault(name, command)
            self._loaded[module_name] = (commands, groups)

    def _load_command(self, module_name: str, cmd_name: str) -> None:
        """Only the command asked for: typer reads the type hints of every command it converts (about
        3 ms each), and a run needs one. A group name loads its whole module."""
        app = self._apps.get(module_name)
        if app is None:
            app = self._apps[module_name] = _module_app(module_name)
        for info in app.registered_commands:
            if info.callback is not None and (info.name or get_command_name(info.callback.__name__)) == cmd_name:
                self._commands[cmd_name] = typer.main.get_command_from_info(
                    info, pretty_exceptions_short=app.pretty_exceptions_short, rich_markup_mode=app.rich_markup_mode)
                return
        self._load([module_name])

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in self._commands:
            module_name = COMMANDS.get(cmd_name)
            if module_name in self.modules:
                self._load_command(module_name, cmd_name)
            if cmd_name not in self._commands:
                self._load(self.modules)
        return self._commands.get(cmd_name)

    def list_commands(self, ctx: Any) -> list[str]:
        """Commands, then groups, each in module order (as one eagerly registered app listed them)."""
        self._load(self.modules)
        commands = [n for m in self.modules for n in self._loaded[m][0]]
        groups = [n for m in self.modules for n in self._loaded[m][1]]
        return [*commands, *groups]


def lazy_group(modules: Iterable[str]) -> type[LazyCommands]:
    """The group class for ``typer.Typer(cls=…)``, loading from ``modules`` (names in ``shucang.cli``)."""
    return type("ShucangCommands", (LazyCommands,), {"modules": tuple(modules)})
