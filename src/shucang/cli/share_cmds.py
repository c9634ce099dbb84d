"""CLI commands of the share stage: users, tokens, requests, grants, audit, opendata.

The CLI runs as the local operator (who owns the warehouse files) with admin rights, unless
``--as USER`` names the user to act as — then the same permission check as the API applies and
the audit log records that user.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

import typer

from shucang.cli.context import emit_json, get_context, lazy_module
from shucang.errors import InputError

if TYPE_CHECKING:
    from shucang.share.access import Actor

# Stage modules load on first use: `shucang --help` and other stages' commands stay fast.
audit_log = lazy_module("shucang.share.audit")
workflow = lazy_module("shucang.share.grants")
identity = lazy_module("shucang.share.identity")
opendata = lazy_module("shucang.share.opendata")


def record_event(*args: Any, **kwargs: Any) -> Any:
    return audit_log.record_event(*args, **kwargs)

users_app = typer.Typer(help="用户与角色 (users and roles: admin / steward / consumer)", no_args_is_help=True)
tokens_app = typer.Typer(help="API 令牌 (API tokens: shown once, stored hashed, revocable, expiring)",
                         no_args_is_help=True)
requests_app = typer.Typer(help="数据申请与审批 (access requests and approvals)", no_args_is_help=True)
grants_app = typer.Typer(help="数据授权 (grants)", no_args_is_help=True)
audit_app = typer.Typer(help="审计日志 (audit log: search, verify the hash chain)", no_args_is_help=True)
opendata_app = typer.Typer(help="公共数据开放 (open data: publish, unpublish, rate)", no_args_is_help=True)

AS_USER = typer.Option(None, "--as", help="act as this user (default: the local operator, with admin rights)")
JSON = typer.Option(False, "--json", help="print JSON")


def _actor(ctx: typer.Context, as_user: str | None) -> Actor:
    wh = get_context(ctx).warehouse()
    if as_user:
        user = identity.get_user(wh, as_user)
        if user.disabled:
            raise InputError(f"用户 {as_user} 已停用 (user disabled)")
        return user.actor("cli")
    from shucang.share.access import cli_actor

    return cli_actor()


def _filter(text: str | None) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise InputError(f"--filter 不是有效的 JSON (--filter is not JSON): {exc}",
                         hint='e.g. --filter \'{"column": "town", "op": "=", "value": "周巷镇"}\'') from exc


def _cols(text: str | None) -> list[str] | None:
    return [c.strip() for c in text.split(",") if c.strip()] if text else None


def _password(from_stdin: bool, *, required: bool) -> str | None:
    if from_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise InputError("标准输入没有密码 (no password on stdin)")
        return line
    if sys.stdin.isatty():
        return str(typer.prompt("密码 (password)", hide_input=True, confirmation_prompt=True))
    if required:
        raise InputError("需要密码 (a password is needed)", hint="pipe it with --password-stdin")
    return None


def _print_rows(rows: list[dict[str, Any]], keys: list[str]) -> None:
    if not rows:
        typer.echo("（无 / none）")
        return
    for row in rows:
        typer.echo("  ".join(f"{k}={row.get(k)}" for k in keys))


# ---------------------------------------------------------------------------------------------- users
@users_app.command("add")
def users_add(ctx: typer.Context, name: str, role: str = typer.Option(..., "--role", help="admin|steward|consumer"),
              department: str | None = typer.Option(None, "--department", "-d"),
              clearance: int | None = typer.Option(None, "--clearance", min=1, max=4),
              display_name: str = typer.Option("", "--display-name"),
              kind: str = typer.Option("person", "--kind", help="person or app"),
              password_stdin: bool = typer.Option(False, "--password-stdin", help="read the password from stdin"),
              as_json: bool = JSON) -> None:
    """Add a user (also registered as a protection recipient with the same clearance)."""
    wh = get_context(ctx).warehouse()
    password = _password(password_stdin, required=False)
    user = identity.create_user(wh, name, role=role, department=department, clearance=clearance,
                                password=password, display_name=display_name, kind=kind)
    record_event(wh, _actor(ctx, None), "user.create", holder=name, role_given=role, department=department,
                 clearance=user.clearance)
    emit_json(user.to_dict()) if as_json else typer.echo(f"已添加用户 (added) {name} role={role} "
                                                         f"clearance={user.clearance}")


@users_app.command("list")
def users_list(ctx: typer.Context, department: str | None = typer.Option(None, "--department", "-d"),
               as_json: bool = JSON) -> None:
    """List users."""
    found = [u.to_dict() for u in identity.list_users(get_context(ctx).warehouse(), department=department)]
    emit_json(found) if as_json else _print_rows(found, ["name", "role", "department", "clearance", "kind",
                                                         "disabled"])


@users_app.command("disable")
def users_disable(ctx: typer.Context, name: str, enable: bool = typer.Option(False, "--enable", help="re-enable")) -> None:
    """Disable a user (its sessions end; tokens stop working) — or re-enable with --enable."""
    wh = get_context(ctx).warehouse()
    identity.update_user(wh, name, disabled=not enable)
    record_event(wh, _actor(ctx, None), "user.enable" if enable else "user.disable", holder=name)
    typer.echo(f"{'已启用 (enabled)' if enable else '已停用 (disabled)'} {name}")


@users_app.command("set")
def users_set(ctx: typer.Context, name: str, role: str | None = typer.Option(None, "--role"),
              department: str | None = typer.Option(None, "--department", "-d"),
              clearance: int | None = typer.Option(None, "--clearance", min=1, max=4), as_json: bool = JSON) -> None:
    """Change a user's role, department or clearance."""
    wh = get_context(ctx).warehouse()
    changes = {k: v for k, v in {"role": role, "department": department, "clearance": clearance}.items()
               if v is not None}
    if not changes:
        raise InputError("没有要修改的内容 (nothing to change)", hint="--role, --department or --clearance")
    user = identity.update_user(wh, name, **changes)
    record_event(wh, _actor(ctx, None), "user.update", holder=name, changes=changes)
    emit_json(user.to_dict()) if as_json else typer.echo(f"已更新 (updated) {name}")


