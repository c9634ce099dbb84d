"""CLI of the city stage (城市大脑): ``shucang signs add|list|show|evaluate`` and
``shucang alerts list|show|ack|dispatch|handle|close|deliver|loop`` and ``shucang alerts webhook add|list``.

Handling steps are audited under the operator's login name (``cli:<login>``, or ``--actor``).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import typer

from shucang.cli.context import emit_json, get_context, operator_name
from shucang.errors import InputError

if TYPE_CHECKING:
    from shucang.warehouse import Warehouse

signs_app = typer.Typer(help="城市体征 (city vital signs: add, list, evaluate)", no_args_is_help=True)
alerts_app = typer.Typer(help="城市体征告警 (alerts: list, acknowledge, dispatch, handle, close; webhooks)",
                         no_args_is_help=True)
webhook_app = typer.Typer(help="告警通知 webhook (钉钉/浙政钉 group robots)", no_args_is_help=True)

JSON = typer.Option(False, "--json", help="print JSON")
ACTOR = typer.Option(None, "--actor", help="name recorded in the audit trail (default: cli:<login>)")
NOTE = typer.Option("", "--note", help="what was done or why")


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the root app."""
    app.add_typer(signs_app, name="signs")
    alerts_app.add_typer(webhook_app, name="webhook")
    app.add_typer(alerts_app, name="alerts")


_actor = operator_name


def _wh(ctx: typer.Context) -> Any:
    return get_context(ctx).warehouse()


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    return f"{value:,.6g}" if isinstance(value, float) else str(value)


@signs_app.command("add")
def add_cmd(ctx: typer.Context, name: str = typer.Argument(..., help="sign id, e.g. water_level"),
            dataset: str = typer.Option(..., "--dataset", help="the one dataset the query reads"),
            sql: str = typer.Option(..., "--sql", help="SELECT … AS grp, … AS value [, … AS at] FROM DATASET …"),
            yellow_above: float | None = typer.Option(None, "--yellow-above", help="关注 above this value"),
            red_above: float | None = typer.Option(None, "--red-above", help="预警 above this value"),
            yellow_below: float | None = typer.Option(None, "--yellow-below", help="关注 below this value"),
            red_below: float | None = typer.Option(None, "--red-below", help="预警 below this value"),
            history_weeks: int | None = typer.Option(None, "--history-weeks",
                                                     help="band relative to history: same weekday over N weeks"),
            yellow_k: float = typer.Option(2.0, "--yellow-k", help="history band: 关注 beyond mean ± kσ"),
            red_k: float = typer.Option(3.0, "--red-k", help="history band: 预警 beyond mean ± kσ"),
            unit: str | None = typer.Option(None, "--unit"),
            department: str | None = typer.Option(None, "--department", help="owning department code"),
            title: str | None = typer.Option(None, "--title", help="display name (Chinese first)"),
            kind: str | None = typer.Option(None, "--kind", help="hotline|gov_service|enterprise|water|air|traffic|power|other"),
            consecutive: int | None = typer.Option(None, "--consecutive", help="readings before open/recover"),
            cadence: str | None = typer.Option(None, "--cadence", help="daily|weekly|monthly|quarterly|yearly"),
            public: bool = typer.Option(False, "--open", help="values may be shown to anyone"),
            replace: bool = typer.Option(False, "--replace", help="overwrite a sign of the same id in the home"),
            as_json: bool = JSON) -> None:
    """Add a sign to <home>/signs/NAME.yaml (validated like the bundled ones), then evaluate it."""
    from shucang.city.definitions import add_sign
    from shucang.city.evaluate import evaluate

    wh = _wh(ctx)
    values: dict[str, Any] = dict(id=name, title=title, dataset=dataset, sql=sql, unit=unit, department=department,
                                  kind=kind, yellow_above=yellow_above, red_above=red_above,
                                  yellow_below=yellow_below, red_below=red_below, consecutive=consecutive,
                                  cadence=cadence, open=public or None)
    if history_weeks is not None:
        values["history"] = {"weeks": history_weeks, "yellow_k": yellow_k, "red_k": red_k}
    sign = add_sign(wh.settings.home, values, replace=replace)
    outcome = evaluate(wh, sign_ids=[sign.id])
    if as_json:
        emit_json({"sign": sign.to_dict(), "evaluation": [o.to_dict() for o in outcome]})
        return
    state = outcome[0].state if outcome else "—"
    typer.echo(f"已添加体征 (sign added) {sign.id} → {wh.settings.home / 'signs' / (sign.id + '.yaml')}; 状态 {state}")


