"""CLI commands of the protect stage: recipients, extract, extracts, trace, protect (rules, keys, k-anonymity)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn
from rich.table import Table

from shucang.cli.context import LazyConsole, emit_json, get_context
from shucang.errors import InputError

err_console = LazyConsole(stderr=True)
out_console = LazyConsole()

recipients_app = typer.Typer(help="数据接收方与密级。Recipients of data and their clearance.", no_args_is_help=True)
extracts_app = typer.Typer(help="提取登记簿。The extract registry.", no_args_is_help=True)
protect_app = typer.Typer(help="脱敏策略、密钥与 k-匿名检查。Masking rules, keys, k-anonymity.", no_args_is_help=True)


def _split(value: str | None) -> tuple[str, ...] | None:
    parts = tuple(p.strip() for p in value.split(",") if p.strip()) if value else ()
    return parts or None


def register(app: typer.Typer) -> None:
    app.add_typer(recipients_app, name="recipients")
    app.add_typer(extracts_app, name="extracts")
    app.add_typer(protect_app, name="protect")
    app.command("extract", help="按接收方密级脱敏、加水印并导出。Masked, fingerprinted extract for a recipient.")(extract)
    app.command("trace", help="溯源：泄露文件来自哪个接收方。Trace a leaked file to its recipient.")(trace)


@recipients_app.command("add", help="新增或更新接收方。Add or update a recipient.")
def recipients_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="recipient name")],
    department: Annotated[str | None, typer.Option(help="department code")] = None,
    clearance: Annotated[int, typer.Option(help="1–4: columns graded above it are masked")] = 1,
    disabled: Annotated[bool, typer.Option("--disable/--enable", help="stop (or resume) releases to it")] = False,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    from shucang.protect.recipients import upsert_recipient

    found = upsert_recipient(get_context(ctx).warehouse(), name, department=department, clearance=clearance,
                             disabled=disabled)
    if json_out:
        emit_json(found.to_dict())
    else:
        out_console.print(f"接收方 {found.name}: 密级 (clearance) {found.clearance}"
                          + (f", 部门 {found.department}" if found.department else "")
                          + (" [已停用 disabled]" if found.disabled else ""))


@recipients_app.command("list", help="列出接收方。List recipients.")
def recipients_list(ctx: typer.Context, json_out: Annotated[bool, typer.Option("--json")] = False) -> None:
    from shucang.protect.recipients import list_recipients

    found = list_recipients(get_context(ctx).warehouse())
    if json_out:
        emit_json([r.to_dict() for r in found])
        return
    table = Table("名称 name", "部门 department", "密级 clearance", "创建 created", "状态 status")
    for r in found:
        table.add_row(r.name, r.department or "", str(r.clearance), r.created_at.strftime("%Y-%m-%d"),
                      "停用 disabled" if r.disabled else "启用 active")
    out_console.print(table)


def extract(
    ctx: typer.Context,
    dataset: Annotated[str, typer.Argument(help="dataset name")],
    recipient: Annotated[str, typer.Option("--recipient", "-r", help="who receives the file")],
    out: Annotated[Path, typer.Option("--out", "-o", help="file to write")],
    fmt: Annotated[str | None, typer.Option("--format", help="csv | xlsx | parquet | jsonl (default: from --out)")] = None,
    columns: Annotated[str | None, typer.Option(help="columns to include, comma separated")] = None,
    where: Annotated[str | None, typer.Option(help="row filter, e.g. \"town = '龙山镇' AND revenue >= 100\"")] = None,
    version: Annotated[int | None, typer.Option(help="dataset version (default: current)")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="print the registry entry as JSON")] = False,
    decoys: Annotated[bool | None, typer.Option("--decoys/--no-decoys",
                                                help="add (or never add) decoy rows; default: the policy decides")] = None,
    engine: Annotated[str, typer.Option(help="local | spark (the same column functions through mapInArrow)")] = "local",
    spark_master: Annotated[str | None, typer.Option("--spark-master",
                                                     help="Spark master URL (default: $SPARK_MASTER, else local[2])")] = None,
) -> None:
    from shucang.protect.extract import ExtractOptions, extract_dataset

    options = ExtractOptions(dataset=dataset, recipient=recipient, out=out, format=fmt, columns=_split(columns),
                             where=where, version=version, created_by="cli", decoys=decoys, engine=engine,
                             spark_master=spark_master)
    wh = get_context(ctx).warehouse()
    if json_out or not sys.stderr.isatty():
        result = extract_dataset(wh, options)
    else:
        with Progress(TextColumn("提取 {task.description}"), BarColumn(), console=err_console.get(), transient=True) as bar:
            task = bar.add_task(dataset, total=1.0)
            result = extract_dataset(wh, options, lambda stage, share: bar.update(task, completed=share,
                                                                                  description=f"{dataset}: {stage}"))
    if not result["marks"].get("traceable"):
        err_console.print("警告：此提取没有可承载水印的列，泄露后无法溯源 (warning: nothing in this extract can carry "
                          "a fingerprint — no pseudonymised identifier, no numeric measure)")
    if json_out:
        emit_json(result)
        return
    out_console.print(f"已写出 (written) {result['path']}: {result['rows']} 行 rows, 提取号 extract {result['extract_id']}")
    if result.get("decoy_rows"):
        out_console.print(f"其中诱饵行 (of which decoy rows) {result['decoy_rows']}: 用于溯源，登记在提取记录中 "
                          "(for tracing; recorded in the extract registry)")
    if result["masked_columns"]:
        out_console.print("脱敏列 (masked): " + ", ".join(f"{c}={result['strategies'][c]}" for c in result["masked_columns"]))
    if result["dropped_columns"]:
        out_console.print("删除列 (dropped): " + ", ".join(result["dropped_columns"]))


def trace(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="suspected leaked file (CSV, XLSX, Parquet, JSONL)")],
    dataset: Annotated[str | None, typer.Option(help="dataset it came from, if known (faster, surer)")] = None,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    from shucang.protect.trace import trace_file

    result = trace_file(get_context(ctx).warehouse(), path, dataset=dataset)
    if json_out:
        emit_json(result)
        return
    if result["recipient"]:
        out_console.print(f"来源接收方 (recipient): {result['recipient']}  数据集 {result['dataset']}  "
                          f"提取号 {result['extract_id']}")
        out_console.print(f"误指控概率上界 (false-accusation bound): {result['false_accusation_bound']:.3g}")
    else:
        out_console.print("无法认定接收方 (no recipient named): "
                          + {"inconclusive": "文件中没有可用的水印载体 (no marks survived)",
                             "not_matched": "证据不足 (evidence too weak)"}.get(result["verdict"], result["verdict"]))


@extracts_app.command("list", help="列出提取记录。List registry entries.")
def extracts_list(
    ctx: typer.Context,
    dataset: Annotated[str | None, typer.Option(help="only this dataset")] = None,
    recipient: Annotated[str | None, typer.Option(help="only this recipient")] = None,
    limit: Annotated[int, typer.Option(help="at most this many")] = 100,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    from shucang.protect.registry import list_extracts

    found = list_extracts(get_context(ctx).warehouse(), dataset=dataset, recipient=recipient, limit=limit)
    if json_out:
        emit_json([{k: v for k, v in r.to_dict().items() if k != "policy"} for r in found])
        return
    table = Table("提取号 id", "接收方 recipient", "数据集 dataset", "版本 v", "渠道 channel", "行 rows", "时间 at")
    for r in found:
        table.add_row(r.id, r.recipient, r.dataset, str(r.version or ""), r.channel, str(r.rows),
                      r.created_at.strftime("%Y-%m-%d %H:%M"))
    out_console.print(table)


@protect_app.command("rule", help="设置列的脱敏策略（存入目录库）。Set a column's masking rule.")
def protect_rule(
    ctx: typer.Context,
    dataset: Annotated[str, typer.Argument(help="dataset name, or * for every dataset")],
    column: Annotated[str, typer.Argument(help="column name")],
    strategy: Annotated[str, typer.Argument(help="e.g. keep_ends, name, phone, address, year, range, redact, "
                                                 "pseudonym, drop, none")],
    param: Annotated[list[str] | None, typer.Option("--param", "-p", help="KEY=VALUE, repeatable")] = None,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    from shucang.protect.policy import set_column_rule

    params: dict[str, object] = {}
    for item in param or []:
        if "=" not in item:
            raise InputError(f"--param 需要 KEY=VALUE (got {item!r})")
        key, value = item.split("=", 1)
        params[key.strip()] = int(value) if value.strip().lstrip("-").isdigit() else value
    rule = set_column_rule(get_context(ctx).warehouse(), dataset, column, strategy, **params)
    if json_out:
        emit_json({"dataset": dataset, "column": column, **rule.to_dict()})
    else:
        out_console.print(f"{dataset}.{column}: {rule.strategy} {rule.params or ''}")


@protect_app.command("policy", help="显示生效的脱敏策略。Show the policy in force.")
def protect_policy(ctx: typer.Context) -> None:
    from shucang.protect.policy import load_policy

    emit_json(load_policy(get_context(ctx).warehouse()).to_dict())


@protect_app.command("rotate-key", help="轮换主密钥（旧密钥保留以便溯源）。Rotate the master key.")
def protect_rotate(ctx: typer.Context, json_out: Annotated[bool, typer.Option("--json")] = False) -> None:
    from shucang.protect.keys import rotate_key

    key_id = rotate_key(get_context(ctx).settings)
    if json_out:
        emit_json({"key_id": key_id})
    else:
        out_console.print(f"新主密钥 (new key id): {key_id}")


@protect_app.command("kanon", help="k-匿名检查。Check k-anonymity over quasi-identifiers.")
def protect_kanon(
    ctx: typer.Context,
    dataset: Annotated[str, typer.Argument(help="dataset name")],
    qi: Annotated[str, typer.Option("--qi", help="quasi-identifier columns, comma separated")],
    k: Annotated[int, typer.Option(help="required smallest group")] = 5,
    version: Annotated[int | None, typer.Option(help="dataset version")] = None,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    from shucang.protect.kanon import check_k_anonymity

    columns = list(_split(qi) or ())
    wh = get_context(ctx).warehouse()
    report = check_k_anonymity(wh.read_arrow(dataset, version, columns), columns, k)
    if json_out:
        emit_json(report.to_dict())
        return
    out_console.print(f"k = {report.k_min} ({'满足' if report.ok else '不满足'} k ≥ {k}); "
                      f"{report.groups} 组 groups, {report.rows_in_small_groups} 行在小组中 rows in small groups")
    for line in report.suggestions:
        out_console.print(" - " + line)