@users_app.command("passwd")
def users_passwd(ctx: typer.Context, name: str,
                 password_stdin: bool = typer.Option(False, "--password-stdin")) -> None:
    """Set a user's password (also lifts a lock-out and ends its sessions)."""
    wh = get_context(ctx).warehouse()
    identity.set_password(wh, name, _password(password_stdin, required=True) or "")
    record_event(wh, _actor(ctx, None), "user.passwd", holder=name)
    typer.echo(f"已设置密码 (password set) {name}")


# ---------------------------------------------------------------------------------------------- tokens
@tokens_app.command("create")
def tokens_create(ctx: typer.Context, user: str, label: str = typer.Option("", "--label"),
                  days: int = typer.Option(90, "--days", min=1),  # = identity.TOKEN_DEFAULT_DAYS (literal: no import at start-up)
                  rate: int | None = typer.Option(None, "--rate", help="requests per minute", min=1),
                  as_json: bool = JSON) -> None:
    """Create an API token for USER; the secret is printed once."""
    wh = get_context(ctx).warehouse()
    token, secret = identity.create_token(wh, user, label=label, days=days, rate_per_minute=rate)
    record_event(wh, _actor(ctx, None), "token.create", token_id=token.id, holder=user)
    if as_json:
        emit_json({"token": secret, **token.to_dict()})
        return
    typer.echo(secret)
    typer.echo(f"令牌 #{token.id} 只显示这一次，有效期至 {token.expires_at:%Y-%m-%d} "
               f"(token #{token.id} is shown once; expires {token.expires_at:%Y-%m-%d})", err=True)


@tokens_app.command("list")
def tokens_list(ctx: typer.Context, user: str | None = typer.Argument(None), as_json: bool = JSON) -> None:
    """List tokens (never their secrets)."""
    found = [t.to_dict() for t in identity.list_tokens(get_context(ctx).warehouse(), user)]
    emit_json(found) if as_json else _print_rows(found, ["id", "user", "label", "prefix", "expires_at", "active"])


@tokens_app.command("revoke")
def tokens_revoke(ctx: typer.Context, token_id: int) -> None:
    """Revoke a token; it stops working on the next request."""
    wh = get_context(ctx).warehouse()
    token = identity.revoke_token(wh, token_id)
    record_event(wh, _actor(ctx, None), "token.revoke", token_id=token_id, holder=token.user)
    typer.echo(f"已撤销令牌 (revoked token) #{token_id}")


