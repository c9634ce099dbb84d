"""CLI commands of the warehouse stage: init, ingest, datasets, show, versions, rejects, sql, check, demo, serve."""

from __future__ import annotations

import csv
import dataclasses
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from shucang.cli.context import LazyConsole, emit_json, get_context
from shucang.errors import InputError

if TYPE_CHECKING:
    from shucang.warehouse import Warehouse

# rich (tables, progress bars) loads only when something is shown: `ingest --json` runs without it.
err_console = LazyConsole(stderr=True)
out_console = LazyConsole()


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(p.strip() for p in value.split(",") if p.strip()) if value else ()


def register(app: typer.Typer) -> None:
    app.command("init", help="创建仓库目录与目录库（可重复执行）。Create the warehouse home (idempotent).")(init)
    app.command("ingest", help="导入文件为数据集的新版本。Ingest a file as a new dataset version.")(ingest)
    app.command("datasets", help="列出数据集。List datasets.")(datasets)
    app.command("show", help="数据集详情：列、类型、分级。Show a dataset.")(show)
    app.command("versions", help="数据集的版本历史。Version history.")(versions)
    app.command("rejects", help="被隔离的行及原因。Quarantined rows and reasons.")(rejects)
    app.command("sql", help="只读 SQL 查询（DuckDB）。Run read-only SQL.")(sql)
    app.command("check", help="数据更新校核：过期、约束、存储。Freshness, constraints, storage.")(check)
    app.command("demo", help="生成合成演示仓库并启动驾驶舱。Build the synthetic demo and serve.")(demo)
    app.command("serve", help="启动 Web 驾驶舱与 API。Serve the cockpit and API.")(serve)


def init(ctx: typer.Context, json_out: Annotated[bool, typer.Option("--json")] = False) -> None:
    wh = get_context(ctx).warehouse()
    info = {"home": str(wh.settings.home), "catalog": wh.settings.catalog_sqlalchemy_url().split("://")[0],
            "datasets": len(wh.list_datasets())}
    if json_out:
        emit_json(info)
    else:
        out_console.print(f"仓库已就绪 (warehouse ready): {info['home']}")


def ingest(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="CSV/TSV/XLSX/XLS/JSONL/Parquet file(s); several files load "
                                                     "one after another in one process")],
    dataset: Annotated[str, typer.Option("--dataset", "-d", help="dataset name")],
    department: Annotated[str | None, typer.Option(help="owning department code")] = None,
    title: Annotated[str | None, typer.Option(help="title (Chinese first)")] = None,
    description: Annotated[str | None, typer.Option(help="description")] = None,
    mode: Annotated[str, typer.Option(help="append | replace")] = "append",
    key: Annotated[str | None, typer.Option(help="primary-key columns, comma separated")] = None,
    not_null: Annotated[str | None, typer.Option("--not-null", help="columns that must not be blank")] = None,
    cadence: Annotated[str | None, typer.Option(help="daily|weekly|monthly|quarterly|yearly")] = None,
    sheet: Annotated[str | None, typer.Option(help="workbook sheet, or 'all': every sheet with a table")] = None,
    encoding: Annotated[str | None, typer.Option(help="override encoding detection, e.g. gb18030")] = None,
    delimiter: Annotated[str | None, typer.Option(help="override delimiter detection")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="print the result as JSON, no progress bar")] = False,
) -> None:
    from shucang.warehouse import IngestOptions
    from shucang.warehouse.models import ingest_mode
    from shucang.warehouse.sheets import ALL_SHEETS

    options = IngestOptions(dataset=dataset, mode=ingest_mode(mode), department=department, title=title,
                            description=description, key=_split(key), not_null=_split(not_null),
                            cadence=cadence, sheet=None if sheet == ALL_SHEETS else sheet, encoding=encoding,
                            delimiter=delimiter, created_by="cli")
    wh = get_context(ctx).warehouse()
    results = []
    for number, path in enumerate(paths):
        # several files: the first as asked, the next ones appended as further versions
        file_options = options if number == 0 else dataclasses.replace(options, mode="append")
        results.extend(_ingest_one(wh, path, file_options, all_sheets=sheet == ALL_SHEETS, quiet=json_out))
    if json_out:
        dicts = [r.to_dict() for r in results]
        emit_json(dicts[0] if len(paths) == 1 and sheet != ALL_SHEETS else dicts)
        return
    for result in results:
        where = f"工作表 sheet {result.sheet} → " if sheet == ALL_SHEETS else ""
        out_console.print(f"{where}[bold]{result.dataset}[/] 版本 v{result.version}: 读取 {result.rows_read} 行, "
                          f"导入 {result.rows_loaded}, 隔离 {result.rows_rejected} "
                          f"(encoding {result.encoding or '-'}, format {result.format})")
        for change, cols in result.schema_changes.items():
            out_console.print(f"  结构变化 schema {change}: {cols}")
        for reject in result.rejects[:10]:
            out_console.print(f"  [yellow]第 {reject.get('line')} 行[/] {reject.get('reason')}")
        if result.rows_rejected > 10:
            out_console.print(f"  … `shucang rejects {result.dataset}` lists all {result.rows_rejected}")
        for warning in result.warnings:
            out_console.print(f"  [yellow]警告[/] {warning}")


