"""CLI commands of the classify stage: ``scan`` (files), ``classify`` (stored datasets), ``review``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from shucang.cli.context import emit_json, get_context, operator_name
from shucang.errors import InputError

SAMPLE_ROWS = 10_000


def _sample_source(source: Any, *, full: bool, sample_rows: int) -> tuple[Any, int, int]:
    """Stream a source; keep every row (``full``) or a systematic sample spread over the whole file.

    The sample keeps rows whose index is a multiple of a stride that doubles whenever the kept rows
    exceed twice the target, so memory stays bounded and the sample covers the file end to end.
    """
    import numpy as np
    import pyarrow as pa

    kept: list[pa.Table] = []
    kept_idx: list[np.ndarray] = []
    total = rejected = 0
    stride = 1
    for chunk in source.chunks():
        rejected += len(chunk.rejects)
        batch = chunk.rows
        n = batch.num_rows
        if n == 0:
            continue
        if full:
            kept.append(pa.Table.from_batches([batch]))
            total += n
            continue
        idx = np.arange(total, total + n)
        pick = np.flatnonzero(idx % stride == 0)
        kept.append(pa.Table.from_batches([batch]).take(pa.array(pick)))
        kept_idx.append(idx[pick])
        total += n
        while sum(t.num_rows for t in kept) > 2 * sample_rows:
            stride *= 2
            new_kept, new_idx = [], []
            for t, ix in zip(kept, kept_idx, strict=True):
                keep = np.flatnonzero(ix % stride == 0)
                new_kept.append(t.take(pa.array(keep)))
                new_idx.append(ix[keep])
            kept, kept_idx = new_kept, new_idx
    table = pa.concat_tables(kept) if kept else source.schema.empty_table()
    return table, total, rejected


def scan_file(path: Path, *, full: bool = False, sheet: str | None = None,
              sample_rows: int = SAMPLE_ROWS) -> list[dict[str, Any]]:
    """One report per table of ``path`` (one per sheet of a workbook) without ingesting it."""
    from shucang.classify.classifier import classify_table
    from shucang.ingest import list_tables, open_source

    if not path.exists():
        raise InputError(f"文件不存在 (no such file): {path}")
    sheets = [sheet] if sheet is not None else list_tables(path)
    reports = []
    for name in sheets:
        source = open_source(path, sheet=name)
        table, rows, rejected = _sample_source(source, full=full, sample_rows=sample_rows)
        result = classify_table(table, sample_rows=sample_rows, full=full)
        report: dict[str, Any] = {"path": str(path), "encoding": source.encoding, "format": source.format,
                                  "rows": rows, "rows_rejected": rejected, "sampled_rows": result.sampled_rows,
                                  "full": full or result.sampled_rows >= rows, "level": result.level,
                                  "scheme": result.scheme, "context": result.context,
                                  "columns": [c.to_dict() for c in result.columns]}
        if source.sheet is not None or name is not None:
            report["sheet"] = source.sheet or name
        reports.append(report)
    return reports


def _print_report(report: dict[str, Any]) -> None:
    where = report["path"] + (f" [{report['sheet']}]" if report.get("sheet") else "")
    typer.echo(f"{where}: {report['rows']} 行 (rows), 数据集级别 L{report['level']}"
               + ("" if report.get("full", True) else f" (抽样 {report['sampled_rows']} 行)"))
    for col in report["columns"]:
        kind = col["type"] or "-"
        zh = f" {col['type_name']}" if col.get("type_name") else ""
        mark = " ✎" if col.get("overridden") else ""
        typer.echo(f"  L{col['level']}  {col['name']:<24} {kind}{zh}  ({col['confidence']:.2f}){mark}")


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the root app."""

    @app.command("scan")
    def scan(ctx: typer.Context,
             paths: list[Path] = typer.Argument(..., help="要扫描的文件 (files to classify, not ingested)"),
             as_json: bool = typer.Option(False, "--json", help="JSON 输出 (a list of reports)"),
             full: bool = typer.Option(False, "--full", help="扫描全部值而非抽样 (scan every value)"),
             sheet: str | None = typer.Option(None, "--sheet", help="工作表 (workbook sheet)")) -> None:
        """识别文件各列的敏感类型与级别，不入库 (classify files without ingesting them)."""
        get_context(ctx)
        reports: list[dict[str, Any]] = []
        for path in paths:
            reports.extend(scan_file(path, full=full, sheet=sheet))
        if as_json:
            emit_json(reports)
        else:
            for report in reports:
                _print_report(report)

    @app.command("classify")
    def classify(ctx: typer.Context,
                 dataset: str = typer.Argument(..., help="数据集名称 (dataset name)"),
                 as_json: bool = typer.Option(False, "--json", help="JSON 输出"),
                 full: bool = typer.Option(False, "--full", help="扫描全部值 (scan every value)"),
                 version: int | None = typer.Option(None, "--version", help="版本 (default: current)"),
                 scheme: str | None = typer.Option(None, "--scheme",
                                                   help="分级标准 (DB33/T 2351-2021 | DB33/T 310030-2025 | GB/T 43697-2024)"),
                 engine: str = typer.Option("local", "--engine",
                                            help="local | spark (全量扫描在 Spark 上运行 full scan on Spark)"),
                 spark_master: str | None = typer.Option(None, "--spark-master",
                                                         help="Spark master URL (default: $SPARK_MASTER, else local[2])"),
                 ) -> None:
        """重新分类分级已入库的数据集并保存结果 ((re)classify a stored dataset and save the result)."""
        from shucang.classify.store import classify_dataset

        wh = get_context(ctx).warehouse()
        found = classify_dataset(wh, dataset, full=full or engine == "spark", version=version, scheme=scheme,
                                 engine=engine, spark_master=spark_master)
        data = found.to_dict()
        if as_json:
            emit_json(data)
            return
        _print_report({"path": f"{dataset} v{found.version}", **data})
        for warning in found.drift:
            typer.echo(f"  ⚠ {warning['message']}", err=True)

    @app.command("review")
    def review(ctx: typer.Context,
               dataset: str = typer.Argument(..., help="数据集名称 (dataset name)"),
               column: str = typer.Argument(..., help="列名 (column name)"),
               type_: str | None = typer.Option(None, "--type",
                                                help="类型代码，none 表示不敏感 (type code; none = not sensitive)"),
               level: int | None = typer.Option(None, "--level", min=1, max=4, help="级别 1–4"),
               why: str = typer.Option(..., "--why", help="理由 (reason, recorded)"),
               who: str | None = typer.Option(None, "--who", help="复核人 (reviewer; default: OS user)"),
               clear: bool = typer.Option(False, "--clear", help="撤销复核结论 (withdraw the override)"),
               as_json: bool = typer.Option(False, "--json", help="JSON 输出")) -> None:
        """确认或修改某列的类型与级别 (confirm or override a column's type and level; kept across versions)."""
        from shucang.classify.store import clear_override, column_grades, override_column

        wh = get_context(ctx).warehouse()
        if clear:
            clear_override(wh, dataset, column)
        else:
            if type_ is None:  # confirm (or only re-level) what was detected
                current = column_grades(wh, dataset).get(column)
                t = current.type if current else None
                if level is None and current is not None:
                    level = current.level
            else:
                t = None if type_.lower() in ("none", "null", "-") else type_
            override_column(wh, dataset, column, type=t, level=level, who=operator_name(who), why=why)
        grade = column_grades(wh, dataset).get(column)
        out = {"dataset": dataset, "column": column, "type": grade.type if grade else None,
               "level": grade.level if grade else None, "overridden": bool(grade and grade.overridden)}
        if as_json:
            emit_json(out)
        else:
            typer.echo(f"{dataset}.{column}: {out['type'] or '-'} L{out['level']}"
                       + (" (已复核 reviewed)" if out["overridden"] else " (检测结果 detected)"))


