"""数据汇聚 on the cockpit: failed or late sources on the warehouse page, and the stewards' upload pages."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import RedirectResponse, Response

from shucang.errors import PermissionDenied, ShucangError
from shucang.share.access import allowed
from shucang.shell.request import get_actor, get_warehouse
from shucang.warehouse import Warehouse
from shucang.web.i18n import gettext, request_lang
from shucang.web.render import check_csrf, page
from shucang.web.tables import Column, Table

CADENCE_ZH = {"hourly": "每小时", "daily": "每日", "weekly": "每周", "monthly": "每月"}


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def source_alerts(wh: Warehouse, lang: str) -> Table | None:
    """A table of the sources whose last run failed or whose last good run is too old (None if none)."""
    from shucang.collect import statuses

    _ = lambda s: gettext(lang, s)  # noqa: E731
    rows: list[dict[str, Any]] = []
    for state in statuses(wh):
        if not (state["failing"] or state["late"]):
            continue
        problem = [_("Failed") for _x in [0] if state["failing"]] + [_("Late") for _x in [0] if state["late"]]
        dataset = state["dataset"]
        rows.append({
            "source": state["name"], "kind": state["kind"],
            "dataset": {"text": dataset, "href": f"/warehouse/{dataset}"} if dataset else "–",
            "cadence": (CADENCE_ZH.get(state["cadence"] or "", state["cadence"]) if lang == "zh"
                        else state["cadence"]) or "–",
            "state": " · ".join(problem), "last_ok": _when(state["last_ok_at"]),
            "last_run": _when(state["last_run_at"]), "error": (state["last_error"] or "")[:200],
        })
    if not rows:
        return None
    return Table("source-alerts", _("Sources needing attention"), [
        Column("source", _("Source")), Column("kind", _("Kind")), Column("dataset", _("Dataset"), "link"),
        Column("cadence", _("Cadence")), Column("state", _("State")), Column("last_ok", _("Last good run"), "when"),
        Column("last_run", _("Last run"), "when"), Column("error", _("Error")),
    ], rows, export_url="/warehouse/export/source-alerts")


# ---------------------------------------------------------------------------------------------- upload
# A steward uploads a file, sees what would be loaded (rows, rejects, proposed classification) and
# confirms; only then is anything written — through the same ingest as `shucang ingest`.

router = APIRouter(include_in_schema=False)


def _render(request: Request, template: str, data: dict[str, Any], *, status: int = 200) -> Response:
    lang = request_lang(request)

    def t(zh: str, en: str) -> str:
        return zh if lang == "zh" else en

    return page(request, template, data, status=status, active="upload", context={"t": t})


def _steward(request: Request) -> Any:
    """The logged-in steward or admin; anyone else is sent to log in or refused."""
    try:
        actor = get_actor(request)
    except ShucangError:
        actor = None
    if actor is None or not actor.is_authenticated:
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
    if not allowed(actor, "dataset:upload"):
        raise PermissionDenied("只有数据管理员可以上传数据 (only stewards and admins upload data)")
    return actor


def _csrf(request: Request, token: str | None) -> None:
    if not check_csrf(request, token):
        raise PermissionDenied("表单已过期或来源不明，请刷新后重试 (form expired or forged: reload and retry)")


@router.get("/upload")
def upload_form(request: Request) -> Response:
    actor = _steward(request)
    if isinstance(actor, Response):
        return actor
    return _render(request, "collect/upload.html", {"department": actor.department, "error": None})


@router.post("/upload")
def upload_submit(request: Request, file: UploadFile = File(...), csrf_token: str = Form("")) -> Response:
    actor = _steward(request)
    if isinstance(actor, Response):
        return actor
    _csrf(request, csrf_token)
    from shucang.collect.upload import save_upload

    wh = get_warehouse(request)
    saved = save_upload(wh.settings, file.filename or "", file.file, actor.name)
    return RedirectResponse(f"/upload/{saved.token}", status_code=303)


@router.get("/upload/{token}")
def upload_preview(request: Request, token: str = PathParam(..., max_length=80)) -> Response:
    actor = _steward(request)
    if isinstance(actor, Response):
        return actor
    from shucang.collect.upload import get_upload, preview_upload

    wh = get_warehouse(request)
    upload = get_upload(wh.settings, token, actor.name, admin=actor.role == "admin")
    tables = preview_upload(upload)
    return _render(request, "collect/upload_preview.html", {"token": token, "name": upload.name, "tables": tables,
                                                    "department": actor.department})


@router.post("/upload/{token}/confirm")
async def upload_confirm(request: Request, token: str = PathParam(..., max_length=80)) -> Response:
    actor = _steward(request)
    if isinstance(actor, Response):
        return actor
    form = await request.form()
    _csrf(request, str(form.get("csrf_token") or ""))
    from starlette.concurrency import run_in_threadpool

    from shucang.collect.upload import confirm_upload, get_upload

    wh = get_warehouse(request)
    upload = get_upload(wh.settings, token, actor.name, admin=actor.role == "admin")
    choices: list[tuple[str | None, str]] = []
    for value in form.getlist("table"):
        index = str(value)
        if not index.isdigit():
            continue
        sheet = str(form.get(f"sheet_{index}") or "") or None
        dataset = str(form.get(f"dataset_{index}") or "").strip()
        choices.append((sheet, dataset))
    mode = str(form.get("mode") or "append")
    results = await run_in_threadpool(confirm_upload, wh, upload, choices, department=actor.department,
                                      created_by=f"web:{actor.name}", mode=mode)
    return _render(request, "collect/upload_done.html", {"name": upload.name, "results": results})