# ---------------------------------------------------------------------------------------------- requests
@requests_app.command("create")
def requests_create(ctx: typer.Context, dataset: str, as_user: str = typer.Option(..., "--as", help="requesting user"),
                    purpose: str = typer.Option(..., "--purpose"), columns: str | None = typer.Option(None, "--columns"),
                    row_filter: str | None = typer.Option(None, "--filter", help="JSON row filter"),
                    days: int = typer.Option(30, "--days"), max_level: int | None = typer.Option(None, "--max-level"),
                    as_json: bool = JSON) -> None:
    """File an access request (申请) as USER."""
    wh = get_context(ctx).warehouse()
    found = workflow.create_request(wh, _actor(ctx, as_user), dataset, purpose=purpose, columns=_cols(columns),
                                    row_filter=_filter(row_filter), duration_days=days, max_level=max_level)
    emit_json(found.to_dict()) if as_json else typer.echo(f"已提交申请 (request filed) #{found.id}")


@requests_app.command("list")
def requests_list(ctx: typer.Context, as_user: str | None = AS_USER, status: str | None = typer.Option(None),
                  dataset: str | None = typer.Option(None), as_json: bool = JSON) -> None:
    """Requests visible to the user (all of them for the operator)."""
    found = [r.to_dict() for r in workflow.list_requests(get_context(ctx).warehouse(), _actor(ctx, as_user),
                                                         status=status, dataset=dataset)]
    emit_json(found) if as_json else _print_rows(found, ["id", "user", "dataset", "status", "max_level",
                                                         "duration_days", "purpose"])


@requests_app.command("show")
def requests_show(ctx: typer.Context, request_id: int, as_user: str | None = AS_USER) -> None:
    """Show one request as JSON."""
    emit_json(workflow.get_request(get_context(ctx).warehouse(), _actor(ctx, as_user), request_id).to_dict())


@requests_app.command("approve")
def requests_approve(ctx: typer.Context, request_id: int, as_user: str | None = AS_USER,
                     columns: str | None = typer.Option(None, "--columns", help="narrow to these columns"),
                     row_filter: str | None = typer.Option(None, "--filter", help="extra JSON row filter (ANDed)"),
                     max_level: int | None = typer.Option(None, "--max-level"),
                     days: int | None = typer.Option(None, "--days"), reason: str | None = typer.Option(None, "--reason"),
                     as_json: bool = JSON) -> None:
    """Approve a request (possibly narrowing it); creates the grant."""
    found, grant = workflow.decide_request(get_context(ctx).warehouse(), _actor(ctx, as_user), request_id,
                                           approve=True, reason=reason, columns=_cols(columns),
                                           row_filter=_filter(row_filter), max_level=max_level, duration_days=days)
    if as_json:
        emit_json({"request": found.to_dict(), "grant": grant.to_dict() if grant else None})
    else:
        typer.echo(f"已批准申请 #{request_id}，授权 #{grant.id if grant else '-'} (approved; grant created)")


@requests_app.command("reject")
def requests_reject(ctx: typer.Context, request_id: int, reason: str = typer.Option(..., "--reason"),
                    as_user: str | None = AS_USER) -> None:
    """Reject a request with a reason."""
    workflow.decide_request(get_context(ctx).warehouse(), _actor(ctx, as_user), request_id, approve=False,
                            reason=reason)
    typer.echo(f"已驳回申请 (rejected) #{request_id}")


@requests_app.command("withdraw")
def requests_withdraw(ctx: typer.Context, request_id: int, as_user: str = typer.Option(..., "--as")) -> None:
    """Withdraw your own pending request."""
    workflow.withdraw_request(get_context(ctx).warehouse(), _actor(ctx, as_user), request_id)
    typer.echo(f"已撤回申请 (withdrawn) #{request_id}")


# ---------------------------------------------------------------------------------------------- grants
@grants_app.command("list")
def grants_list(ctx: typer.Context, as_user: str | None = AS_USER, state: str | None = typer.Option(None),
                dataset: str | None = typer.Option(None), user: str | None = typer.Option(None, "--user"),
                as_json: bool = JSON) -> None:
    """Grants (active, expired, revoked)."""
    found = [g.to_dict() for g in workflow.list_grants(get_context(ctx).warehouse(), _actor(ctx, as_user),
                                                       state=state, dataset=dataset, user=user)]
    emit_json(found) if as_json else _print_rows(found, ["id", "user", "dataset", "state", "max_level",
                                                         "expires_at", "columns"])


@grants_app.command("show")
def grants_show(ctx: typer.Context, grant_id: int, as_user: str | None = AS_USER) -> None:
    """Show one grant as JSON."""
    emit_json(workflow.get_grant(get_context(ctx).warehouse(), _actor(ctx, as_user), grant_id).to_dict())


