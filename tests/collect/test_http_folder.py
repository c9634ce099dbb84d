"""HTTP sources against a local JSON API (page, offset and cursor paging, a token header) and drop folders."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

RECORDS = [{"编号": i, "企业名称": f"慈溪第{i}公司", "金额": i * 10.5, "街道": "浒山街道" if i % 2 else "坎墩街道"}
           for i in range(237)]
TOKEN = "tok-123"


class _Api(BaseHTTPRequestHandler):
    seen_tokens: list[str] = []

    def log_message(self, *_args: object) -> None:  # keep test output quiet
        return

    def do_GET(self) -> None:  # noqa: N802 — the http.server name
        url = urlparse(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        auth = self.headers.get("X-Token") or ""
        _Api.seen_tokens.append(auth)
        if url.path.startswith("/secure") and auth != TOKEN:
            self._send(401, {"error": "no"})
            return
        if url.path.endswith("/page"):
            page, size = int(q["page"]), int(q["page_size"])
            body = {"data": {"items": RECORDS[(page - 1) * size: page * size]}}
        elif url.path.endswith("/offset"):
            offset, limit = int(q["offset"]), int(q["limit"])
            body = {"rows": RECORDS[offset: offset + limit]}
        elif url.path.endswith("/cursor"):
            start, limit = int(q.get("cursor", "0")), int(q["limit"])
            nxt = start + limit
            body = {"result": RECORDS[start:nxt], "meta": {"next": str(nxt) if nxt < len(RECORDS) else None}}
        else:
            self._send(404, {"error": "not found"})
            return
        self._send(200, body)

    def _send(self, status: int, body: object) -> None:
        data = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture(scope="module")
def api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Api)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("paging,path,extra", [
    ("page", "page", ["--records", "data.items", "--page-size", "50"]),
    ("offset", "offset", ["--records", "rows", "--page-size", "40"]),
    ("cursor", "cursor", ["--records", "result", "--page-size", "100", "--next-cursor", "meta.next"]),
])
def test_http_paging(cli, warehouse, api, paging, path, extra) -> None:
    added = cli("sources", "add", "api", "--url", f"{api}/open/{path}", "--dataset", f"ent_{paging}",
                "--paging", paging, *extra)
    assert added.exit_code == 0, added.stderr
    result = cli("sources", "run", "api", "--json")
    assert result.exit_code == 0, result.stderr
    data = result.json()
    assert (data["rows_loaded"], data["rows_rejected"], data["version"]) == (len(RECORDS), 0, 1)
    assert data["pages"] >= len(RECORDS) // int(extra[3])
    rows = warehouse.sql(f"SELECT count(DISTINCT 编号) AS d, sum(金额) AS s FROM ent_{paging}").to_pylist()[0]
    assert rows == {"d": len(RECORDS), "s": pytest.approx(sum(r["金额"] for r in RECORDS))}
    again = cli("sources", "run", "api", "--json").json()  # a snapshot: replaces, never doubles
    assert (again["version"], again["row_count"]) == (2, len(RECORDS))


def test_http_token_from_environment(cli, api, monkeypatch) -> None:
    cli("sources", "add", "sec", "--url", f"{api}/secure/page", "--dataset", "secured", "--paging", "page",
        "--records", "data.items", "--token-header", "X-Token", "--token-prefix", "")
    denied = cli("sources", "run", "sec", "--json")
    assert denied.exit_code == 1 and "401" in denied.stderr
    monkeypatch.setenv("SHUCANG_SOURCE_SEC_SECRET", TOKEN)
    ok = cli("sources", "run", "sec", "--json")
    assert ok.exit_code == 0, ok.stderr
    assert ok.json()["rows_loaded"] == len(RECORDS) and TOKEN in _Api.seen_tokens
    statuses = [h["status"] for h in cli("sources", "history", "sec", "--json").json()]
    assert statuses == ["ok", "failed"]


def test_drop_folder_ingests_once_and_moves(cli, warehouse, tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "人口 2024.csv").write_text("镇街,人口\n浒山街道,100\n坎墩街道,200\n", encoding="utf-8")
    (drop / "企业.jsonl").write_text('{"名称":"甲","数":1}\n{"名称":"乙","数":2}\n', encoding="utf-8")
    (drop / "空.csv").write_bytes(b"")
    (drop / "notes.docx").write_bytes(b"ignored")
    assert cli("sources", "add", "mzj", "--folder", str(drop), "--department", "mzj", "--settle", "0").exit_code == 0
    run = cli("sources", "run", "mzj", "--json")
    assert run.exit_code == 1  # one file failed: said in the exit code, the others are in
    data = run.json()
    by_file = {f["file"]: f for f in data["files"]}
    assert by_file["人口 2024.csv"]["status"] == "loaded" and by_file["人口 2024.csv"]["dataset"] == "人口_2024"
    assert by_file["企业.jsonl"]["rows_loaded"] == 2 and by_file["空.csv"]["status"] == "failed"
    assert sorted(p.name for p in (drop / "done").iterdir()) == ["人口 2024.csv", "企业.jsonl"]
    reason = (drop / "failed" / "空.csv.reason.txt").read_text(encoding="utf-8")
    assert "空" in reason or "empty" in reason
    assert (drop / "notes.docx").exists()
    assert warehouse.dataset("人口_2024").department == "mzj"
    # A loaded file that comes back (a crash before its move, or sent twice) is not loaded again.
    (drop / "again.csv").write_bytes((drop / "done" / "人口 2024.csv").read_bytes())
    second = cli("sources", "run", "mzj", "--json").json()
    assert [f["status"] for f in second["files"]] == ["already_loaded"] and second["rows_loaded"] == 0
    assert warehouse.dataset("人口_2024").row_count == 2
    history = cli("sources", "history", "mzj", "--json").json()
    assert history[0]["status"] == "ok" and history[1]["status"] == "failed" and "空.csv" in history[1]["error"]


def test_unsettled_file_waits(cli, tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "x.csv").write_text("a\n1\n", encoding="utf-8")
    cli("sources", "add", "slow", "--folder", str(drop), "--dataset", "slow")
    assert cli("sources", "run", "slow", "--json").json()["files"] == []  # still within the 5 s settle time
    os.utime(drop / "x.csv", (0, 0))
    assert cli("sources", "run", "slow", "--json").json()["rows_loaded"] == 1
