"""HTTP sources: a platform's JSON API, paged by page number, offset or cursor, with a token header.

Pages are fetched one after the other and their records written as JSON lines to a file in the home's
``collect/`` folder; the warehouse then ingests that file exactly as ``shucang ingest`` would (types
inferred, bad records quarantined with a reason, the same accounting). The token comes from the
environment or the key file (:mod:`shucang.collect.secrets`), never from the catalog.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from shucang.collect.registry import Source
from shucang.collect.secrets import read_secret
from shucang.errors import InputError
from shucang.warehouse.models import IngestOptions

if TYPE_CHECKING:
    from shucang.warehouse import Warehouse

PAGINGS = ("none", "page", "offset", "cursor")
MAX_PAGES = 100_000
TIMEOUT_SECONDS = 60.0


def dig(document: Any, path: str | None) -> Any:
    """``data.items`` → document["data"]["items"] (an empty path is the document itself)."""
    for part in (path or "").split("."):
        if not part:
            continue
        if isinstance(document, dict):
            document = document.get(part)
        elif isinstance(document, list) and part.isdigit() and int(part) < len(document):
            document = document[int(part)]
        else:
            return None
    return document


def _records(document: Any, path: str, url: str) -> list[Any]:
    found = dig(document, path)
    if found is None and not path and isinstance(document, dict):
        found = []
    if not isinstance(found, list):
        raise InputError(f"接口返回中找不到记录列表 (no record list at {path or 'the top level'!r}) from {url}",
                         hint="give --records with the dot path of the list, e.g. data.items")
    return found


def fetch_pages(config: dict[str, Any], token: str | None) -> Any:
    """Yield the record lists of every page (stops at an empty or short page, or when no cursor follows)."""
    paging = config.get("paging") or "none"
    if paging not in PAGINGS:
        raise InputError(f"未知分页方式 (unknown paging) {paging!r}", hint="one of " + ", ".join(PAGINGS))
    size = int(config.get("page_size") or 100)
    headers = {"Accept": "application/json"}
    if token:
        headers[config.get("token_header") or "Authorization"] = f"{config.get('token_prefix') or ''}{token}"
    url = config["url"]
    page = 1 if paging == "page" else 0
    cursor: Any = None
    with httpx.Client(timeout=TIMEOUT_SECONDS, headers=headers, follow_redirects=True) as client:
        for _n in range(MAX_PAGES):
            params: dict[str, Any] = {}
            if paging == "page":
                params = {config.get("page_param") or "page": page, config.get("size_param") or "page_size": size}
            elif paging == "offset":
                params = {config.get("page_param") or "offset": page, config.get("size_param") or "limit": size}
            elif paging == "cursor":
                params = {config.get("size_param") or "limit": size}
                if cursor is not None:
                    params[config.get("page_param") or "cursor"] = cursor
            try:
                response = client.get(url, params=params)
            except httpx.HTTPError as exc:
                raise InputError(f"接口请求失败 (request failed): {url}: {exc}") from None
            if response.status_code >= 400:
                raise InputError(f"接口返回错误 (the API answered {response.status_code}): {url}",
                                 hint="check the token (environment variable or key file)"
                                 if response.status_code in (401, 403) else None)
            try:
                document = response.json()
            except ValueError:
                raise InputError(f"接口返回的不是 JSON (the API did not answer JSON): {url}") from None
            records = _records(document, config.get("records") or "", url)
            yield records
            if paging == "none" or not records:
                return
            if paging == "page":
                page += 1
                if len(records) < size:
                    return
            elif paging == "offset":
                page += len(records)
                if len(records) < size:
                    return
            else:
                cursor = dig(document, config.get("next_cursor") or "next_cursor")
                if cursor in (None, "", False):
                    return
        raise InputError(f"接口分页超过 {MAX_PAGES} 页 (more than {MAX_PAGES} pages): {url}")


def run_http(wh: Warehouse, source: Source, options: IngestOptions) -> dict[str, Any]:
    """Fetch every page into a JSON-lines file, then ingest it as the next version."""
    token = read_secret(wh.settings, source.name)
    work = wh.settings.home / "collect"
    work.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=work, prefix=f"{source.name}-") as folder:
        path = Path(folder) / f"{source.name}.jsonl"
        pages = 0
        with path.open("w", encoding="utf-8") as out:
            for records in fetch_pages(source.config, token):
                pages += 1
                for record in records:
                    out.write(json.dumps(record, ensure_ascii=False) + "\n")
        result = wh.ingest(path, options, source_label=source.config["url"])
    return result.to_dict() | {"pages": pages}
