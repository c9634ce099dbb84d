"""CLI commands of the economy stage: ``shucang economy bind|unbind|bindings|yoy|corrections|chains|
watch|alerts|mujun|portrait|panel``.

Each command parses its options and calls one function of ``shucang.economy``; ``--json`` prints the
same dictionaries the API returns.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from shucang.cli.context import emit_json, get_context, operator_name

economy_app = typer.Typer(help="产业大脑·经济运行监测 (economic monitoring: bindings, YoY, watch, 亩均, portraits)",
                          no_args_is_help=True)

JSON = typer.Option(False, "--json", help="print JSON")
SPARK_MASTER = typer.Option(None, "--spark-master", help="Spark master URL (default: $SPARK_MASTER, else local[2])")
DATASET = typer.Option(None, "--dataset", "-d", help="bound monthly report dataset (default: the first bound)")


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the root app."""
    app.add_typer(economy_app, name="economy")


def _wh(ctx: typer.Context) -> Any:
    return get_context(ctx).warehouse()


def _num(x: Any) -> str:
    return "—" if x is None else f"{x:,.2f}"


@economy_app.command("bind")
def bind_cmd(ctx: typer.Context, dataset: str = typer.Argument(..., help="dataset holding monthly reports"),
             mapping: list[str] = typer.Option(None, "--map", help="COLUMN=ROLE (enterprise, name, period, industry, "
                                               "town, report_time, size, measure[:KEY], ignore); repeatable"),
             dry_run: bool = typer.Option(False, "--dry-run", help="show the binding without storing it"),
             as_json: bool = JSON) -> None:
    """Bind a monthly report dataset's columns to roles from its headers (override with --map)."""
    from shucang.economy import bind_dataset, propose_binding
    from shucang.economy.roles import parse_map

    overrides = parse_map(mapping)
    b = propose_binding(_wh(ctx), dataset, overrides) if dry_run else bind_dataset(_wh(ctx), dataset, overrides)
    if as_json:
        emit_json(b.to_dict())
        return
    for c in b.columns:
        typer.echo(f"{c.column}\t{c.role}{':' + c.measure if c.measure else ''}\t({c.origin})")
    if not dry_run:
        typer.echo(f"已绑定 {dataset} (bound)")


@economy_app.command("unbind")
def unbind_cmd(ctx: typer.Context, dataset: str = typer.Argument(...)) -> None:
    """Forget a dataset's binding (its data stays)."""
    from shucang.economy.binding import unbind_dataset

    typer.echo("已解除绑定 (unbound)" if unbind_dataset(_wh(ctx), dataset) else "未绑定 (was not bound)")


@economy_app.command("bindings")
def bindings_cmd(ctx: typer.Context, as_json: bool = JSON) -> None:
    """List the bound monthly report datasets and their roles."""
    from shucang.economy import bound_datasets

    found = [b.to_dict() for b in bound_datasets(_wh(ctx))]
    if as_json:
        emit_json(found)
        return
    for b in found:
        typer.echo(f"{b['dataset']}  v{b['version']}  " + "  ".join(f"{k}={v}" for k, v in b["roles"].items())
                   + "  measures: " + "、".join(m["column"] for m in b["measures"]))


@economy_app.command("yoy")
def yoy_cmd(ctx: typer.Context, dataset: str = DATASET,
            measure: str = typer.Option("output", "--measure", "-m", help="measure column (or key: output, sales …)"),
            period: str = typer.Option(..., "--period", "-p", help="month N: 2025-06, 202506 or 2025年6月"),
            by: str = typer.Option("none", "--by", help="town|industry|division|chain|size|none"),
            caliber: str = typer.Option("comparable", "--caliber", help="comparable (同口径) | all (全口径)"),
            as_json: bool = JSON,
            engine: str = typer.Option("local", "--engine",
                                       help="local | spark (逐企业汇总在 Spark 上运行 per-enterprise sums on Spark)"),
            spark_master: str | None = SPARK_MASTER,
            ) -> None:
    """Cumulative year-on-year figures (1–N月累计同比) for one measure and month."""
    from shucang.economy import yoy
    from shucang.economy.binding import default_dataset
    from shucang.warehouse.scaleout import check_engine

    wh = _wh(ctx)
    if check_engine(engine) == "spark":
        from shucang.economy.scaleout import yoy_on_spark
        from shucang.warehouse.scaleout import spark_session

        out = yoy_on_spark(wh, spark_session(spark_master), default_dataset(wh, dataset), measure, period, by=by,
                           caliber=caliber)
    else:
        out = yoy(wh, default_dataset(wh, dataset), measure, period, by=by, caliber=caliber)
    if as_json:
        emit_json(out)
        return
    typer.echo(f"{out['measure']}  1–{int(out['period'][5:])}月累计  {out['period']}  口径 {out['caliber']}")
    for r in [*out["rows"], out["total"]]:
        pct = "—" if r["yoy_pct"] is None else f"{r['yoy_pct']:+.2f}%"
        typer.echo(f"{r['group']}\t{_num(r['current'])}\t{_num(r['previous'])}\t{pct}\t{r['enterprises']} 家")


