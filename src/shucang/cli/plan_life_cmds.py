"""CLI commands of the plan's lifecycle: ``shucang plan close|revise|report|new|item|explain``.

Attached to the ``plan`` group by :func:`shucang.cli.plan_cmds.register`. Each is one core call
(``shucang.plan.lifecycle``, ``report``, ``register``, ``nextplan``) plus printing.
"""

from __future__ import annotations

from pathlib import Path

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


@plan_app.command("report")
def report_cmd(ctx: typer.Context, plan_id: str = typer.Argument(..., help="plan id"),
               fmt: str = typer.Option("docx", "--format", "-f", help="docx | xlsx"),
               out: Path = typer.Option(..., "--out", "-o", help="file to write")) -> None:
    """Write the evaluation report (规划实施情况终期评估报告) as DOCX or XLSX."""
    from shucang.plan.report import write_report

    path = write_report(_wh(ctx), plan_id, fmt.lower(), out)
    typer.echo(f"已写出评估报告 (report written): {path}")


@plan_app.command("new")
def new_cmd(ctx: typer.Context, new_id: str = typer.Argument(..., help="id of the new plan, e.g. cixi-15th"),
            source: str = typer.Option(..., "--from", help="the plan whose structure is copied"),
            title: str | None = typer.Option(None, "--title"), start: int | None = typer.Option(None, "--start"),
            end: int | None = typer.Option(None, "--end"),
            out: Path | None = typer.Option(None, "--out", help="default: <home>/plan-drafts/NEW_ID.yaml")) -> None:
    """Draft the next plan: the structure of --from without any figure (fill in, then `plan add`)."""
    from shucang.plan.monitor import load_plan
    from shucang.plan.nextplan import write_new_plan

    wh = _wh(ctx)
    path = write_new_plan(get_context(ctx).settings.home, load_plan(wh, source), new_id, out, title=title,
                          start=start, end=end)
    typer.echo(f"已生成规划草稿 (draft written): {path}\n填写基期值与目标值后运行 `shucang plan add {path}`")


@plan_app.command("explain")
def explain_cmd(ctx: typer.Context, indicator: str = typer.Argument(..., help="indicator id"),
                reason: str = typer.Option(..., "--reason", help="滞后原因"),
                next_steps: str = typer.Option("", "--next", help="下一步措施"),
                plan_id: str | None = typer.Option(None, "--plan", "-p"), actor: str | None = ACTOR) -> None:
    """Write why an indicator lags and what comes next (滞后原因与下一步措施)."""
    from shucang.plan.monitor import load_plan
    from shucang.plan.register import explain

    wh = _wh(ctx)
    explain(wh, load_plan(wh, plan_id), indicator, reason=reason, next_steps=next_steps, actor=_actor(actor))
    typer.echo(f"已记录滞后说明 (explanation saved): {indicator}")


item_app = typer.Typer(help="专栏项目登记 (project register of the key projects)", no_args_is_help=True)
plan_app.add_typer(item_app, name="item")


