"""CLI commands of the plan stage: ``shucang plan list|show|status|set|unset|history|series|rollup|index|
import|export|recompute|validate|add``.

Writes are audited under ``--actor`` (default ``cli:<login name>``, the local operator who owns the
warehouse files). With no plan named, commands use the bundled Cixi plan (``cixi-14th``).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import typer

from shucang.cli.context import emit_json, get_context, operator_name
from shucang.errors import Conflict, InputError

plan_app = typer.Typer(help="规划监测 (plan monitoring: targets, actual values, progress, projections)",
                       no_args_is_help=True)

PLAN = typer.Option(None, "--plan", "-p", help="plan id (default: the bundled cixi-14th)")
JSON = typer.Option(False, "--json", help="print JSON")
ACTOR = typer.Option(None, "--actor", help="name recorded in the audit trail (default: cli:<login>)")


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the root app."""
    from shucang.cli import plan_life_cmds  # noqa: F401 — attaches close, revise, report … to plan_app

    app.add_typer(plan_app, name="plan")


_actor = operator_name


def _fmt(x: Any, digits: int = 2) -> str:
    if x is None:
        return "—"
    if isinstance(x, float):
        return f"{x:,.{digits}f}".rstrip("0").rstrip(".") if abs(x) < 1e15 else str(x)
    return str(x)


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f}%"


def _wh(ctx: typer.Context) -> Any:
    return get_context(ctx).warehouse()


@plan_app.command("list")
def list_cmd(ctx: typer.Context, as_json: bool = JSON) -> None:
    """List the plans (bundled and in <home>/plans)."""
    from shucang.plan import list_plans

    plans = list_plans(_wh(ctx))
    if as_json:
        emit_json(plans)
        return
    for p in plans:
        marks = ("  ★默认" if p["default"] else "") + (f"  已关闭 {p['closed']['at'][:10]}" if p["closed"] else "")
        typer.echo(f"{p['id']}  {p['title']}  {p['period'][0]}–{p['period'][1]}  "
                   f"指标 {p['indicators']} · 文中目标 {p['targets']} · 专栏 {p['projects']}  [{p['origin']}]{marks}")


@plan_app.command("show")
def show_cmd(ctx: typer.Context, plan_id: str | None = typer.Argument(None, help="plan id"),
             as_json: bool = JSON) -> None:
    """Show a plan: indicators, text targets, zones, tasks and key projects."""
    from shucang.plan import load_plan, plan_detail

    plan = load_plan(_wh(ctx), plan_id)
    if as_json:
        emit_json(plan_detail(plan))
        return
    typer.echo(f"{plan.title} ({plan.id}) {plan.start_year}–{plan.end_year}，基期 {plan.baseline_year}")
    for cat in plan.categories:
        typer.echo(f"\n【{cat.name}】")
        for ind in (i for i in plan.indicators if i.category == cat.id):
            base = ind.baseline.value if ind.baseline and ind.baseline.value is not None else "/"
            typer.echo(f"  {ind.id:34} {ind.name}（{ind.unit}） {_fmt(base)} → {_fmt(ind.target.value)}"
                       f"  [{ind.source}]")
    typer.echo("\n【文中及专栏目标】")
    for ind in plan.targets:
        typer.echo(f"  {ind.id:34} {ind.name}（{ind.unit}） → {_fmt(ind.target.value)}  {ind.section}")
    typer.echo("\n【空间布局】")
    for z in plan.zones:
        typer.echo(f"  {z.id:22} {z.name}: {'、'.join(z.towns)}{'' if z.towns_from_text else '（推定）'}")
    typer.echo("\n【主要任务】")
    for t in plan.all_tasks():
        typer.echo(f"  {'  ' * t.id.count('.')}{t.id:8} {t.number}{t.title}")
    typer.echo("\n【专栏】")
    for p in plan.projects:
        typer.echo(f"  专栏{p.number}：{p.title}")