@economy_app.command("corrections")
def corrections_cmd(ctx: typer.Context, dataset: str = DATASET, as_json: bool = JSON) -> None:
    """Enterprise-months reported more than once (更正): which row counts, which were superseded."""
    from shucang.economy import corrections, load_binding
    from shucang.economy.binding import default_dataset

    wh = _wh(ctx)
    out = corrections(wh, load_binding(wh, default_dataset(wh, dataset)))
    if as_json:
        emit_json(out)
        return
    typer.echo(f"{out['count']} 处更正 (corrections) — {out['rule']}")
    for c in out["corrections"]:
        typer.echo(f"{c['enterprise']} {c['name'] or ''} {c['period']}: 以 {c['counted']['report_time']} 为准，"
                   f"替代 {len(c['superseded'])} 行")


@economy_app.command("chains")
def chains_cmd(ctx: typer.Context, as_json: bool = JSON) -> None:
    """Industry chains in force (bundled, or <home>/economy/chains.yaml) with their GB/T 4754 codes."""
    from shucang.economy.reference import chains_source, load_chains

    home = get_context(ctx).settings.home
    chains = [{"id": c.id, "name": c.name, "codes": list(c.codes), "note": c.note} for c in load_chains(home)]
    if as_json:
        emit_json({"source": chains_source(home), "chains": chains})
        return
    for c in chains:
        typer.echo(f"{c['id']}\t{c['name']}\t{','.join(c['codes'])}")
    typer.echo(f"来源 (source): {chains_source(home)}")


@economy_app.command("watch")
def watch_cmd(ctx: typer.Context, dataset: str = DATASET, as_json: bool = JSON,
              engine: str = typer.Option("local", "--engine",
                                         help="local | spark (逐企业规则在 Spark 上运行 per-enterprise rules on Spark)"),
              spark_master: str | None = SPARK_MASTER,
              ) -> None:
    """Evaluate the watch rules (运行预警) on the latest month and store the alerts."""
    from shucang.economy.watch import watch_all
    from shucang.warehouse.scaleout import check_engine

    spark = None
    if check_engine(engine) == "spark":
        from shucang.warehouse.scaleout import spark_session

        spark = spark_session(spark_master)
    results = watch_all(_wh(ctx), dataset, spark=spark)
    if as_json:
        emit_json(results[0] if dataset and results else results)
        return
    for r in results:
        typer.echo(f"{r['dataset']}  {r['period']}: {len(r['alerts'])} 条预警 (alerts)")
        for a in r["alerts"]:
            typer.echo(f"  [{a['severity']}] {a['title']}: {a['message']}")


@economy_app.command("alerts")
def alerts_cmd(ctx: typer.Context, dataset: str = DATASET,
               subject: str = typer.Option(None, "--subject", help="one enterprise (credit code) or chain"),
               as_json: bool = JSON) -> None:
    """The alerts of the last watch run, with the figures behind them."""
    from shucang.economy.watch import stored_alerts

    found = stored_alerts(_wh(ctx), dataset=dataset, subject=subject)
    if as_json:
        emit_json(found)
        return
    for a in found:
        typer.echo(f"[{a['severity']}] {a['period']} {a['rule']}: {a['message']}")