@grants_app.command("revoke")
def grants_revoke(ctx: typer.Context, grant_id: int, reason: str = typer.Option(..., "--reason"),
                  as_user: str | None = AS_USER) -> None:
    """Revoke a grant: reads under it stop at once."""
    workflow.revoke_grant(get_context(ctx).warehouse(), _actor(ctx, as_user), grant_id, reason=reason)
    typer.echo(f"已撤销授权 (revoked) #{grant_id}")


# ---------------------------------------------------------------------------------------------- audit
@audit_app.command("verify")
def audit_verify(ctx: typer.Context, as_json: bool = JSON) -> None:
    """Recompute the hash chain; exit 1 when any entry was edited, deleted or reordered."""
    report = audit_log.verify(get_context(ctx).warehouse())
    if as_json:
        emit_json(report.to_dict())
    elif report.ok:
        typer.echo(f"审计链完整 (audit chain intact): {report.entries} entries, head {report.head}")
    else:
        for problem in report.problems:
            typer.echo(f"第 {problem['seq']} 条 (entry {problem['seq']}): {problem['problem']} — {problem['message']}",
                       err=True)
    if not report.ok:
        raise typer.Exit(1)


@audit_app.command("search")
def audit_search(ctx: typer.Context, actor: str | None = typer.Option(None, "--actor"),
                 action: str | None = typer.Option(None, "--action", help="e.g. read, export, login, request.*"),
                 dataset: str | None = typer.Option(None, "--dataset"),
                 outcome: str | None = typer.Option(None, "--outcome", help="ok|denied|failed|error"),
                 since: str | None = typer.Option(None, "--since", help="ISO date/time"),
                 until: str | None = typer.Option(None, "--until"), limit: int = typer.Option(100, "--limit"),
                 as_json: bool = JSON) -> None:
    """Search the audit log, newest first."""
    found = [e.to_dict() for e in audit_log.search(get_context(ctx).warehouse(), actor=actor, action=action,
                                                   dataset=dataset, outcome=outcome, since=since, until=until,
                                                   limit=limit)]
    emit_json(found) if as_json else _print_rows(found, ["seq", "at", "actor", "action", "outcome", "dataset",
                                                         "rows"])


# ---------------------------------------------------------------------------------------------- open data
@opendata_app.command("publish")
def opendata_publish(ctx: typer.Context, dataset: str,
                     quasi: str | None = typer.Option(None, "--quasi", help="quasi-identifier columns, comma-separated"),
                     k: int = typer.Option(5, "--k"), as_user: str | None = AS_USER, as_json: bool = JSON) -> None:
    """Open DATASET's level-1 columns after a k-anonymity check over the quasi-identifiers."""
    found = opendata.publish(get_context(ctx).warehouse(), _actor(ctx, as_user), dataset,
                             quasi_identifiers=_cols(quasi) if quasi is not None else None, k=k)
    if as_json:
        emit_json(found.to_dict())
    else:
        typer.echo(f"已开放 (published) {dataset} v{found.version}: {', '.join(found.columns)}; "
                   f"k_min={found.k_min} (k={found.k})")


@opendata_app.command("unpublish")
def opendata_unpublish(ctx: typer.Context, dataset: str, as_user: str | None = AS_USER) -> None:
    """Take DATASET off the open-data portal."""
    opendata.unpublish(get_context(ctx).warehouse(), _actor(ctx, as_user), dataset)
    typer.echo(f"已取消开放 (unpublished) {dataset}")


@opendata_app.command("rate")
def opendata_rate(ctx: typer.Context, as_json: bool = JSON) -> None:
    """公共数据开放率 now (open ÷ catalogued datasets), overall and per department."""
    rate = opendata.open_data_rate(get_context(ctx).warehouse())
    if as_json:
        emit_json(rate)
        return
    typer.echo(f"公共数据开放率 (open-data rate): {rate['rate']:.1%} ({rate['open']}/{rate['total']})")
    for dep in rate["by_department"]:
        typer.echo(f"  {dep['department_name'] or dep['department'] or '—'}: {dep['open']}/{dep['total']}")


@opendata_app.command("list")
def opendata_list(ctx: typer.Context, as_json: bool = JSON) -> None:
    """Open datasets."""
    listing = opendata.open_catalog(get_context(ctx).warehouse())["datasets"]
    emit_json(listing) if as_json else _print_rows(listing, ["name", "title", "department", "version", "columns"])


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the root app."""
    app.add_typer(users_app, name="users")
    app.add_typer(tokens_app, name="tokens")
    app.add_typer(requests_app, name="requests")
    app.add_typer(grants_app, name="grants")
    app.add_typer(audit_app, name="audit")
    app.add_typer(opendata_app, name="opendata")