@plan_app.command("status")
def status_cmd(ctx: typer.Context, plan_id: str | None = typer.Argument(None, help="plan id"),
               scope: str = typer.Option("main", "--scope", help="main | text | project | all"),
               as_of: int | None = typer.Option(None, "--as-of", help="only values up to this year"),
               as_json: bool = JSON) -> None:
    """Progress of every indicator: latest value, completion, status, projection."""
    from shucang.plan import plan_status

    rows = [r.to_dict() for r in plan_status(_wh(ctx), plan_id, scope=scope, as_of=as_of)]
    if as_json:
        emit_json(rows)
        return
    import sys

    if not sys.stdout.isatty():  # pipes and files get one plain line per indicator
        for r in rows:
            typer.echo(f"{r['id']}\t{r['name']}\t{r['unit']}\t{_fmt(r['baseline'])}\t{_fmt(r['target'])}\t"
                       f"{_fmt(r['latest'])}\t{_fmt(r['latest_year'])}\t{_pct(r['completion'])}\t{r['status']}")
        return
    from rich.console import Console
    from rich.table import Table

    closed = rows[0].get("frozen") if rows else None
    caption = f"规划已于 {closed['at'][:10]} 关闭，数值已冻结 (closed: figures frozen)" if closed else None
    table = Table(title="规划指标进展 (plan status)", show_lines=False, caption=caption)
    for col in ("指标", "单位", "基期", "目标", "最新", "年份", "完成度", "状态", "预测", "来源"):
        table.add_column(col)
    colours = {"met": "green", "largely_met": "cyan", "lagging": "red", "no_data": "dim"}
    for r in rows:
        table.add_row(r["short_name"], r["unit"], _fmt(r["baseline"]), _fmt(r["target"]), _fmt(r["latest"]),
                      _fmt(r["latest_year"]), _pct(r["completion"]),
                      f"[{colours[r['status_code']]}]{r['status']}[/]",
                      f"{_fmt(r['projection'])} ({r['projection_method'] or '—'})",
                      (r["latest_source"] or "—") + (" ⚠过期" if r["stale"] else ""))
    Console().print(table)


@plan_app.command("set")
def set_cmd(ctx: typer.Context, indicator: str = typer.Argument(..., help="indicator id"),
            period: str = typer.Argument(..., help="2023, 2023Q2 or 2023-06"),
            value: str = typer.Argument(..., help="the figure, in the indicator's unit (85.3; never 85,3)"),
            plan_id: str | None = PLAN, note: str = typer.Option("", "--note", help="why / where from"),
            source: str = typer.Option("manual", "--source", help="manual, a publication name, …"),
            confirm: bool = typer.Option(False, "--confirm", help="accept a jump beyond the plan's factor (needs --note)"),
            actor: str | None = ACTOR, as_json: bool = JSON) -> None:
    """Enter or correct one value (checked, then audited: who, when, source, note, old → new)."""
    from shucang.plan import set_actual

    row = set_actual(_wh(ctx), plan_id, indicator, period, value, actor=_actor(actor), source=source, note=note,
                     confirm=confirm)
    if as_json:
        emit_json(row)
    else:
        typer.echo(f"{'已记录' if row['changed'] else '未变化'} ({'saved' if row['changed'] else 'unchanged'}) "
                   f"{indicator} {row['period']} = {_fmt(row['value'])}")


@plan_app.command("unset")
def unset_cmd(ctx: typer.Context, indicator: str = typer.Argument(...), period: str = typer.Argument(...),
              plan_id: str | None = PLAN, note: str = typer.Option("", "--note"), actor: str | None = ACTOR,
              as_json: bool = JSON) -> None:
    """Delete one value (audited)."""
    from shucang.plan import delete_actual

    removed = delete_actual(_wh(ctx), plan_id, indicator, period, actor=_actor(actor), note=note)
    emit_json(removed) if as_json else typer.echo(f"已删除 (deleted) {indicator} {removed['period']}")


