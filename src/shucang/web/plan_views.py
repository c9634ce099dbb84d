"""空间布局 (``/zones``) and 任务与专栏 (``/tasks``) pages.

Zones: the plan's six zones of "一核二带三园" on the schematic map, with focus industries, towns and
figures from the warehouse (``zone_figures``). Tasks: the five main tasks with their sub-tasks and
the twelve key projects (专栏) with quantitative targets, milestones, progress and status. Status
and roll-ups come from ``shucang.plan.monitor``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from shucang.errors import AuthenticationRequired, Conflict, InputError, NotFound, PermissionDenied
from shucang.shell.request import get_actor, get_warehouse
from shucang.warehouse import Warehouse
from shucang.web import plan_data
from shucang.web.cixi_map import build_map
from shucang.web.exports import export_response
from shucang.web.i18n import gettext, request_lang
from shucang.web.memo import forget
from shucang.web.render import check_csrf, page
from shucang.web.tables import Column, Table
from shucang.web.zone_figures import figures_by

router = APIRouter(include_in_schema=False)

SHORT = {"core": "一核", "belt_appliance": "家电产业带", "belt_coastal": "滨海示范带",
         "park_small_appliance": "小家电园", "park_bay_smart": "环湾智能园", "park_agri": "数字农业园"}


def _rollups(wh: Warehouse, plan_id: str, by: str) -> dict[str, dict[str, Any]]:
    from shucang.plan import analytics, monitor

    out = {}
    for r in monitor.rollups(wh, plan_id, by=by):
        r["by_code"] = {analytics.STATUS_CODES[k]: v for k, v in r["by_status"].items()}
        out[r["key"]] = r
    return out


def zones_data(wh: Warehouse, lang: str, state: Any, plan_id: str | None = None) -> dict[str, Any]:
    """Zones with towns, industries, figures and their indicators' status."""
    _ = lambda s: gettext(lang, s)  # noqa: E731
    base = plan_data.plan_base(plan_id)
    plan, cards = plan_data.plan_cards(wh, plan_id, scope="all")
    by_id = {c["id"]: c for c in cards}
    figures = figures_by(wh, "zone", state)
    town_figures = figures_by(wh, "town", state)
    drawn = build_map([(z.id, z.name, list(z.towns)) for z in plan.zones])
    colours = {z.id: z.colour for z in drawn.zones}
    for z in drawn.zones:
        z.short = SHORT.get(z.id, z.name[:6])
    kind_names = {"core": _("Core"), "belt": _("Belt"), "park": _("Park")}
    zones = []
    for z in plan.zones:
        zones.append({
            "id": z.id, "name": z.name, "kind": z.kind, "kind_label": kind_names.get(z.kind, z.kind),
            "towns": list(z.towns), "towns_from_text": z.towns_from_text, "focus_industries": list(z.focus_industries),
            "platforms": list(z.platforms), "lead_enterprises": list(z.lead_enterprises), "goal": z.goal,
            "note": z.note, "colour": colours.get(z.id, "#0b4f9c"),
            "figures": figures.get(z.id, {}),
            "indicators": [{"id": i, "name": by_id[i]["name"], "status": by_id[i]["status"],
                            "href": f"{base}/indicators/{i}"}
                           for i in z.indicators if i in by_id],
        })
    zone_table = Table("zones", _("Zones"), [
        Column("zone", _("Zone")), Column("towns", _("Towns")), Column("enterprises", _("Enterprises"), "number"),
        Column("cloud", _("Cloud-enabled enterprises"), "number"), Column("robots", _("Robots in service"), "number"),
        Column("output_yi", _("Industrial output (100M yuan)"), "number"), Column("output_year", _("Year"))],
        [{"zone": z["name"], "towns": "、".join(z["towns"]), **z["figures"]} for z in zones],
        export_url=f"{base}/zones/export/zones")
    town_zone = {t: z.id for z in plan.zones for t in z.towns}
    zone_names = {z.id: z.name for z in plan.zones}
    town_table = Table("towns", _("Towns and streets"), [
        Column("town", _("Town")), Column("zone", _("Zone")), Column("enterprises", _("Enterprises"), "number"),
        Column("cloud", _("Cloud-enabled enterprises"), "number"), Column("robots", _("Robots in service"), "number"),
        Column("output_yi", _("Industrial output (100M yuan)"), "number")],
        [{"town": t, "zone": zone_names.get(town_zone.get(t, ""), "–"), **f} for t, f in sorted(town_figures.items())],
        export_url=f"{base}/zones/export/towns")
    chart = {"kind": "bars", "file": "zones", "categories": [SHORT.get(z["id"], z["name"]) for z in zones],
             "series": [{"name": _("Enterprises"), "values": [z["figures"].get("enterprises") for z in zones]},
                        {"name": _("Cloud-enabled enterprises"), "values": [z["figures"].get("cloud") for z in zones]},
                        {"name": _("Robots in service"), "values": [z["figures"].get("robots") for z in zones]}]}
    return {"page_title": _("Zones"), "zones": zones, "map": drawn, "zone_chart": chart, "base": base,
            "plan_nav": plan_data.plan_nav(wh, plan, base, "zones"),
            "tables": [zone_table, town_table], "synthetic_note": bool(figures)}