def _ingest_one(wh: Warehouse, path: Path, options: Any, *, all_sheets: bool, quiet: bool) -> list[Any]:
    """One file (every table sheet of it with ``all_sheets``), with a progress bar on a terminal."""
    from shucang.warehouse.sheets import ingest_all_sheets

    def run(progress: Any = None) -> list[Any]:
        if all_sheets:
            return ingest_all_sheets(wh, path, options, progress=progress)
        return [wh.ingest(path, options, progress=progress)]

    if quiet or not sys.stderr.isatty():
        return run()
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("导入 {task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn(),
                  console=err_console.get(), transient=True) as bar:
        task = bar.add_task(path.name, total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        return run(progress)


def datasets(ctx: typer.Context, json_out: Annotated[bool, typer.Option("--json")] = False) -> None:
    infos = get_context(ctx).warehouse().list_datasets()
    if json_out:
        emit_json([i.to_dict() for i in infos])
        return
    from rich.table import Table

    table = Table("名称 name", "标题 title", "部门 dept", "版本 ver", "行数 rows", "更新 updated")
    for i in infos:
        title = i.title + (" [合成]" if i.synthetic and "合成" not in i.title else "")
        table.add_row(i.name, title, i.department_name or "-", str(i.current_version), f"{i.row_count:,}",
                      i.updated_at.strftime("%Y-%m-%d %H:%M"))
    out_console.print(table)


def _grades(wh: Warehouse, name: str, version: int | None) -> dict[str, Any]:
    from shucang.classify.store import column_grades

    return column_grades(wh, name, version)


def show(ctx: typer.Context, dataset: str, version: Annotated[int | None, typer.Option()] = None,
         json_out: Annotated[bool, typer.Option("--json")] = False) -> None:
    wh = get_context(ctx).warehouse()
    info = wh.dataset(dataset)
    columns = wh.columns(dataset, version)
    grades = _grades(wh, dataset, version)
    cols = []
    for c in columns:
        item = c.to_dict()
        grade = grades.get(c.name)
        item["type"] = getattr(grade, "type", None)
        item["level"] = getattr(grade, "level", None)
        if item["level"] is not None and item["level"] >= 3:
            item["examples"] = []  # never show sensitive values in the catalog view
        cols.append(item)
    levels = [c["level"] for c in cols if c["level"] is not None]
    data = info.to_dict() | {"version": version or info.current_version, "columns": cols,
                             "level": max(levels) if levels else None}
    if json_out:
        emit_json(data)
        return
    out_console.print(f"[bold]{info.name}[/] {info.title}  部门 {info.department_name or '-'}  "
                      f"v{data['version']}  {info.row_count:,} 行  分级 L{data['level'] or '-'}")
    if info.synthetic:
        out_console.print("[yellow]合成演示数据 (synthetic demo data)[/]")
    from rich.table import Table

    table = Table("列 column", "存储 storage", "类型 logical", "敏感类型 type", "级 level", "空值 null", "示例 examples")
    for col in cols:
        table.add_row(col["name"], col["storage_type"], col["logical_type"], col["type"] or "-",
                      str(col["level"] or "-"), f"{col['null_share']:.0%}", ", ".join(map(str, col["examples"]))[:40])
    out_console.print(table)


def versions(ctx: typer.Context, dataset: str, json_out: Annotated[bool, typer.Option("--json")] = False) -> None:
    items = get_context(ctx).warehouse().versions(dataset)
    if json_out:
        emit_json([v.to_dict() for v in items])
        return
    from rich.table import Table

    table = Table("版本", "模式", "读取", "导入", "隔离", "总行数", "结构变化", "时间")
    for v in items:
        table.add_row(str(v.version), v.mode, str(v.rows_read), str(v.rows_loaded), str(v.rows_rejected),
                      str(v.row_count), ", ".join(f"{k}: {c}" for k, c in v.schema_changes.items()) or "-",
                      v.created_at.strftime("%Y-%m-%d %H:%M:%S"))
    out_console.print(table)


def rejects(ctx: typer.Context, dataset: str, version: Annotated[int | None, typer.Option()] = None,
            limit: Annotated[int, typer.Option()] = 1000,
            json_out: Annotated[bool, typer.Option("--json")] = False) -> None:
    rows = get_context(ctx).warehouse().rejected_rows(dataset, version, limit=limit)
    if json_out:
        emit_json(rows)
        return
    for r in rows:
        out_console.print(f"第 {r['line']} 行 [{r['code']}] {r['reason']}")
    if not rows:
        out_console.print("没有被隔离的行 (no quarantined rows)")


def sql(ctx: typer.Context, query: str,
        output: Annotated[str, typer.Option("--format", "-f", help="table | csv | json")] = "table",
        json_out: Annotated[bool, typer.Option("--json", help="same as --format json")] = False,
        version: Annotated[list[str] | None, typer.Option("--at", help="pin a dataset version: NAME=N")] = None,
        ) -> None:
    versions_map: dict[str, int] = {}
    for item in version or []:
        name, _, number = item.partition("=")
        if not number.isdigit():
            raise InputError(f"--at 需要 NAME=N (got {item!r})")
        versions_map[name] = int(number)
    result = get_context(ctx).warehouse().sql(query, versions=versions_map)
    fmt = "json" if json_out else output
    if fmt == "json":
        emit_json(result.to_pylist())
    elif fmt == "csv":  # an export: formula-like text is neutralised, like every other exit
        from shucang.protect.extract import neutral_name, neutralise_formulas

        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow([neutral_name(n) for n in result.column_names])
        for batch in neutralise_formulas(result).to_batches(max_chunksize=65_536):
            writer.writerows(zip(*(["" if v is None else v for v in col.to_pylist()] for col in batch.columns),
                                 strict=True))
    elif fmt == "table":
        from rich.table import Table

        table = Table(*result.column_names)
        for row in result.slice(0, 1000).to_pylist():
            table.add_row(*("" if v is None else str(v) for v in row.values()))
        out_console.print(table)
        if result.num_rows > 1000:
            out_console.print(f"… {result.num_rows:,} rows; use --format csv for all")
    else:
        raise InputError(f"未知输出格式 (unknown format) {fmt!r}", hint="table, csv or json")


def check(ctx: typer.Context, dataset: Annotated[str | None, typer.Argument()] = None,
          repair: Annotated[bool, typer.Option("--repair", help="undo leftovers of interrupted ingests")] = False,
          json_out: Annotated[bool, typer.Option("--json")] = False) -> None:
    from shucang.platform import classification_checks
    from shucang.warehouse.checks import run_checks

    wh = get_context(ctx).warehouse()
    results = run_checks(wh, dataset=dataset, repair=repair)
    results += classification_checks(wh, dataset=dataset, repair=repair)
    problems = [r for r in results if r.status in ("fail", "warn")]
    if json_out:
        emit_json({"ok": not problems, "problems": len(problems), "results": [r.to_dict() for r in results]})
    else:
        colour = {"ok": "green", "warn": "yellow", "fail": "red", "repaired": "cyan"}
        for r in results:
            if r.status != "ok":
                out_console.print(f"[{colour[r.status]}]{r.status:8}[/] {r.dataset:24} {r.check:12} {r.message}")
        out_console.print(f"{len(results)} 项检查，{len(problems)} 项问题 ({len(results)} checks, {len(problems)} problems)")
    if any(r.status == "fail" for r in problems):
        raise typer.Exit(1)


def demo(
    ctx: typer.Context,
    serve_after: Annotated[bool, typer.Option("--serve/--no-serve", help="serve the cockpit afterwards")] = True,
    scale: Annotated[float, typer.Option(help="size of the bulk datasets (1.0 = full)")] = 1.0,
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
) -> None:
    from rich.progress import BarColumn, Progress, TextColumn

    from shucang.platform import build_demo_warehouse

    wh = get_context(ctx).warehouse()
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  console=err_console.get(), transient=True, disable=not sys.stderr.isatty()) as bar:
        task = bar.add_task("生成合成演示数据 (synthetic demo data)", total=None)

        def progress(label: str, done: int, total: int) -> None:
            bar.update(task, description=f"生成合成演示数据: {label}", completed=done, total=total)

        summary = build_demo_warehouse(wh, scale=scale, progress=progress)
    err_console.print(f"合成演示仓库已生成 (synthetic demo warehouse built) in {wh.settings.home}: "
                      f"{summary['datasets']} 个数据集, {summary['rows']:,} 行")
    for line in summary.get("notes", []):
        err_console.print(f"  {line}")
    if serve_after:
        serve(ctx, host=host, port=port)


