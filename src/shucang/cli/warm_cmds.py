"""CLI commands of the warm server: ``shucang warm start|stop|status|run`` (see :mod:`shucang.cli.warm`)."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from shucang.cli import warm
from shucang.cli.context import emit_json
from shucang.errors import InputError

warm_app = typer.Typer(help="常驻进程：让每次 shucang ingest 等命令免去约 0.35 秒的启动。"
                            "A warm server that spares each `shucang ingest` its ~0.35 s start-up.",
                       no_args_is_help=True)

IdleOption = Annotated[float, typer.Option("--idle-timeout", min=0,
                                           help="seconds without a command before it stops (0: never)")]


def register(app: typer.Typer) -> None:
    app.add_typer(warm_app, name="warm")


def _show(info: dict[str, Any], json_out: bool, text: str) -> None:
    if json_out:
        emit_json(info)
    else:
        print(text)


def _status() -> dict[str, Any]:
    try:
        return warm.ask("status")
    except warm.WarmUnavailable:
        return {"running": False, "socket": warm.socket_path()}


@warm_app.command("start", help="在后台启动常驻进程（已在运行则不变）。Start a warm server in the background.")
def start(idle_timeout: IdleOption = 1800.0, json_out: Annotated[bool, typer.Option("--json")] = False) -> None:
    from shucang.cli import warm_server

    if not warm.supported():
        raise InputError("本平台不支持常驻进程 (this platform cannot run a warm server: Linux only)")
    info = _status()
    if not info["running"]:
        try:
            info = warm_server.wait_ready(warm_server.spawn(idle_timeout=idle_timeout))
        except (OSError, warm.WarmUnavailable) as exc:
            raise InputError(f"常驻进程未能启动 (the warm server did not start): {exc}") from None
    _show(info, json_out, f"常驻进程运行中 (warm server running): pid {info['pid']}, {info['socket']}")


@warm_app.command("stop", help="停止常驻进程（正在运行的命令照常完成）。Stop the warm server.")
def stop(json_out: Annotated[bool, typer.Option("--json")] = False) -> None:
    try:
        answer = warm.ask("stop")
        info = {"stopped": True, "pid": answer.get("pid")}
    except warm.WarmUnavailable:
        info = {"stopped": False, "pid": None}
    _show(info, json_out, f"已停止 (stopped): pid {info['pid']}" if info["stopped"]
          else "没有运行中的常驻进程 (no warm server was running)")


@warm_app.command("status", help="常驻进程状态。Is a warm server running, and what has it run.")
def status(json_out: Annotated[bool, typer.Option("--json")] = False) -> None:
    info = _status()
    if info["running"]:
        text = (f"运行中 (running): pid {info['pid']}, 自 {info['since']} 起已运行 {info['served']} 条命令 "
                f"(commands run), socket {info['socket']}")
    else:
        text = f"未运行 (not running); socket {info['socket']}"
    _show(info, json_out, text)


@warm_app.command("run", help="在前台运行常驻进程（供 systemd 等使用）。Run a warm server in the foreground.")
def run(idle_timeout: IdleOption = 0.0) -> None:
    from shucang.cli import warm_server

    sys.stdout.flush()
    code = warm_server.main(["--idle-timeout", str(idle_timeout)])
    if code:
        raise typer.Exit(code)