def tasks_data(wh: Warehouse, lang: str, plan_id: str | None = None) -> dict[str, Any]:
    """The five tasks (with sub-tasks) and twelve key projects with targets, milestones, status and
    the project register (items with 责任单位, dates, investment, progress, status, evidence)."""
    from shucang.plan.register import project_register, task_statuses

    _ = lambda s: gettext(lang, s)  # noqa: E731
    base = plan_data.plan_base(plan_id)
    plan, cards = plan_data.plan_cards(wh, plan_id, scope="all")
    cards = plan_data.with_links(cards, base)
    by_id = {c["id"]: c for c in cards}
    register = {r["id"]: r for r in project_register(wh, plan)}
    task_status = task_statuses(plan, list(register.values()))
    task_roll = _rollups(wh, plan.id, "task")
    project_roll = _rollups(wh, plan.id, "project")

    def task_view(t: Any) -> dict[str, Any]:
        return {"id": t.id, "number": t.number, "title": t.title,
                "indicators": [by_id[i] for i in t.indicators if i in by_id],
                "projects": list(t.projects), "subtasks": [task_view(s) for s in t.subtasks]}

    tasks = []
    for t in plan.tasks:
        view = task_view(t)
        view["rollup"] = task_roll.get(t.id)
        view["register_status"] = task_status.get(t.id)
        tasks.append(view)
    projects = []
    for p in plan.projects:
        targets = [by_id[i] for i in p.targets if i in by_id]
        milestones = [{"year": m.year, "text": m.text, "indicator": by_id.get(m.indicator) if m.indicator else None}
                      for m in p.milestones]
        projects.append({"id": p.id, "number": p.number, "title": p.title, "task": p.task,
                         "parts": [{"name": i.name, "description": i.description} for i in p.items],
                         "targets": targets, "milestones": milestones, "rollup": project_roll.get(p.id),
                         "register": register[p.id]})
    project_table = Table("projects", _("Key projects"), [
        Column("project", _("Key project")), Column("targets", _("Quantitative targets"), "number"),
        Column("met", _("Met"), "number"), Column("largely_met", _("Nearly met"), "number"),
        Column("lagging", _("Lagging"), "number"), Column("no_data", _("No data"), "number"),
        Column("mean_completion", _("Mean completion"), "ratio"), Column("register", _("Status from the register"))],
        [{"project": f"专栏{p['number']}：{p['title']}", "targets": (p["rollup"] or {}).get("count", 0),
          **((p["rollup"] or {}).get("by_code") or {}), "mean_completion": (p["rollup"] or {}).get("mean_completion"),
          "register": p["register"]["status_label"]}
         for p in projects], export_url=f"{base}/tasks/export/projects")
    task_table = Table("tasks", _("Main tasks"), [
        Column("task", _("Task")), Column("indicators", _("Indicators"), "number"),
        Column("met", _("Met"), "number"), Column("largely_met", _("Nearly met"), "number"),
        Column("lagging", _("Lagging"), "number"), Column("no_data", _("No data"), "number"),
        Column("mean_completion", _("Mean completion"), "ratio")],
        [{"task": f"{t['number']}{t['title']}", "indicators": (t["rollup"] or {}).get("count", 0),
          **((t["rollup"] or {}).get("by_code") or {}), "mean_completion": (t["rollup"] or {}).get("mean_completion")}
         for t in tasks], export_url=f"{base}/tasks/export/tasks")
    from shucang.plan.register import ITEM_STATUSES

    return {"page_title": _("Tasks & projects"), "tasks": tasks, "projects": projects, "base": base,
            "plan_nav": plan_data.plan_nav(wh, plan, base, "tasks"), "item_statuses": ITEM_STATUSES,
            "tables": [task_table, project_table]}


@router.get("/zones")
def zones_page(request: Request) -> Response:
    data = zones_data(get_warehouse(request), request_lang(request), request.app.state)
    return page(request, "zones.html", data, active="zones")


@router.get("/zones/export/{table}.{fmt}")
def zones_export(request: Request, table: str, fmt: str) -> Response:
    data = zones_data(get_warehouse(request), request_lang(request), request.app.state)
    return export_response(data["tables"], table, fmt, request=request)


@router.get("/tasks")
def tasks_page(request: Request) -> Response:
    data = tasks_data(get_warehouse(request), request_lang(request))
    return page(request, "tasks.html", data, context=_register_context(request), active="tasks")


@router.get("/tasks/export/{table}.{fmt}")
def tasks_export(request: Request, table: str, fmt: str) -> Response:
    data = tasks_data(get_warehouse(request), request_lang(request))
    return export_response(data["tables"], table, fmt, request=request)


@router.get("/plans/{plan_id}/zones")
def plan_zones_page(request: Request, plan_id: str) -> Response:
    data = zones_data(get_warehouse(request), request_lang(request), request.app.state, plan_id)
    return page(request, "zones.html", data, active="zones")