@economy_app.command("mujun")
def mujun_cmd(ctx: typer.Context, year: int = typer.Option(None, "--year", help="year (default: the latest)"),
              dataset: str = typer.Option(None, "--dataset", "-d", help="yearly dataset with land area "
                                          "(default: the first with 用地面积)"),
              mapping: list[str] = typer.Option(None, "--map", help="COLUMN=ROLE (land, tax, added_value, revenue, "
                                                "rd, energy, employees, enterprise, name, year)"),
              xlsx: Path = typer.Option(None, "--xlsx", help="write the evaluation list to this XLSX file"),
              as_json: bool = JSON,
              engine: str = typer.Option("local", "--engine",
                                         help="local | spark (月报逐企业汇总在 Spark 上运行 the monthly pass on Spark)"),
              spark_master: str | None = SPARK_MASTER,
              ) -> None:
    """亩均效益评价: indicators, weighted score and class A/B/C/D per enterprise (method kept as data)."""
    from shucang.economy.mujun import evaluate, to_xlsx_file
    from shucang.economy.roles import parse_map
    from shucang.warehouse.scaleout import check_engine

    wh = _wh(ctx)
    spark = None
    if check_engine(engine) == "spark":
        from shucang.warehouse.scaleout import spark_session

        spark = spark_session(spark_master)
    out = evaluate(wh, year, dataset=dataset, overrides={c: r for c, r in parse_map(mapping).items()} or None,
                   spark=spark)
    if xlsx is not None:
        xlsx.expanduser().write_bytes(to_xlsx_file(wh, out, exported_by=operator_name()))
    if as_json:
        emit_json(out)
        return
    total = out["distribution"]["total"]
    typer.echo(f"{out['year']} 年 亩均效益评价：参评 {total['enterprises']} 家 (A {total['A']} · B {total['B']} · "
               f"C {total['C']} · D {total['D']})，不可评价 {len(out['not_evaluable'])} 家，不参评 {len(out['not_eligible'])} 家")
    for e in out["evaluated"][:10]:
        typer.echo(f"{e['rank']:>4} {e['class']} {e['score']:7.2f}  {e['name']}")
    if xlsx is not None:
        typer.echo(f"已导出 (written) {xlsx}")


def _cli_actor() -> Any:
    """The local operator owns the warehouse files: the CLI reads as an admin (as the other stages' CLIs do)."""
    from shucang.share.access import cli_actor

    return cli_actor()


@economy_app.command("portrait")
def portrait_cmd(ctx: typer.Context, uscc: str = typer.Argument(..., help="统一社会信用代码"),
                 dataset: str = DATASET, as_json: bool = JSON) -> None:
    """企业画像: one enterprise's monthly figures, chains, alerts, 亩均 class, registration, cloud, robots, patents."""
    from shucang.economy.portrait import portrait
    from shucang.protect.recipients import upsert_recipient

    wh, actor = _wh(ctx), _cli_actor()
    upsert_recipient(wh, actor.name, clearance=actor.clearance)  # reads are released to a known recipient
    out = portrait(wh, actor, uscc, dataset=dataset)
    if as_json:
        emit_json(out)
        return
    typer.echo(f"{out['name']}（{out['enterprise']}）{out['town'] or ''} 行业 {out['industry'] or '—'} "
               f"产业链 {'、'.join(out['chains']) or '—'}")
    last = out["monthly"][-1]
    typer.echo(f"{last['period']}: " + "  ".join(f"{m} {_num(last.get(m))}" for m in out["measures"][:4]))
    if out["mujun"]:
        typer.echo(f"亩均评价 {out['mujun']['year']}: {out['mujun'].get('class') or out['mujun'].get('reason')}")
    for a in out["alerts"]:
        typer.echo(f"预警: {a['message']}")
    for part, p in out["parts"].items():
        typer.echo(f"{part}: {p['count'] if p['available'] else p['reason']}")


@economy_app.command("panel")
def panel_cmd(ctx: typer.Context) -> None:
    """The big-screen panel's figures (JSON), public level: aggregates only, small groups suppressed."""
    from shucang.economy.monitor import screen_panel

    emit_json(screen_panel(_wh(ctx)))


@economy_app.command("enterprises")
def enterprises_cmd(ctx: typer.Context, dataset: str = DATASET,
                    period: str = typer.Option(None, "--period", "-p", help="month N (default: the latest)"),
                    town: str = typer.Option(None, "--town"), chain: str = typer.Option(None, "--chain", help="chain id"),
                    industry: str = typer.Option(None, "--industry", help="code prefix, e.g. 385"),
                    q: str = typer.Option(None, "--q", help="name or code contains"), as_json: bool = JSON) -> None:
    """Enterprises with 1–N月 output and YoY, filtered by town, chain, industry or name."""
    from shucang.economy.portrait import enterprise_list

    out = enterprise_list(_wh(ctx), _cli_actor(), dataset=dataset, period=period, town=town, chain=chain,
                          industry=industry, q=q)
    if as_json:
        emit_json(out)
        return
    for r in out["rows"]:
        pct = "—" if r["yoy_pct"] is None else f"{r['yoy_pct']:+.2f}%"
        typer.echo(f"{r['enterprise']}  {r['name']}  {r['town']}  {r['industry']}  {_num(r['current'])}  {pct}")
