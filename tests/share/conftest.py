"""A small governed warehouse for the share tests, built once and copied per test.

``people`` (department gaj) has columns at every level, ``firms`` (department scjgj) is mostly level 1
and can be opened. Grades are pinned with classification overrides so the tests do not depend on
what the detectors decide. Users: admin, two stewards, two consumers, all with ``PASSWORD``; one
API token per user (secrets in ``TOKENS``).
"""

from __future__ import annotations

import datetime as dt
import shutil
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from tests.conftest import opened_warehouse
from tests.postgres import copy_catalog

from shucang.settings import Settings

PASSWORD = "correct-horse-battery"
USERS = {
    "admin": {"role": "admin", "department": "sjj"},
    "st_gaj": {"role": "steward", "department": "gaj"},
    "st_scjgj": {"role": "steward", "department": "scjgj"},
    "ana": {"role": "consumer", "department": "fgj", "clearance": 3},
    "bob": {"role": "consumer", "department": "fgj", "clearance": 2},
}
PEOPLE_LEVELS: dict[str, tuple[str | None, int]] = {
    "id_card": ("id_card", 4), "name": ("person_name", 3), "mobile": ("mobile_phone", 3), "town": (None, 1),
    "age": (None, 2), "income": ("income", 3), "registered_on": (None, 1),
}
FIRMS_LEVELS: dict[str, tuple[str | None, int]] = {
    "uscc": ("uscc", 1), "company_name": ("company_name", 1), "town": (None, 1), "industry": (None, 1),
    "employees": (None, 1), "legal_rep": ("legal_representative", 3),
}
TOWNS = ["周巷镇", "浒山街道", "龙山镇", "观海卫镇"]
SURNAMES = ["欧阳", "诸葛", "司马", "上官", "张", "王", "李", "陈"]
GIVEN = ["明月", "清风", "子涵", "浩然", "雨桐", "思远"]
TOKENS: dict[str, str] = {}


def id_card(n: int) -> str:
    """A valid GB 11643 number (MOD 11-2 check character)."""
    birth = dt.date(1950, 1, 1) + dt.timedelta(days=n * 397)
    body = f"330282{birth:%Y%m%d}{100 + n:03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


def people_table(rows: int = 60) -> pa.Table:
    return pa.table({
        "id_card": [id_card(i) for i in range(rows)],
        "name": [SURNAMES[i % 8] + GIVEN[i % 6] + "甲乙丙丁"[i % 4] for i in range(rows)],
        "mobile": [f"139{57000000 + i * 7919:08d}" for i in range(rows)],
        "town": [TOWNS[i % 4] for i in range(rows)],
        "age": pa.array([20 + i % 50 for i in range(rows)], pa.int64()),
        "income": pa.array([10000 + i * 137.25 for i in range(rows)], pa.float64()),
        "registered_on": pa.array([dt.date(2020, 1, 1) + dt.timedelta(days=i * 11) for i in range(rows)],
                                  pa.date32()),
    })


def firms_table(rows: int = 40) -> pa.Table:
    return pa.table({
        "uscc": [f"91330282MA2{i:05d}XQ" for i in range(rows)],
        "company_name": [f"慈溪市合成电器有限公司{i:02d}" for i in range(rows)],
        "town": [TOWNS[i % 2] for i in range(rows)],
        "industry": ["家电制造" if i % 2 else "软件服务" for i in range(rows)],
        "employees": pa.array([5 + i for i in range(rows)], pa.int64()),
        "legal_rep": [SURNAMES[i % 8] + GIVEN[(i + 1) % 6] for i in range(rows)],
    })


def pin_grades(wh: Any, dataset: str, levels: dict[str, tuple[str | None, int]]) -> None:
    from shucang.classify.store import override_column

    for column, (kind, level) in levels.items():
        override_column(wh, dataset, column, type=kind, level=level, who="test", why="pinned for tests")


def _build(home: Path) -> None:
    from shucang.platform import open_warehouse
    from shucang.share.identity import create_token, create_user
    from shucang.warehouse import IngestOptions

    wh = open_warehouse(Settings.load(home))
    try:
        wh.ensure_department("gaj", "市公安局")
        wh.ensure_department("scjgj", "市市场监督管理局")
        wh.ingest_arrow(people_table(), IngestOptions(dataset="people", department="gaj", mode="replace",
                                                      title="人口（合成）", synthetic=True))
        wh.ingest_arrow(firms_table(), IngestOptions(dataset="firms", department="scjgj", mode="replace",
                                                     title="企业（合成）", synthetic=True))
        wh.update_dataset("firms", topic="经济")
        pin_grades(wh, "people", PEOPLE_LEVELS)
        pin_grades(wh, "firms", FIRMS_LEVELS)
        for name, spec in USERS.items():
            create_user(wh, name, password=PASSWORD, **spec)
            TOKENS[name] = create_token(wh, name, label="tests")[1]
    finally:
        wh.close()


_BUILT: list[Path] = []
"""The one base home of this session (tests/security reuses these fixtures: TOKENS must match it)."""


@pytest.fixture(scope="session")
def base_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not _BUILT:
        home = tmp_path_factory.mktemp("share-base") / "home"
        _build(home)
        _BUILT.append(home)
    return _BUILT[0]


@pytest.fixture
def share_home(base_home: Path, tmp_path: Path) -> Path:
    home = tmp_path / "home"
    shutil.copytree(base_home, home)
    copy_catalog(base_home, home)
    return home


@pytest.fixture
def wh(share_home: Path) -> Iterator[Any]:
    with opened_warehouse(share_home) as warehouse:
        yield warehouse


@pytest.fixture
def app(share_home: Path) -> Iterator[Any]:
    from shucang.api.app import create_app

    application = create_app(Settings.load(share_home))
    yield application
    application.state.warehouse.close()


@pytest.fixture
def client(app: Any) -> Iterator[Any]:
    with warnings.catch_warnings():  # starlette warns that plain httpx is deprecated for its test client
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def bearer(user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[user]}"}


def actor_of(wh: Any, name: str) -> Any:
    from shucang.share.identity import get_user

    return get_user(wh, name).actor("cli")