@router.get("/plans/{plan_id}/zones/export/{table}.{fmt}")
def plan_zones_export(request: Request, plan_id: str, table: str, fmt: str) -> Response:
    data = zones_data(get_warehouse(request), request_lang(request), request.app.state, plan_id)
    return export_response(data["tables"], table, fmt, request=request)


@router.get("/plans/{plan_id}/tasks")
def plan_tasks_page(request: Request, plan_id: str) -> Response:
    data = tasks_data(get_warehouse(request), request_lang(request), plan_id)
    return page(request, "tasks.html", data, context=_register_context(request), active="tasks")


@router.get("/plans/{plan_id}/tasks/export/{table}.{fmt}")
def plan_tasks_export(request: Request, plan_id: str, table: str, fmt: str) -> Response:
    data = tasks_data(get_warehouse(request), request_lang(request), plan_id)
    return export_response(data["tables"], table, fmt, request=request)


def _register_context(request: Request, form: dict[str, Any] | None = None) -> dict[str, Any]:
    actor = get_actor(request)
    return {"can_register": getattr(actor, "role", None) in ("admin", "steward"), "form": form or {},
            "registered": request.query_params.get("registered")}


@router.post("/plans/{plan_id}/tasks/{project_id}/items")
def plan_register_item(request: Request, plan_id: str, project_id: str, item: str = Form(""),
                       unit: str = Form(""), start: str = Form(""), end: str = Form(""), planned: str = Form(""),
                       actual: str = Form(""), progress: str = Form(""), status: str = Form(""),
                       evidence: str = Form(""), link: str = Form(""), milestone_date: str = Form(""),
                       milestone_text: str = Form(""), csrf_token: str = Form(""),
                       evidence_upload: UploadFile | None = File(None)) -> Response:
    """The register form of one 专栏 item (admins and stewards; CSRF-checked; audited by the engine)."""
    from shucang.plan import monitor
    from shucang.plan.register import add_milestone, set_item

    lang = request_lang(request)
    actor = get_actor(request)
    if not actor.is_authenticated:
        raise AuthenticationRequired(gettext(lang, "Please log in to edit values."), hint="/login")
    if not check_csrf(request, csrf_token):
        raise PermissionDenied(gettext(lang, "The form has expired (CSRF check failed). Reload the page and try again."))
    wh = get_warehouse(request)
    plan = monitor.load_plan(wh, plan_id)
    fields: dict[str, Any] = {"unit": unit, "start": start, "end": end, "planned_investment": planned, "actual_investment": actual,
              "progress": progress, "status": status, "evidence_text": evidence, "evidence_link": link}
    try:
        if evidence_upload is not None and evidence_upload.filename:
            fields["evidence_file"] = _store_upload(wh, plan, project_id, evidence_upload)
        given: dict[str, Any] = {k: (v.strip() or None) for k, v in fields.items()}
        set_item(wh, plan, project_id, item, actor=actor.name, editor=actor, **given)
        if milestone_date.strip() or milestone_text.strip():
            add_milestone(wh, plan, project_id, item, milestone_date.strip(), milestone_text, actor=actor.name,
                          editor=actor)
    except (InputError, Conflict) as exc:
        data = tasks_data(wh, lang, plan_id)
        context = _register_context(request, {"project": project_id, "error": exc.message})
        return page(request, "tasks.html", data, status=exc.status, context=context, active="tasks")
    forget(request.app.state)
    return RedirectResponse(f"/plans/{quote(plan.id)}/tasks?registered={quote(project_id)}#project-{quote(project_id)}",
                            status_code=303)


MAX_EVIDENCE = 10 * 1024 * 1024


def _store_upload(wh: Warehouse, plan: Any, project_id: str, upload: UploadFile) -> str:
    """Keep an uploaded evidence file beside the register (at most 10 MB, the file's own name)."""
    import tempfile
    from pathlib import Path

    from shucang.plan.register import store_evidence

    name = Path(upload.filename or "evidence").name
    data = upload.file.read(MAX_EVIDENCE + 1)
    if len(data) > MAX_EVIDENCE:
        raise InputError("佐证文件过大 (evidence file larger than 10 MB)")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        return store_evidence(wh, plan, plan.project(project_id).id, path)


@router.get("/plans/{plan_id}/report.{fmt}")
def plan_report(request: Request, plan_id: str, fmt: str) -> Response:
    """The evaluation report (the report button): the same files as `shucang plan report`."""
    import tempfile
    from pathlib import Path

    from shucang.plan import monitor
    from shucang.plan.report import FORMATS, write_report

    if fmt not in FORMATS:
        raise NotFound(f"没有 {fmt} 格式的报告 (no such report format)")
    wh = get_warehouse(request)
    plan = monitor.load_plan(wh, plan_id)
    with tempfile.TemporaryDirectory() as tmp:
        data = write_report(wh, plan.id, fmt, Path(tmp) / f"report.{fmt}").read_bytes()
    media = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}[fmt]
    name = quote(f"{plan.title}评估报告.{fmt}")
    return Response(data, media_type=media, headers={
        "Content-Disposition": f"attachment; filename=\"{plan.id}-report.{fmt}\"; filename*=UTF-8''{name}"})
