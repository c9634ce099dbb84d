"""``shucang backup`` / ``backup verify`` / ``restore``: the 灾备 commands (see shucang.backup)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from shucang.cli.context import emit_json, get_context

backup_app = typer.Typer(help="备份与恢复 (backup: consistent, verifiable, keys encrypted; see docs/operations.md)",
                         invoke_without_command=True)
PASSPHRASE = typer.Option("--passphrase-file", help="first line: the passphrase (else SHUCANG_BACKUP_PASSPHRASE)")


def _print(report: dict[str, Any], json_out: bool, what: str) -> None:
    if json_out:
        emit_json(report)
        return
    typer.echo(f"{what}: {report['path']}")
    for name, pin in sorted(report["datasets"].items()):
        typer.echo(f"  {name:28} v{pin['version']}  {pin['rows']:>12,} 行 (rows)")
    typer.echo(f"  {report['files']} 个文件 (files), {report['bytes']:,} 字节 (bytes); "
               f"密钥{'已加密' if report['keys_encrypted'] else '无'} (keys {'encrypted' if report['keys_encrypted'] else 'none'})")
    for problem in report["problems"]:
        typer.echo(f"  问题 (problem): {problem}", err=True)


def _audit(settings: Any, action: str, **details: Any) -> None:
    """Record the operation in the home's audit chain (actor: the OS user, as for every CLI access)."""
    from shucang.platform import open_warehouse
    from shucang.share.access import cli_actor
    from shucang.share.audit import record_event

    wh = open_warehouse(settings)
    try:
        record_event(wh, cli_actor(settings.home), action, **details)
    finally:
        wh.close()


@backup_app.callback()
def backup(ctx: typer.Context,
           out: Annotated[Path | None, typer.Option("--out", help="the backup file to write")] = None,
           passphrase_file: Annotated[Path | None, PASSPHRASE] = None,
           json_out: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Write a consistent backup of the home while it serves (catalog snapshot, Delta tables at their
    current versions, rejects, plans, policies, audit head; keys encrypted with the passphrase)."""
    if ctx.invoked_subcommand is not None:
        return
    if out is None:
        raise typer.BadParameter("--out FILE is required", param_hint="--out")
    from shucang.backup.archive import create_backup, passphrase_from

    settings = get_context(ctx).settings
    report = create_backup(settings, out, passphrase=passphrase_from(passphrase_file))
    _audit(settings, "backup", path=report.path, files=report.files, bytes=report.bytes,
           datasets={k: v["version"] for k, v in report.datasets.items()})
    _print(report.to_dict(), json_out, "备份完成 (backup written)")


@backup_app.command("verify")
def verify(file: Annotated[Path, typer.Argument(help="the backup file")],
           passphrase_file: Annotated[Path | None, PASSPHRASE] = None,
           json_out: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Check every member against the manifest, the catalog's integrity and (with a passphrase) the keys."""
    from shucang.backup.archive import passphrase_from, verify_backup

    report = verify_backup(file, passphrase=passphrase_from(passphrase_file))
    _print(report.to_dict(), json_out, "备份完好 (backup verifies)" if report.ok else "备份损坏 (backup DAMAGED)")
    if not report.ok:
        raise typer.Exit(1)


def restore(ctx: typer.Context, file: Annotated[Path, typer.Argument(help="the backup file")],
            passphrase_file: Annotated[Path | None, PASSPHRASE] = None,
            json_out: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Recreate a home from a backup: ``shucang restore FILE --home NEW_DIR`` (the catalog goes to
    SHUCANG_CATALOG_URL when set, e.g. PostgreSQL). The backup is verified first."""
    from shucang.backup.archive import passphrase_from, restore_backup

    settings = get_context(ctx).settings
    report = restore_backup(file, settings, passphrase=passphrase_from(passphrase_file))
    _audit(settings, "restore", path=str(file), datasets={k: v["version"] for k, v in report.datasets.items()})
    _print(report.to_dict(), json_out, f"已恢复到 {settings.home} (restored)")


def register(app: typer.Typer) -> None:
    app.add_typer(backup_app, name="backup")
    app.command("restore")(restore)