@plan_app.command("history")
def history_cmd(ctx: typer.Context, indicator: str | None = typer.Argument(None, help="indicator id"),
                plan_id: str | None = PLAN, limit: int = typer.Option(50, "--limit", min=1),
                as_json: bool = JSON) -> None:
    """The audit trail of value changes, newest first."""
    from shucang.plan import value_history

    entries = [e.to_dict() for e in value_history(_wh(ctx), plan_id, indicator, limit=limit)]
    if as_json:
        emit_json(entries)
        return
    for e in entries:
        typer.echo(f"{e['at'][:19]}  {e['actor']:20} {e['action']:8} {e['indicator_id']} {e['period']}: "
                   f"{_fmt(e['old_value'])} → {_fmt(e['new_value'])}  [{e['source'] or '—'}] {e['note']}")


@plan_app.command("series")
def series_cmd(ctx: typer.Context, indicator: str = typer.Argument(...), plan_id: str | None = PLAN,
               as_json: bool = JSON) -> None:
    """One indicator's values over time, with status and projections."""
    from shucang.plan import indicator_series

    data = indicator_series(_wh(ctx), plan_id, indicator)
    if as_json:
        emit_json(data)
        return
    s = data["status"]
    typer.echo(f"{s['name']}（{s['unit']}） 基期 {_fmt(s['baseline'])} → 目标 {_fmt(s['target'])} "
               f"({s['target_year']})  状态 {s['status']}")
    for v in data["values"]:
        lineage = f" ← {v['lineage']}" if v["lineage"] else ""
        typer.echo(f"  {v['period']:8} {_fmt(v['value']):>12}  [{v['source']}]{lineage}")
    typer.echo(f"  预测 {s['projection_year']}: {_fmt(s['projection'])} ({s['projection_method'] or '—'})")


@plan_app.command("rollup")
def rollup_cmd(ctx: typer.Context, by: str = typer.Option("category", "--by",
                                                         help="category | zone | task | subtask | project"),
               plan_id: str | None = PLAN, as_json: bool = JSON) -> None:
    """Status counts and mean completion by category, zone, task or key project."""
    from shucang.plan import rollups

    groups = rollups(_wh(ctx), plan_id, by)
    if as_json:
        emit_json(groups)
        return
    for g in groups:
        counts = " ".join(f"{k}{v}" for k, v in g["by_status"].items() if v)
        typer.echo(f"{g['name']}: {g['count']} 项  {counts or '—'}  平均完成度 {_pct(g['mean_completion'])}")


@plan_app.command("index")
def index_cmd(ctx: typer.Context, plan_id: str | None = PLAN, as_json: bool = JSON) -> None:
    """The composite index per year, computed transparently, beside the official value."""
    from shucang.plan import composite_index

    data = composite_index(_wh(ctx), plan_id)
    if as_json:
        emit_json(data)
        return
    typer.echo(f"{data['name']}（官方值: {data['official_indicator']}）")
    for p in data["points"]:
        typer.echo(f"  {p['year']}: 测算 {_fmt(p['value'])}  官方 {_fmt(p['official'])}  "
                   f"覆盖 {_pct(p['coverage'])}")


@plan_app.command("export")
def export_cmd(ctx: typer.Context, out: Path = typer.Option(..., "--out", "-o", help="XLSX file to write"),
               plan_id: str | None = PLAN, scope: str = typer.Option("all", "--scope")) -> None:
    """Write the XLSX entry template (one row per indicator, one column per year)."""
    from shucang.plan import export_template

    path = export_template(_wh(ctx), out, plan_id, scope=scope)
    typer.echo(f"已写出模板 (template written): {path}")


