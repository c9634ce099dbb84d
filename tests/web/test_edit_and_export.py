"""Editing an actual value through the web form (roles, CSRF, audit) and the XLSX/CSV exports."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest


def _form(client: Any, path: str) -> str:
    html = client.get(path).text
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "edit form not shown"
    return match.group(1)


def test_anonymous_visitor_sees_no_form_and_cannot_post(client: Any) -> None:
    html = client.get("/indicators/base_stations_5g").text
    assert 'data-testid="edit-form"' not in html
    r = client.post("/indicators/base_stations_5g/actuals", data={"year": "2023", "value": "1", "csrf_token": "x"})
    assert r.status_code == 401


def test_steward_of_other_department_may_not_edit(client: Any, as_actor: Any) -> None:
    as_actor("steward_gaj", "steward", "gaj")
    assert 'data-testid="edit-form"' not in client.get("/indicators/base_stations_5g").text
    r = client.post("/indicators/base_stations_5g/actuals", data={"year": "2023", "value": "1", "csrf_token": "tok-123"})
    assert r.status_code == 403


def test_wrong_csrf_token_is_refused(client: Any, as_actor: Any) -> None:
    as_actor("admin", "admin")
    r = client.post("/indicators/base_stations_5g/actuals", data={"year": "2023", "value": "1", "csrf_token": "forged"})
    assert r.status_code == 403


def test_authorised_edit_is_saved_audited_and_changes_the_overview(client: Any, as_actor: Any, web_app: Any) -> None:
    from shucang.plan import monitor

    as_actor("steward_jxj", "steward", "jxj")
    token = _form(client, "/indicators/base_stations_5g")
    assert token == "tok-123"  # the session's own CSRF token
    before = client.get("/?format=json").json()
    card = next(c for cat in before["categories"] for c in cat["cards"] if c["id"] == "base_stations_5g")
    assert card["latest"] == 1400
    r = client.post("/indicators/base_stations_5g/actuals",
                    data={"year": "2025", "value": "2,600", "note": "年报", "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/indicators/base_stations_5g?saved=2025"
    after = client.get("/?format=json").json()
    card = next(c for cat in after["categories"] for c in cat["cards"] if c["id"] == "base_stations_5g")
    assert card["latest"] == 2600 and card["latest_year"] == 2025 and card["status"] == "met"
    history = monitor.value_history(web_app.state.warehouse, None, "base_stations_5g")
    assert history[0].actor == "steward_jxj" and history[0].new_value == 2600 and history[0].note == "年报"
    page = client.get("/indicators/base_stations_5g?saved=2025").text
    assert "已保存 2025 的数值" in page and "steward_jxj" in page


def test_bad_value_is_reported_on_the_form(client: Any, as_actor: Any) -> None:
    as_actor("admin", "admin")
    r = client.post("/indicators/base_stations_5g/actuals", data={"year": "2023", "value": "abc", "csrf_token": "tok-123"})
    assert r.status_code == 400 and "数值须为数字" in r.text
    r = client.post("/indicators/base_stations_5g/actuals", data={"year": "1800", "value": "5", "csrf_token": "tok-123"})
    assert r.status_code == 400 and 'data-testid="form-error"' in r.text


def test_double_submit_csrf_without_a_session_token(client: Any, as_actor: Any) -> None:
    as_actor("admin", "admin", csrf=None)
    first = client.get("/indicators/base_stations_5g")
    token = re.search(r'name="csrf_token" value="([^"]+)"', first.text).group(1)
    assert client.cookies.get("shucang_csrf") == token
    ok = client.post("/indicators/base_stations_5g/actuals", data={"year": "2022", "value": "1400", "csrf_token": token},
                     follow_redirects=False)
    assert ok.status_code == 303
    client.cookies.clear()
    bad = client.post("/indicators/base_stations_5g/actuals", data={"year": "2022", "value": "1400", "csrf_token": token})
    assert bad.status_code == 403


@pytest.mark.parametrize("url", ["/export/indicators", "/indicators/export/indicators-main", "/zones/export/zones",
                                 "/zones/export/towns", "/tasks/export/projects", "/tasks/export/tasks",
                                 "/warehouse/export/datasets-scjgj", "/indicators/software_revenue/export/values",
                                 "/indicators/software_revenue/export/history",
                                 "/warehouse/enterprise_registry/export/columns"])
def test_every_table_exports_as_xlsx_and_csv(client: Any, url: str) -> None:
    import openpyxl

    if url.endswith("/columns"):  # a non-open dataset's columns are not for the public (issue 15)
        from shucang.share.access import Actor

        client.app.state.resolve_actor = lambda _r: Actor(name="admin", role="admin", clearance=4, via="token")
    csv_r = client.get(url + ".csv")
    assert csv_r.status_code == 200 and csv_r.headers["content-type"].startswith("text/csv")
    assert csv_r.content.startswith(b"\xef\xbb\xbf") and "attachment" in csv_r.headers["content-disposition"]
    xlsx_r = client.get(url + ".xlsx")
    assert xlsx_r.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(xlsx_r.content))
    sheet = book.active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    blank = next(i for i, row in enumerate(rows) if not any(v not in (None, "") for v in row))
    header = [v for v in rows[blank + 1] if v is not None]
    csv_lines = csv_r.content.decode("utf-8-sig").splitlines()
    assert header == csv_lines[csv_lines.index("") + 1].split(",")  # the same table after the same title block
    assert len(rows) >= blank + 3


def test_formula_like_cells_are_neutralised_in_exports(client: Any) -> None:
    import openpyxl

    csv_text = client.get("/warehouse/export/datasets-scjgj.csv").content.decode("utf-8-sig")
    assert "'=企业登记信息" in csv_text
    book = openpyxl.load_workbook(io.BytesIO(client.get("/warehouse/export/datasets-scjgj.xlsx").content))
    values = [c.value for row in book.active.iter_rows() for c in row]
    assert "'=企业登记信息（合成演示数据）" in values
    assert not any(isinstance(v, str) and v.startswith("=") for v in values)


def test_unknown_export_table_or_format(client: Any) -> None:
    assert client.get("/export/nope.csv").status_code == 404
    assert client.get("/export/indicators.pdf", headers={"accept": "application/json"}).status_code == 400


def test_an_export_stands_alone(client: Any) -> None:
    """Title block (what, period, sources with versions, time, who, label), formats and a dated file name."""
    import openpyxl

    r = client.get("/export/indicators.xlsx")
    disposition = r.headers["content-disposition"]
    assert "filename*=UTF-8''" in disposition
    from urllib.parse import unquote

    full = unquote(disposition.split("filename*=UTF-8''")[1])
    assert re.fullmatch(r"慈溪数字驾驶舱_指标_\d{4}-\d{2}-\d{2}\.xlsx", full), full
    sheet = openpyxl.load_workbook(io.BytesIO(r.content)).active
    block = {row[0].value: row[1].value for row in sheet.iter_rows(min_row=2, max_row=6)}
    assert list(block) == ["期间", "来源数据集（版本）", "导出时间（北京时间）", "导出人", "数据标签"]
    assert sheet["A1"].value.endswith("指标")
    assert block["期间"] == "2021–2025"
    assert "enterprise_registry v" in block["来源数据集（版本）"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", block["导出时间（北京时间）"])
    assert block["导出人"] == "匿名访客"
    assert "合成演示数据" in block["数据标签"]
    header_row = next(row for row in sheet.iter_rows() if row[0].value == "指标")
    labels = [c.value for c in header_row]
    completion = labels.index("完成度")
    status = labels.index("状态")
    data = list(sheet.iter_rows(min_row=header_row[0].row + 1))
    numbers = [row[completion] for row in data if isinstance(row[completion].value, float)]
    assert numbers and all(c.number_format == "0.0%" for c in numbers)
    statuses = {row[status].value for row in data}
    assert statuses <= {"已完成", "基本完成", "滞后", "无数据"} and statuses