@signs_app.command("list")
def list_cmd(ctx: typer.Context, as_json: bool = JSON) -> None:
    """Every sign with its latest state, value, band and data freshness."""
    from shucang.city.board import board

    entries = board(_wh(ctx))
    if as_json:
        emit_json(entries)
        return
    for e in entries:
        where = f" [{e['group']}]" if e.get("group") else ""
        typer.echo(f"{e['state_label']:<5} {e['id']:<32} {_fmt(e['value'])}{e['unit']}{where}  "
                   f"{e['title']}  ({e['band']})" + (f"  错误: {e['error']}" if e.get("error") else ""))


@signs_app.command("show")
def show_cmd(ctx: typer.Context, name: str = typer.Argument(...), as_json: bool = JSON) -> None:
    """One sign: definition and latest reading per group."""
    from shucang.city.board import board

    entry = next((e for e in board(_wh(ctx)) if e["id"] == name), None)
    if entry is None:
        from shucang.errors import NotFound

        raise NotFound(f"没有编号为 {name!r} 的体征 (no such sign)", hint="see `shucang signs list`")
    if as_json:
        emit_json(entry)
        return
    typer.echo(f"{entry['id']}  {entry['title']}  [{entry['state_label']}]  {entry['band']}")
    for g in entry["groups"]:
        typer.echo(f"  {g['level']:<6} {g['grp']}: {_fmt(g['value'])}{entry['unit']}")


@signs_app.command("evaluate")
def evaluate_cmd(ctx: typer.Context, dataset: str | None = typer.Option(None, "--dataset", help="only its signs"),
                 sign: list[str] = typer.Option(None, "--sign", help="only these signs (repeatable)"),
                 no_deliver: bool = typer.Option(False, "--no-deliver", help="leave notifications queued"),
                 as_json: bool = JSON) -> None:
    """Evaluate the signs over the current data (for cron or a systemd timer); idempotent per data version."""
    from shucang.city.evaluate import evaluate
    from shucang.city.notify import deliver

    wh = _wh(ctx)
    outcomes = evaluate(wh, dataset=dataset, sign_ids=sign or None)
    report = deliver(wh).to_dict() if not no_deliver else None
    if as_json:
        emit_json({"signs": [o.to_dict() for o in outcomes], "events": sum(len(o.events) for o in outcomes),
                   "delivery": report})
        return
    for o in outcomes:
        note = "（数据未变，跳过 unchanged）" if o.skipped else ", ".join(o.events)
        typer.echo(f"{o.state:<8} {o.sign}  {note}" + (f"  {o.error}" if o.error else ""))


# ------------------------------------------------------------------------------------------ alerts
@alerts_app.command("list")
def alerts_list_cmd(ctx: typer.Context, status: str = typer.Option("open", "--status",
                                                                   help="open|recovered|closed|all"),
                    as_json: bool = JSON) -> None:
    """Alerts (default: open ones), newest first."""
    from shucang.city.alerts import list_alerts

    found = list_alerts(_wh(ctx), status=status)
    if as_json:
        emit_json(found)
        return
    for a in found:
        typer.echo(f"#{a['id']:<5} {a['status']:<9} {a['level']:<6} {a['sign']} [{a['group']}] = {_fmt(a['value'])}"
                   f"{a['unit']}  {a['opened_at']}" + (f"  → {a['dispatched_to']}" if a["dispatched_to"] else ""))


@alerts_app.command("show")
def alerts_show_cmd(ctx: typer.Context, alert_id: int = typer.Argument(...), as_json: bool = JSON) -> None:
    """One alert with its history and the data behind it."""
    from shucang.city.alerts import alert_detail

    _print_alert(alert_detail(_wh(ctx), alert_id), as_json)


def _print_alert(detail: dict[str, Any], as_json: bool, wh: Warehouse | None = None) -> None:
    if wh is not None:  # a handling step queued notifications: send them now (failures retry later)
        from shucang.city.notify import deliver

        deliver(wh)
    if as_json:
        emit_json(detail)
        return
    typer.echo(f"#{detail['id']} {detail['title']} [{detail['group']}] {detail['level']} {detail['status']} "
               f"= {_fmt(detail['value'])}{detail['unit']}")
    for e in detail["events"]:
        typer.echo(f"  {e['at']}  {e['kind']:<12} {e['actor']}  {e['note']}")


@alerts_app.command("ack")
def ack_cmd(ctx: typer.Context, alert_id: int = typer.Argument(...), note: str = NOTE, actor: str | None = ACTOR,
            as_json: bool = JSON) -> None:
    """Acknowledge (签收) an alert."""
    from shucang.city.alerts import acknowledge

    _print_alert(acknowledge(_wh(ctx), alert_id, _actor(actor), note=note), as_json, _wh(ctx))