@plan_app.command("import")
def import_cmd(ctx: typer.Context, file: Path = typer.Argument(..., help="filled-in .xlsx or a .yaml value file"),
               plan_id: str | None = PLAN, source: str | None = typer.Option(None, "--source"),
               note: str = typer.Option("", "--note"), actor: str | None = ACTOR,
               include_computed: bool = typer.Option(False, "--include-computed",
                                                     help="also take values of computed indicators"),
               confirm: bool = typer.Option(False, "--confirm", help="accept jumps beyond the plan's factor (needs --note)"),
               as_json: bool = JSON) -> None:
    """Import values (all or nothing; every change audited)."""
    from shucang.plan import import_actuals

    report = import_actuals(_wh(ctx), file, plan_id, actor=_actor(actor), source=source, note=note,
                            include_computed=include_computed, confirm=confirm)
    if as_json:
        emit_json(report)
    else:
        typer.echo(f"已导入 (imported) {report['written']} 个数值，未变化 {report['unchanged']}，"
                   f"跳过计算指标 {len(report['skipped_computed'])}")


@plan_app.command("recompute")
def recompute_cmd(ctx: typer.Context, plan_id: str | None = PLAN,
                  stale_only: bool = typer.Option(False, "--stale-only", help="only where the data changed"),
                  force: bool = typer.Option(False, "--force", help="also overwrite values entered by hand"),
                  rewrite_final: bool = typer.Option(False, "--rewrite-final",
                                                     help="also rewrite years whose data were final"),
                  version: list[str] = typer.Option([], "--version", help="pin DATASET=VERSION (repeatable)"),
                  actor: str | None = ACTOR, as_json: bool = JSON) -> None:
    """Recompute metric values from the warehouse (recording dataset versions as lineage)."""
    from shucang.plan import recompute

    versions: dict[str, int] = {}
    for item in version:
        name, sep, number = item.partition("=")
        if not sep or not number.strip().isdigit():
            raise InputError(f"--version 须写成 数据集=版本 (DATASET=VERSION), got {item!r}")
        versions[name.strip()] = int(number)
    report = recompute(_wh(ctx), plan_id, actor=_actor(actor) if actor else "system:recompute", force=force,
                       stale_only=stale_only, versions=versions or None, rewrite_final=rewrite_final)
    if as_json:
        emit_json(report)
        return
    for c in report["computed"]:
        typer.echo(f"{c['indicator']:34} {c['metric']:34} 更新 {len(c['changed'])} 年 ← {c['lineage']}")
        if c.get("kept_final"):
            typer.echo(f"{'':34} 保留已定稿年份 (kept final years): {', '.join(c['kept_final'])}")
        if c.get("caliber_note"):
            typer.echo(f"{'':34} {c['caliber_note']}")
    for e in report["errors"]:
        typer.echo(f"{e['indicator']:34} 错误 (error): {e['error']}", err=True)
    typer.echo(f"共更新 {report['changed']} 个数值 (values changed)")


@plan_app.command("validate")
def validate_cmd(file: Path = typer.Argument(..., help="a plan YAML file"), as_json: bool = JSON) -> None:
    """Check a plan file; errors name the line and field."""
    from shucang.plan.loader import load_plan_file
    from shucang.plan.monitor import plan_summary

    plan = load_plan_file(file, "file")
    emit_json({"ok": True, **plan_summary(plan)}) if as_json else typer.echo(
        f"有效 (valid): {plan.id} {plan.title}，指标 {len(plan.indicators)}，目标 {len(plan.targets)}")


@plan_app.command("add")
def add_cmd(ctx: typer.Context, file: Path = typer.Argument(..., help="a plan YAML file"),
            replace: bool = typer.Option(False, "--replace", help="overwrite a plan of the same file name")) -> None:
    """Validate a plan file and copy it into <home>/plans so it is monitored beside the others."""
    from shucang.plan.loader import load_plan_file

    plan = load_plan_file(file, "file")
    target_dir = get_context(ctx).settings.home / "plans"
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / f"{plan.id}.yaml"
    if target.exists() and not replace:
        raise Conflict(f"已有规划文件 {target.name} (plan file exists)", hint="use --replace to overwrite it")
    shutil.copyfile(file, target)
    typer.echo(f"已添加规划 (plan added): {plan.id} → {target}")
