"""Self-service upload: preview (rows, rejects, proposed classification) writes nothing; confirm writes
exactly what `shucang ingest` writes; only logged-in stewards, with the CSRF token, may do it."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter

from shucang.settings import Settings

PASSWORD = "correct-horse-battery"


def make_workbook(path: Path) -> None:
    """Two yearly sheets (a workbook the CLI would read only the first sheet of) and a note sheet."""
    book = xlsxwriter.Workbook(str(path))
    for year, rows in (("2023年", 80), ("2024年", 60)):
        sheet = book.add_worksheet(year)
        for col, name in enumerate(("姓名", "手机号码", "镇街", "补助金额")):
            sheet.write(0, col, name)
        for i in range(rows):
            sheet.write(i + 1, 0, ["张伟", "王芳", "李娜", "刘洋", "陈静"][i % 5] + "甲乙丙"[i % 3])
            sheet.write(i + 1, 1, f"13{5 + i % 5}{(i * 7919 + 1234567) % 100000000:08d}")
            sheet.write(i + 1, 2, ["浒山街道", "坎墩街道", "周巷镇"][i % 3])
            sheet.write(i + 1, 3, 100 + i * 2.5)
    book.close()


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF field"
    return found.group(1)


@pytest.fixture
def upload_home(home: Path) -> Path:
    from shucang.platform import open_warehouse
    from shucang.share.identity import create_user

    wh = open_warehouse(Settings.load(home))
    try:
        create_user(wh, "st_mzj", role="steward", department="mzj", password=PASSWORD)
        create_user(wh, "reader", role="consumer", department="fgj", password=PASSWORD)
    finally:
        wh.close()
    return home


@pytest.fixture
def client(upload_home: Path) -> Iterator[Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    from shucang.api.app import create_app

    app = create_app(Settings.load(upload_home))
    with TestClient(app, raise_server_exceptions=False, headers={"accept": "text/html"}) as c:
        yield c
    app.state.warehouse.close()


def _login(c: Any, user: str) -> None:
    page = c.get("/login")
    r = c.post("/login", data={"username": user, "password": PASSWORD, "csrf_token": _csrf(page.text),
                               "next": "/upload"}, follow_redirects=False)
    assert r.status_code == 303


def test_preview_then_confirm_two_sheets(client: Any, upload_home: Path, tmp_path: Path, cli) -> None:
    book = tmp_path / "低保名单.xlsx"
    make_workbook(book)
    assert client.get("/upload", follow_redirects=False).status_code == 303  # log in first
    _login(client, "st_mzj")
    form = client.get("/upload")
    with book.open("rb") as fh:
        forged = client.post("/upload", data={"csrf_token": "forged"}, files={"file": (book.name, fh)},
                             follow_redirects=False)
    assert forged.status_code == 403
    with book.open("rb") as fh:
        sent = client.post("/upload", data={"csrf_token": _csrf(form.text)}, files={"file": (book.name, fh)},
                           follow_redirects=False)
    assert sent.status_code == 303
    preview = client.get(sent.headers["location"])
    assert preview.status_code == 200
    html = preview.text
    assert html.count('data-testid="preview-table"') == 2 and "2024年" in html and "手机号码" in html
    assert "手机号码" in html and "L3" in html  # the phone column is proposed as level 3
    assert cli("datasets", "--json").json() == []  # nothing written by the preview
    data = client.get(sent.headers["location"] + "?format=json").json()
    assert [t["rows_loaded"] for t in data["tables"]] == [80, 60]
    phone = next(c for c in data["tables"][0]["classification"] if c["name"] == "手机号码")
    assert phone["type"] == "mobile_phone"
    done = client.post(sent.headers["location"] + "/confirm", data={
        "csrf_token": _csrf(html), "table": ["0", "1"], "sheet_0": "2023年", "dataset_0": "dibao_2023",
        "sheet_1": "2024年", "dataset_1": "dibao_2024", "mode": "append"})
    assert done.status_code == 200, done.text
    assert 'data-testid="upload-result"' in done.text
    listed = {d["name"]: d for d in cli("datasets", "--json").json()}
    assert listed["dibao_2023"]["row_count"] == 80 and listed["dibao_2024"]["row_count"] == 60
    assert listed["dibao_2024"]["department"] == "mzj"
    shown = cli("show", "dibao_2024", "--json").json()
    assert {c["name"]: c["level"] for c in shown["columns"]}["手机号码"] == 3  # classified like an ingest
    # Same as `shucang ingest --sheet`: same rows and columns.
    ingested = cli("ingest", str(book), "--dataset", "via_cli", "--sheet", "2024年", "--json").json()
    assert ingested["columns"] == [c["name"] for c in shown["columns"]] and ingested["rows_loaded"] == 60
    assert cli("sql", "SELECT * FROM via_cli EXCEPT SELECT * FROM dibao_2024", "--json").json() == []
    assert cli("sql", "SELECT * FROM dibao_2024 EXCEPT SELECT * FROM via_cli", "--json").json() == []
    assert client.get(sent.headers["location"]).status_code == 404  # an upload is confirmed once


def test_only_stewards_upload(client: Any) -> None:
    _login(client, "reader")
    assert client.get("/upload").status_code == 403


@pytest.mark.browser
def test_upload_and_confirm_in_chromium(upload_home: Path, tmp_path: Path, cli) -> None:
    from tests.servers import chromium, serve_home

    book = tmp_path / "低保名单.xlsx"
    make_workbook(book)
    with serve_home(upload_home, ready_path="/api/v1/auth/me", seconds=20) as base, chromium() as browser:
        errors: list[str] = []
        page = browser.new_context().new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(base + "/upload")
        page.wait_for_url("**/login**")
        page.fill("input[name=username]", "st_mzj")
        page.fill("input[name=password]", PASSWORD)
        page.click("form[data-testid=login-form] button[type=submit]")
        page.wait_for_url("**/upload")
        page.set_input_files("[data-testid=upload-file]", str(book))
        page.click("[data-testid=upload-submit]")
        page.wait_for_selector("[data-testid=preview-table]")
        assert page.locator("[data-testid=preview-table]").count() == 2
        assert page.inner_text("[data-testid=preview-table][data-sheet='2024年'] [data-testid=rows-loaded]") == "60"
        assert "L3" in page.inner_text("[data-testid=preview-table][data-sheet='2024年'] [data-testid=classification]")
        assert cli("datasets", "--json").json() == []  # still nothing written
        page.uncheck("[data-testid=preview-table][data-sheet='2023年'] [data-testid=choose-table]")
        page.fill("[data-testid=preview-table][data-sheet='2024年'] [data-testid=dataset-name]", "低保_2024")
        page.click("[data-testid=confirm-upload]")
        page.wait_for_selector("[data-testid=upload-results]")
        assert page.locator("[data-testid=upload-result]").count() == 1
        assert page.inner_text("[data-testid=result-loaded]") == "60"
        assert not errors, errors
    listed = {d["name"]: d["row_count"] for d in cli("datasets", "--json").json()}
    assert listed == {"低保_2024": 60}