@alerts_app.command("dispatch")
def dispatch_cmd(ctx: typer.Context, alert_id: int = typer.Argument(...),
                 department: str = typer.Option(..., "--department", help="department code to handle it"),
                 deadline: str | None = typer.Option(None, "--deadline", help="ISO date/time, e.g. 2026-12-08T18:00"),
                 hours: float | None = typer.Option(None, "--hours", help="deadline in hours from now (default 24)"),
                 note: str = NOTE, actor: str | None = ACTOR, as_json: bool = JSON) -> None:
    """Dispatch (派单) an alert to a department with a deadline."""
    from shucang.city.alerts import dispatch

    when = None
    if deadline:
        try:
            when = datetime.fromisoformat(deadline)
        except ValueError:
            raise InputError(f"期限格式无效 (invalid deadline) {deadline!r}", hint="e.g. 2026-12-08T18:00") from None
    _print_alert(dispatch(_wh(ctx), alert_id, _actor(actor), department=department, deadline=when, hours=hours,
                          note=note), as_json, _wh(ctx))


@alerts_app.command("handle")
def handle_cmd(ctx: typer.Context, alert_id: int = typer.Argument(...),
               note: str = typer.Option(..., "--note", help="what was done"), actor: str | None = ACTOR,
               as_json: bool = JSON) -> None:
    """Record the handling (处置) of an alert."""
    from shucang.city.alerts import record_handling

    _print_alert(record_handling(_wh(ctx), alert_id, _actor(actor), note=note), as_json, _wh(ctx))


@alerts_app.command("close")
def close_cmd(ctx: typer.Context, alert_id: int = typer.Argument(...), note: str = NOTE,
              actor: str | None = ACTOR, as_json: bool = JSON) -> None:
    """Close (闭环) an alert."""
    from shucang.city.alerts import close

    _print_alert(close(_wh(ctx), alert_id, _actor(actor), note=note), as_json, _wh(ctx))


@alerts_app.command("deliver")
def deliver_cmd(ctx: typer.Context, wait: float = typer.Option(0.0, "--wait", help="keep retrying for N seconds"),
                now: bool = typer.Option(False, "--now", help="retry failed ones now, not at their backoff time"),
                as_json: bool = JSON) -> None:
    """Send queued notifications now (failed ones are retried with backoff)."""
    from shucang.city.notify import deliver

    report = deliver(_wh(ctx), wait=wait, due_only=not now).to_dict()
    if as_json:
        emit_json(report)
        return
    typer.echo(f"已送达 {report['delivered']} · 重试 {report['retried']} · 失败 {report['failed']} · 待发 {report['pending']}")


@webhook_app.command("add")
def webhook_add_cmd(ctx: typer.Context, url: str = typer.Argument(..., help="robot or receiver URL"),
                    department: str | None = typer.Option(None, "--department",
                                                          help="only alerts of (or dispatched to) this department"),
                    actor: str | None = ACTOR, as_json: bool = JSON) -> None:
    """Register a webhook for alert events (opened, escalated, recovered, handled, closed …)."""
    from shucang.city.notify import add_webhook

    hook = add_webhook(_wh(ctx), url, department=department, actor=_actor(actor))
    if as_json:
        emit_json(hook)
        return
    typer.echo(f"已添加 webhook #{hook['id']} ({hook['department'] or '全部'})")


@webhook_app.command("list")
def webhook_list_cmd(ctx: typer.Context, as_json: bool = JSON) -> None:
    """The registered webhooks."""
    from shucang.city.notify import list_webhooks

    hooks = list_webhooks(_wh(ctx))
    if as_json:
        emit_json(hooks)
        return
    for h in hooks:
        typer.echo(f"#{h['id']} {h['department'] or '全部'} {h['url']}")


@alerts_app.command("loop")
def loop_cmd(ctx: typer.Context, as_json: bool = JSON) -> None:
    """The 12345 event loop (全畅通): stages, timeliness per department, overdue tickets, hot topics."""
    from shucang.city.hotline_loop import event_loop

    loop = event_loop(_wh(ctx))
    if as_json:
        emit_json(loop)
        return
    if not loop["available"]:
        typer.echo(f"12345 全流程数据不可用 (not available): {loop['error']}")
        return
    typer.echo("  →  ".join(f"{s['label']} {s['tickets']}" for s in loop["stages"]) + f"   (截至 {loop['as_of']})")
    for d in loop["departments"]:
        typer.echo(f"  {d['department']:<16} 按时办结 {d['on_time_pct']}%  中位 {d['median_hours']} 小时  "
                   f"在办超期 {d['open_overdue']}")
    for town, topics in loop["topics"].items():
        if topics:
            typer.echo(f"  {town}: " + "、".join(f"{t['words']}({t['tickets']})" for t in topics))
