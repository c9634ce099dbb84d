"""Every CLI data access enters the audit chain, whatever the command (issue 15, item 10).

The commands that read or change data — ``sql``, ``extract``, ``ingest``, ``classify``, ``review``,
``rejects``, ``trace``, key and rule operations and plan value changes — are wrapped once, here, at
registration: each run is recorded with the local operator (OS user), the home, the dataset(s) it
touched and its outcome, in the same hash chain as API reads. So ``shucang audit search --dataset X``
answers "who read X" for every door, and no command module has to remember to do it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from shucang.warehouse import Warehouse

AUDITED = {
    "ingest": "ingest", "sql": "sql", "rejects": "rejects", "extract": "export", "trace": "trace",
    "classify": "classify", "review": "classify.review", "protect rule": "protect.rule",
    "protect rotate-key": "protect.rotate_key", "recipients add": "protect.recipient",
    "plan set": "plan.set", "plan unset": "plan.unset", "plan import": "plan.import",
    "plan recompute": "plan.recompute",
}
"""Command path → audit action."""
SKIPPED_ARGS = {"ctx", "json_out", "as_json", "passphrase_file"}
RESERVED = {"dataset", "department", "columns", "filter", "rows", "outcome", "action", "actor", "with_rows", "work",
            "wh"}
"""Arguments named like ``record_event``'s own parameters are kept as ``arg_<name>``."""


def _datasets_of(wh: Warehouse, kwargs: dict[str, Any]) -> list[str]:
    if kwargs.get("dataset"):
        return [str(kwargs["dataset"])]
    query = kwargs.get("query")
    if not isinstance(query, str):
        return []
    known = [info.name for info in wh.list_datasets()]
    return [name for name in known if re.search(rf"(?<![\w.]){re.escape(name)}(?![\w])", query)]


def _record(ctx: typer.Context, action: str, kwargs: dict[str, Any], outcome: str, error: str | None) -> None:
    from shucang.cli.context import get_context
    from shucang.share.access import cli_actor
    from shucang.share.audit import record_event

    context = get_context(ctx)
    wh = context.warehouse()
    details: dict[str, Any] = {(f"arg_{k}" if k in RESERVED else k): (str(v) if v is not None and not isinstance(v, bool | int | float | str)
                                                     else v)
               for k, v in kwargs.items() if k not in SKIPPED_ARGS}
    if isinstance(details.get("query"), str):
        details["query"] = details["query"][:2000]
    if error:
        details["error"] = error[:500]
    details["home"] = str(context.settings.home)
    targets: list[str | None] = [*_datasets_of(wh, kwargs)] or [None]
    for dataset in targets:
        department = None
        if dataset is not None:
            try:
                info = wh.dataset(dataset)
                department, details["version"] = info.department, info.current_version
            except Exception:  # noqa: BLE001 — a failed command may name a dataset that does not exist
                pass
        record_event(wh, cli_actor(context.settings.home), action, outcome=outcome, dataset=dataset,
                     department=department, **details)


def audited(callback: Callable[..., Any], action: str) -> Callable[..., Any]:
    @functools.wraps(callback)
    def run(*args: Any, **kwargs: Any) -> Any:
        ctx = kwargs.get("ctx") or next((a for a in args if isinstance(a, typer.Context)), None)
        try:
            result = callback(*args, **kwargs)
        except typer.Exit as exc:
            if ctx is not None:
                _record(ctx, action, kwargs, "ok" if not exc.exit_code else "failed", None)
            raise
        except Exception as exc:
            from shucang.errors import ShucangError

            if ctx is not None and isinstance(exc, ShucangError):
                _record(ctx, action, kwargs, "failed", exc.message)
            raise
        if ctx is not None:
            _record(ctx, action, kwargs, "ok", None)
        return result

    return run


def install(app: typer.Typer, prefix: str = "") -> None:
    """Wrap the audited commands of ``app`` (and its sub-apps) in place."""
    for info in app.registered_commands:
        if info.callback is None:
            continue
        name = info.name or info.callback.__name__.replace("_", "-")
        action = AUDITED.get(f"{prefix}{name}")
        if action is not None and not getattr(info.callback, "__wrapped__", None):
            info.callback = audited(info.callback, action)
    for group in app.registered_groups:
        if group.typer_instance is not None and group.name:
            install(group.typer_instance, f"{prefix}{group.name} ")
