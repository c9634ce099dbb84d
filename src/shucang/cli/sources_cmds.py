"""CLI commands of the collect stage: ``shucang sources add|run|list|history|remove``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from shucang.cli.context import LazyConsole, emit_json, get_context
from shucang.errors import InputError

out_console = LazyConsole()  # made where it prints, for that terminal (a warm server's child too)
sources_app = typer.Typer(help="数据汇聚：数据库、接口与投递目录数据源。Database, HTTP and drop-folder sources.",
                          no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(sources_app, name="sources")


def _split(value: str | None) -> list[str]:
    return [p.strip() for p in value.split(",") if p.strip()] if value else []


@sources_app.command("add", help="登记数据源 (register a source: --url, or --folder).")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="source name")],
    url: Annotated[str | None, typer.Option(help="SQLAlchemy URL of a database, or an http(s) URL of a JSON API")] = None,
    table: Annotated[str | None, typer.Option(help="database table (schema.table allowed)")] = None,
    dataset: Annotated[str | None, typer.Option("--dataset", "-d", help="target dataset")] = None,
    incremental_column: Annotated[str | None, typer.Option("--incremental-column",
                                                           help="load only rows above the stored watermark")] = None,
    key: Annotated[str | None, typer.Option(help="key columns: existing rows are replaced (merge)")] = None,
    cadence: Annotated[str | None, typer.Option(help="hourly|daily|weekly|monthly")] = None,
    department: Annotated[str | None, typer.Option(help="owning department code")] = None,
    folder: Annotated[Path | None, typer.Option(help="drop folder: each file appearing there is ingested once")] = None,
    mode: Annotated[str, typer.Option(help="drop folder: append | replace")] = "append",
    settle: Annotated[float, typer.Option(help="drop folder: seconds a file must be unchanged")] = 5.0,
    records: Annotated[str | None, typer.Option(help="HTTP: dot path of the record list, e.g. data.items")] = None,
    paging: Annotated[str, typer.Option(help="HTTP: none | page | offset | cursor")] = "none",
    page_size: Annotated[int, typer.Option("--page-size", help="HTTP: records per page")] = 100,
    page_param: Annotated[str | None, typer.Option("--page-param", help="HTTP: page/offset/cursor parameter")] = None,
    size_param: Annotated[str | None, typer.Option("--size-param", help="HTTP: page size parameter")] = None,
    next_cursor: Annotated[str | None, typer.Option("--next-cursor", help="HTTP: dot path of the next cursor")] = None,
    token_header: Annotated[str, typer.Option("--token-header", help="HTTP: header carrying the token")] = "Authorization",
    token_prefix: Annotated[str, typer.Option("--token-prefix", help="HTTP: text before the token")] = "Bearer ",
    replace: Annotated[bool, typer.Option("--replace", help="change an existing source")] = False,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    from shucang.collect import add_source
    from shucang.collect.database import public_url

    wh = get_context(ctx).warehouse()
    secret: str | None = None
    config: dict[str, Any]
    if folder is not None:
        if url:
            raise InputError("--folder 与 --url 只能选一个 (give --folder or --url, not both)")
        kind = "folder"
        config = {"path": str(folder.expanduser().resolve()), "mode": mode, "settle_seconds": settle}
    elif url and url.split("://", 1)[0].lower() in ("http", "https"):
        kind = "http"
        if not dataset:
            raise InputError("HTTP 数据源需要 --dataset (an HTTP source needs --dataset)")
        config = {"url": url, "records": records or "", "paging": paging, "page_size": page_size,
                  "page_param": page_param, "size_param": size_param, "next_cursor": next_cursor,
                  "token_header": token_header, "token_prefix": token_prefix, "key": _split(key)}
    elif url:
        kind = "database"
        if not table or not dataset:
            raise InputError("数据库数据源需要 --table 和 --dataset (a database source needs --table and --dataset)")
        stored, secret = public_url(url)
        config = {"url": stored, "table": table, "incremental_column": incremental_column, "key": _split(key)}
    else:
        raise InputError("需要 --url 或 --folder (give --url or --folder)",
                         hint="e.g. shucang sources add hr --url postgresql+psycopg://reader@db/hr --table staff "
                              "--dataset staff")
    source = add_source(wh, name, kind, dataset=dataset, config=config, department=department, cadence=cadence,
                        secret=secret, replace=replace)
    if json_out:
        emit_json(source.to_dict())
        return
    out_console.print(f"数据源已登记 (source registered): [bold]{source.name}[/] ({kind}) → {dataset or '每个文件一个数据集'}")
    if secret:
        out_console.print(f"  密码已移入密钥文件 (password moved to the key file): {source.secret_from[1]}")


@sources_app.command("run", help="运行数据源（或 --due：所有到期的）。Run a source now, or every due one.")
def run(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Argument(help="source name")] = None,
    due: Annotated[bool, typer.Option("--due", help="run every source whose cadence says it is due (for cron)")] = False,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    from shucang.collect import run_due, run_source

    wh = get_context(ctx).warehouse()
    if due == (name is not None):
        raise InputError("给出数据源名称或 --due 之一 (give a source name or --due)")
    if name is not None:
        result = run_source(wh, name, trigger="manual")
        if json_out:
            emit_json(result)
        else:
            _print_result(result)
        if result.get("errors"):
            raise typer.Exit(1)
        return
    outcomes = run_due(wh, trigger="due")
    if json_out:
        emit_json(outcomes)
    else:
        for outcome in outcomes:
            if outcome.get("ok"):
                _print_result(outcome)
            else:
                out_console.print(f"[red]失败 failed[/] {outcome['source']}: {outcome['error']}")
        if not outcomes:
            out_console.print("没有到期的数据源 (no source is due)")
    if any(not o.get("ok") or o.get("errors") for o in outcomes):
        raise typer.Exit(1)


def _print_result(result: dict[str, Any]) -> None:
    if "files" in result:
        out_console.print(f"[bold]{result['source']}[/]: {len(result['files'])} 个文件, 导入 {result['rows_loaded']} 行")
        for f in result["files"]:
            out_console.print(f"  {f['file']} → {f.get('dataset') or '-'} {f['status']} {f.get('error') or ''}")
        return
    note = " (无新数据 nothing new)" if result.get("unchanged") else ""
    out_console.print(f"[bold]{result['source']}[/] → {result['dataset']} 版本 v{result['version']}: "
                      f"读取 {result['rows_read']} 行, 导入 {result['rows_loaded']}, 隔离 {result['rows_rejected']}{note}")


@sources_app.command("list", help="列出数据源及其调度状态。List sources with their schedule state.")
def list_cmd(ctx: typer.Context, json_out: Annotated[bool, typer.Option("--json")] = False) -> None:
    from shucang.collect import list_sources, statuses

    wh = get_context(ctx).warehouse()
    states = {s["name"]: s for s in statuses(wh)}
    items = [s.to_dict() | {"schedule": states.get(s.name)} for s in list_sources(wh)]
    if json_out:
        emit_json(items)
        return
    table = Table("名称 name", "类型 kind", "数据集 dataset", "周期 cadence", "上次 last", "下次 next", "状态 state")
    for item in items:
        st = item["schedule"] or {}
        flag = "失败 failing" if st.get("failing") else ("逾期 late" if st.get("late") else "正常 ok")
        table.add_row(item["name"], item["kind"], item["dataset"] or "-", item["cadence"] or "-",
                      (st.get("last_run_at") or "-")[:16], (st.get("next_due") or "-")[:16], flag)
    out_console.print(table)


@sources_app.command("history", help="数据源的运行记录。Run history of a source.")
def history(ctx: typer.Context, name: Annotated[str | None, typer.Argument()] = None,
            limit: Annotated[int, typer.Option()] = 50,
            json_out: Annotated[bool, typer.Option("--json")] = False) -> None:
    from shucang.collect import runs

    items = runs(get_context(ctx).warehouse(), name, limit=limit)
    if json_out:
        emit_json(items)
        return
    table = Table("#", "数据源 source", "状态 status", "开始 started", "结束 finished", "导入 loaded", "隔离 rejected",
                  "版本 ver", "错误 error")
    for r in items:
        table.add_row(str(r["id"]), r["source"], r["status"], (r["started_at"] or "")[:19],
                      (r["finished_at"] or "")[:19], str(r["rows_loaded"]), str(r["rows_rejected"]),
                      str(r["version"] or "-"), (r["error"] or "")[:60])
    out_console.print(table)


@sources_app.command("remove", help="删除数据源定义（数据集与记录保留）。Remove a source (data and history stay).")
def remove(ctx: typer.Context, name: str) -> None:
    from shucang.collect import remove_source

    remove_source(get_context(ctx).warehouse(), name)
    out_console.print(f"数据源已删除 (source removed): {name}")
