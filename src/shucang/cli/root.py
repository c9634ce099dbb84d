"""The ``shucang`` command group and the in-process run of one command line.

Commands live in one module per stage (``warehouse_cmds``, ``classify_cmds`` …), each exposing
``register(app)``. Errors meant for users print as one line on stderr with a non-zero exit;
tracebacks appear only with ``--debug``. ``--home DIR`` and ``--debug`` are accepted anywhere on
the command line.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any

import typer

from shucang.cli.context import CliContext
from shucang.cli.lazy import lazy_group
from shucang.errors import ShucangError
from shucang.settings import Settings

# Typer may vendor its own copy of click: take the exception classes from the one it really uses.
ClickException: Any = next(  # click's classes are found at run time, so typed Any
    c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")
_click_exceptions = sys.modules[ClickException.__module__]
ClickExit: Any = tuple({typer.Exit, getattr(_click_exceptions, "Exit", typer.Exit)})
ClickAbort: Any = tuple({typer.Abort, getattr(_click_exceptions, "Abort", typer.Abort)})

# Command modules (each exposing ``register(app)``), imported only when one of their commands runs
# (``shucang.cli.lazy``; add a new module's top-level names to ``lazy.COMMANDS`` too).
COMMAND_MODULES = (
    "warehouse_cmds",
    "classify_cmds",
    "protect_cmds",
    "share_cmds",
    "plan_cmds",
    "economy_cmds",
    "city_cmds",
    "sources_cmds",
    "backup_cmds",
    "warm_cmds",
)

app = typer.Typer(
    name="shucang",
    help="数仓 shucang — 数据仓、分类分级、脱敏水印、共享管控与规划监测。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=lazy_group(COMMAND_MODULES),
)


@app.callback()
def _root() -> None:
    """The commands come from ``COMMAND_MODULES`` (typer builds a group only for an app with a callback)."""


def _pull_global_options(argv: list[str]) -> tuple[list[str], str | None, bool]:
    """Take ``--home DIR``/``--home=DIR`` and ``--debug`` out of argv wherever they stand."""
    rest: list[str] = []
    home: str | None = None
    debug = False
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            rest.extend(argv[i:])
            break
        if arg == "--home" and i + 1 < len(argv):
            home = argv[i + 1]
            i += 2
            continue
        if arg.startswith("--home="):
            home = arg.split("=", 1)[1]
        elif arg == "--debug":
            debug = True
        else:
            rest.append(arg)
        i += 1
    return rest, home, debug


def main(argv: Sequence[str] | None = None) -> None:
    """Run one command line in this process (``shucang.cli.main``, the script's entry point, may first
    hand it to a warm server; a warm server's child calls this)."""
    # numpy's OpenBLAS starts a spinning thread per core at import (~0.1 s CPU of a 2-core machine,
    # taken from the reader and writer threads); shucang does no linear algebra.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    args, home, debug = _pull_global_options(list(sys.argv[1:] if argv is None else argv))
    debug = debug or os.environ.get("SHUCANG_DEBUG") == "1"
    settings = Settings.load(home, debug=debug)
    ctx = CliContext(settings)
    command = typer.main.get_command(app)
    try:
        code = command.main(args=args, prog_name="shucang", obj=ctx, standalone_mode=False)
        if isinstance(code, int) and code != 0:  # typer.Exit(n) comes back as a return value here
            sys.exit(code)
    except ClickExit as exc:
        sys.exit(exc.exit_code)
    except ClickAbort:
        print("已取消 (aborted)", file=sys.stderr)
        sys.exit(130)
    except ClickException as exc:
        hint = " (see `shucang --help`)" if type(exc).__name__ in ("UsageError", "NoSuchOption", "MissingParameter",
                                                                   "BadParameter", "BadOptionUsage") else ""
        print(f"错误: {exc.format_message()}{hint}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except ShucangError as exc:
        if debug:
            raise
        print(f"错误: {exc}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("已中断 (interrupted)", file=sys.stderr)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    except Exception as exc:  # noqa: BLE001 — the last line of defence: no traceback for users
        if isinstance(exc, RuntimeError) and str(exc) == "Query interrupted":  # DuckDB's word for a Ctrl-C
            print("已中断 (interrupted)", file=sys.stderr)
            sys.exit(130)
        if debug:
            raise
        print(f"内部错误 (internal error): {type(exc).__name__}: {exc}. Re-run with --debug for details.",
              file=sys.stderr)
        sys.exit(2)
    finally:
        ctx.close()