@item_app.command("set")
def item_set_cmd(ctx: typer.Context, project: str = typer.Argument(..., help="专栏 id, e.g. p10"),
                 item: str = typer.Argument(..., help="item name or its number in the 专栏 (1, 2 …)"),
                 plan_id: str | None = typer.Option(None, "--plan", "-p"),
                 unit: str | None = typer.Option(None, "--unit", help="责任单位"),
                 start: str | None = typer.Option(None, "--start", help="YYYY-MM-DD"),
                 end: str | None = typer.Option(None, "--end", help="YYYY-MM-DD"),
                 planned: str | None = typer.Option(None, "--planned", help="计划投资（万元）"),
                 actual: str | None = typer.Option(None, "--actual", help="实际完成投资（万元）"),
                 progress: str | None = typer.Option(None, "--progress", help="进度 0–100"),
                 status: str | None = typer.Option(None, "--status", help="未开工 | 在建 | 完成 | 滞后"),
                 evidence: str | None = typer.Option(None, "--evidence", help="佐证说明"),
                 link: str | None = typer.Option(None, "--link", help="佐证链接 (http…)"),
                 evidence_file: Path | None = typer.Option(None, "--file", help="佐证文件 (copied into the home)"),
                 actor: str | None = ACTOR, as_json: bool = JSON) -> None:
    """Register or update one 专栏 item (only the options given change)."""
    from shucang.plan.monitor import load_plan
    from shucang.plan.register import set_item, store_evidence

    wh = _wh(ctx)
    plan = load_plan(wh, plan_id)
    stored = store_evidence(wh, plan, plan.project(project).id, evidence_file) if evidence_file else None
    row = set_item(wh, plan, project, item, actor=_actor(actor), unit=unit, start=start, end=end,
                   planned_investment=planned, actual_investment=actual, progress=progress, status=status,
                   evidence_text=evidence, evidence_link=link, evidence_file=stored)
    emit_json(row) if as_json else typer.echo(f"已登记 (registered) {project} {row['item']}: {row['status_label']}")


@item_app.command("milestone")
def item_milestone_cmd(ctx: typer.Context, project: str = typer.Argument(...), item: str = typer.Argument(...),
                       due: str = typer.Argument(..., help="YYYY-MM-DD"), text: str = typer.Argument(...),
                       done: str | None = typer.Option(None, "--done", help="date reached"),
                       plan_id: str | None = typer.Option(None, "--plan", "-p"), actor: str | None = ACTOR) -> None:
    """Add a dated milestone to a 专栏 item."""
    from shucang.plan.monitor import load_plan
    from shucang.plan.register import add_milestone

    wh = _wh(ctx)
    add_milestone(wh, load_plan(wh, plan_id), project, item, due, text, actor=_actor(actor), done=done)
    typer.echo(f"已添加里程碑 (milestone added): {project} {item} {due} {text}")


@item_app.command("list")
def item_list_cmd(ctx: typer.Context, plan_id: str | None = typer.Option(None, "--plan", "-p"),
                  as_json: bool = JSON) -> None:
    """The register: every 专栏 with its items and derived status."""
    from shucang.plan.monitor import load_plan
    from shucang.plan.register import project_register

    wh = _wh(ctx)
    projects = project_register(wh, load_plan(wh, plan_id))
    if as_json:
        emit_json(projects)
        return
    for p in projects:
        typer.echo(f"专栏{p['number']} {p['title']}：{p['status_label']}（登记 {p['registered']}/{len(p['items'])}）")
        for it in p["items"]:
            r = it["record"]
            typer.echo(f"    {it['name']}: " + (f"{r['status_label']} {r['unit']} 进度 {_fmt(r['progress'])}%"
                                                if r else "未登记"))


@item_app.command("export")
def item_export_cmd(ctx: typer.Context, out: Path = typer.Option(..., "--out", "-o"),
                    plan_id: str | None = typer.Option(None, "--plan", "-p")) -> None:
    """Write the register's XLSX template (one row per 专栏 item)."""
    from shucang.plan.monitor import load_plan
    from shucang.plan.register_workbook import export_register

    wh = _wh(ctx)
    typer.echo(f"已写出登记模板 (template written): {export_register(wh, out, load_plan(wh, plan_id))}")


@item_app.command("import")
def item_import_cmd(ctx: typer.Context, file: Path = typer.Argument(...),
                    plan_id: str | None = typer.Option(None, "--plan", "-p"), actor: str | None = ACTOR) -> None:
    """Import a filled-in register template (all rows or none)."""
    from shucang.plan.monitor import load_plan
    from shucang.plan.register_workbook import import_register

    if not file.is_file():
        raise InputError(f"文件不存在 (file not found): {file}")
    wh = _wh(ctx)
    done = import_register(wh, file, load_plan(wh, plan_id), actor=_actor(actor))
    typer.echo(f"已导入 (imported) {done['items']} 个项目")