def serve(ctx: typer.Context, host: Annotated[str, typer.Option()] = "127.0.0.1",
          port: Annotated[int, typer.Option()] = 8000,
          workers: Annotated[int, typer.Option(min=1, max=64, help="worker processes sharing one socket "
                                               "(about one per core)")] = 1,
          signs_every: Annotated[int, typer.Option("--signs-every", min=0, help="seconds between background "
                                                   "evaluations of the city signs (0: off)")] = 300,
          warm: Annotated[bool, typer.Option("--warm/--no-warm", help="also run a warm server for this user's "
                                             "shucang commands (shucang warm)")] = True) -> None:
    from shucang.api.server import serve as run_server

    settings = get_context(ctx).settings
    err_console.print(f"数字驾驶舱 (cockpit): http://{host}:{port}/   API: http://{host}:{port}/api/v1/docs"
                      + (f"   ({workers} workers)" if workers > 1 else ""))
    keeper = _keep_warm() if warm else None
    try:
        run_server(settings, host=host, port=port, workers=workers, signs_every=signs_every)
    except OSError as exc:
        raise InputError(f"无法监听 {host}:{port} (cannot listen): {exc.strerror or exc}",
                           hint="choose another --port, or stop what is using it") from None
    finally:
        if keeper is not None:
            keeper.stop()


def _keep_warm() -> Any:
    """A warm server living as long as this one (``shucang.cli.warm``); None where it cannot run."""
    import os

    from shucang.cli import warm, warm_server

    if not warm.supported() or warm.mode() == "off":
        return None
    try:
        return warm_server.Keeper(os.getpid()).start()
    except (OSError, warm.WarmUnavailable) as exc:
        err_console.print(f"常驻进程未启动 (no warm server): {exc}")
        return None
