"""Open-data portal core and API: publish after k-anonymity, level-1 columns only, downloads, DCAT, rate."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from shucang.errors import InputError, NotFound, PermissionDenied
from shucang.share import opendata
from shucang.share.ratelimit import RateLimiter

from .conftest import actor_of, firms_table, pin_grades

LEGAL_REPS = set(firms_table().column("legal_rep").to_pylist())


def _publish(wh: Any) -> opendata.OpenRelease:
    return opendata.publish(wh, actor_of(wh, "st_scjgj"), "firms", quasi_identifiers=["town", "industry"], k=5)


def test_publish_opens_level_one_columns_only(wh: Any) -> None:
    found = _publish(wh)
    assert found.columns == ["uscc", "company_name", "town", "industry", "employees"]
    assert found.k_min == 20 and wh.dataset("firms").is_open
    rate = opendata.open_data_rate(wh)
    assert (rate["open"], rate["total"], rate["rate"]) == (1, 2, 0.5)
    assert {d["department"]: d["rate"] for d in rate["by_department"]} == {"gaj": 0.0, "scjgj": 1.0}


def test_k_anonymity_failure_refuses_publication(wh: Any) -> None:
    with pytest.raises(InputError, match="k-"):
        opendata.publish(wh, actor_of(wh, "st_scjgj"), "firms", quasi_identifiers=["employees"], k=5)
    assert not wh.dataset("firms").is_open
    with pytest.raises(InputError):  # a quasi-identifier must be an open column
        opendata.publish(wh, actor_of(wh, "st_scjgj"), "firms", quasi_identifiers=["legal_rep"])


def test_only_the_owning_steward_or_admin_publishes(wh: Any) -> None:
    for who in ("st_gaj", "ana"):
        with pytest.raises(PermissionDenied):
            opendata.publish(wh, actor_of(wh, who), "firms", quasi_identifiers=["town"])
    opendata.publish(wh, actor_of(wh, "admin"), "firms", quasi_identifiers=["town"])


def test_column_regraded_after_publication_is_withheld(wh: Any) -> None:
    _publish(wh)
    pin_grades(wh, "firms", {"employees": (None, 2)})
    _plan, table, _next = opendata.open_rows(wh, "firms", limit=5)
    assert "employees" not in table.column_names and "uscc" in table.column_names


def test_portal_api_downloads_and_dcat(client: Any, app: Any) -> None:
    _publish(app.state.warehouse)
    listing = client.get("/api/v1/open/datasets", params={"q": "企业"}).json()
    assert [d["name"] for d in listing["datasets"]] == ["firms"]
    assert listing["facets"]["department"][0]["value"] == "scjgj"
    assert client.get("/api/v1/open/datasets", params={"q": "不存在的词"}).json()["total"] == 0
    assert client.get("/api/v1/open/datasets", params={"department": "gaj"}).json()["total"] == 0
    meta = client.get("/api/v1/open/datasets/firms").json()
    assert "legal_rep" not in [c["name"] for c in meta["columns"]]
    rows = client.get("/api/v1/open/datasets/firms/rows",
                      params={"filter": '{"column": "town", "op": "=", "value": "周巷镇"}', "limit": 100}).json()
    assert len(rows["rows"]) == 20 and "legal_rep" not in rows["columns"]
    for fmt in ("csv", "xlsx", "json"):
        r = client.get(f"/opendata/datasets/firms/download.{fmt}")
        assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
        text = r.content.decode("utf-8-sig") if fmt != "xlsx" else _xlsx_text(r.content)
        assert not any(name in text for name in LEGAL_REPS)
        if fmt == "csv":
            assert len(list(csv.DictReader(io.StringIO(text)))) == 40
    dcat = client.get("/opendata/catalog.json").json()
    assert dcat["@type"] == "dcat:Catalog" and len(dcat["dcat:dataset"]) == 1
    dist = dcat["dcat:dataset"][0]["dcat:distribution"]
    assert {d["dct:format"] for d in dist} == {"CSV", "XLSX", "JSON"}
    assert all(d["dcat:downloadURL"].endswith(f"download.{d['dct:format'].lower()}") for d in dist)
    rate = client.get("/api/v1/open/rate").json()
    assert rate["rate"] == 0.5


def _xlsx_text(content: bytes) -> str:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(content))
    return " ".join(str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row)


@pytest.mark.parametrize("path", [
    "/opendata/datasets/people/download.csv",  # exists but not open
    "/opendata/datasets/..%2F..%2Fcatalog.db/download.csv",
    "/opendata/datasets/%2e%2e/download.csv",
    "/opendata/datasets/..%5C..%5Ckeys%5Csession.key/download.json",
    "/opendata/datasets/firms/download.db",
    "/opendata/datasets/firms/download.csv%00.json",
    "/api/v1/open/datasets/people/rows",
    "/api/v1/open/datasets/..%2Fpeople",
])
def test_unpublished_and_traversal_paths_give_nothing(client: Any, path: str) -> None:
    r = client.get(path)
    assert r.status_code in (400, 404, 422), (path, r.status_code)  # 400: a NUL, refused at the door
    assert b"sct_" not in r.content and b"CREATE TABLE" not in r.content
    assert b"id_card" not in r.content


def test_unpublish(wh: Any) -> None:
    _publish(wh)
    opendata.unpublish(wh, actor_of(wh, "st_scjgj"), "firms")
    with pytest.raises(NotFound):
        opendata.open_rows(wh, "firms")
    assert opendata.open_data_rate(wh)["open"] == 0


def test_open_api_has_its_own_rate_limit(client: Any, app: Any) -> None:
    app.state.open_rate_limiter = RateLimiter(2, burst_seconds=60)  # two requests, then 429
    assert client.get("/api/v1/open/rate").status_code == 200
    assert client.get("/api/v1/open/rate").status_code == 200
    r = client.get("/api/v1/open/datasets")
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
