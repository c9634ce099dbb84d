"""The audit chain: append-only, hash-chained; verify finds edits, deletions, reordering, truncation."""

from __future__ import annotations

import threading
from typing import Any

import sqlalchemy as sa

from shucang.share import audit, audit_journal, bulk_insert
from shucang.share.tables import audit as table


def _fill(wh: Any, n: int = 6) -> None:
    for i in range(n):
        audit.record_event(wh, "tester", "read", dataset="people", columns=["town"], rows=i, filter={"i": i})


def test_chain_verifies_and_search_filters(wh: Any) -> None:
    _fill(wh)
    audit.record_event(wh, "mallory", "login", outcome="failed")
    report = audit.verify(wh)
    assert report.ok and report.entries == 7
    assert [e.rows for e in audit.search(wh, action="read", limit=3)] == [5, 4, 3]
    assert [e.actor for e in audit.search(wh, outcome="failed")] == ["mallory"]


def test_edited_entry_is_found(wh: Any) -> None:
    _fill(wh)
    with wh.engine.begin() as conn:
        body = conn.execute(sa.select(table.c.body).where(table.c.seq == 3)).scalar()
        conn.execute(table.update().where(table.c.seq == 3).values(body=body.replace('"rows":2', '"rows":0')))
    report = audit.verify(wh)
    assert not report.ok and {p["seq"] for p in report.problems} == {3}
    assert report.problems[0]["problem"] == "edited"


def test_edited_column_outside_body_is_found(wh: Any) -> None:
    _fill(wh)
    with wh.engine.begin() as conn:
        conn.execute(table.update().where(table.c.seq == 2).values(actor="someone_else"))
    assert [p["seq"] for p in audit.verify(wh).problems] == [2]


def test_deleted_entry_is_found(wh: Any) -> None:
    _fill(wh)
    with wh.engine.begin() as conn:
        conn.execute(table.delete().where(table.c.seq == 4))
    problems = audit.verify(wh).problems
    assert {p["problem"] for p in problems} >= {"gap", "broken_link"} and all(p["seq"] == 5 for p in problems)


def test_reordered_entries_are_found(wh: Any) -> None:
    _fill(wh)
    with wh.engine.begin() as conn:  # swap the contents of entries 2 and 3 (keeping their seq numbers)
        rows = {r.seq: r for r in conn.execute(sa.select(table).where(table.c.seq.in_([2, 3])))}
        conn.execute(table.delete().where(table.c.seq.in_([2, 3])))
        for seq, other in ((2, 3), (3, 2)):
            values = dict(rows[other]._mapping)
            values["seq"] = seq
            conn.execute(table.insert().values(**values))
    report = audit.verify(wh)
    assert not report.ok and {p["seq"] for p in report.problems} >= {2, 3}


def test_truncated_tail_is_found_by_the_anchor(wh: Any) -> None:
    _fill(wh)
    with wh.engine.begin() as conn:
        conn.execute(table.delete().where(table.c.seq >= 5))
    report = audit.verify(wh)
    assert [p["problem"] for p in report.problems] == ["truncated", "anchor_catalog"]


def test_concurrent_appends_keep_one_chain(wh: Any) -> None:
    def worker(k: int) -> None:
        for i in range(15):
            audit.record_event(wh, f"w{k}", "read", rows=i)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    report = audit.verify(wh)
    assert report.ok and report.entries == 60


def test_group_commit_puts_waiting_entries_in_one_transaction_in_order(wh: Any) -> None:
    audit.record_event(wh, "first", "read")
    log = audit_journal.journal(wh)
    commits = log.commits
    done: list[int] = []
    with log._commit_lock:  # a commit "in progress": the next entries queue up behind it
        threads = [threading.Thread(target=lambda k=k: done.append(audit.record_event(wh, f"q{k}", "read")))
                   for k in range(8)]
        for t in threads:
            t.start()
            while not any(p.entry["actor"] == f"q{threads.index(t)}" for p in log._queue):
                pass  # wait until this thread's entry is queued, so the queue order is known
    for t in threads:
        t.join()
    assert log.commits == commits + 1  # all eight went in one transaction
    entries = audit.search(wh, limit=8)
    assert [e.actor for e in reversed(entries)] == [f"q{k}" for k in range(8)]  # numbered in queue order
    assert sorted(done) == [e.seq for e in reversed(entries)]
    assert audit.verify(wh).ok


def test_a_bad_row_fails_only_its_own_caller(wh: Any) -> None:
    import sqlalchemy as sa

    from shucang.share.tables import open_releases

    row = {"dataset": "dup", "version": 1, "columns": [], "quasi_identifiers": [], "k": 5, "k_min": None,
           "published_by": "t", "published_at": audit.now()}
    audit.record_event(wh, "one", "read", with_rows=[(open_releases, row)])
    log = audit_journal.journal(wh)
    errors: list[BaseException] = []

    def bad() -> None:
        try:
            audit.record_event(wh, "bad", "read", with_rows=[(open_releases, row)])  # duplicate key
        except sa.exc.IntegrityError as exc:
            errors.append(exc)

    with log._commit_lock:
        threads = [threading.Thread(target=bad)] + [
            threading.Thread(target=audit.record_event, args=(wh, f"ok{k}", "read")) for k in range(3)]
        for t in threads:
            t.start()
        while len(log._queue) < 4:
            pass
    for t in threads:
        t.join()
    assert len(errors) == 1
    actors = [e.actor for e in audit.search(wh, limit=10)]
    assert "bad" not in actors and {"ok0", "ok1", "ok2"} <= set(actors)
    assert audit.verify(wh).ok


def test_two_processes_append_to_one_chain(wh: Any, share_home: Any) -> None:
    from shucang.platform import open_warehouse
    from shucang.settings import Settings

    other = open_warehouse(Settings.load(share_home))
    try:
        def worker(target: Any, k: int) -> None:
            for i in range(10):
                audit.record_event(target, f"p{k}", "read", rows=i)

        threads = [threading.Thread(target=worker, args=(target, k))
                   for k, target in enumerate((wh, other, wh, other))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        report = audit.verify(wh)
        assert report.ok and report.entries >= 40
        for k in range(4):  # each caller's entries keep their order
            assert [e.rows for e in reversed(audit.search(wh, actor=f"p{k}", limit=100))] == list(range(10))
    finally:
        other.close()


def test_event_loop_appends_wait_for_their_commit_and_share_one(wh: Any) -> None:
    """``record_event_async`` never blocks the loop, returns only once committed, and entries that queue
    behind a commit in progress go together in the next one, in queue order."""
    import asyncio

    audit.record_event(wh, "first", "read")
    log = audit_journal.journal(wh)
    commits = log.commits
    out: list[int] = []
    answered_early: list[bool] = []
    checked = threading.Event()

    async def many() -> None:
        tasks = [asyncio.ensure_future(audit.record_event_async(wh, f"a{k}", "read", rows=k)) for k in range(8)]
        await asyncio.sleep(0.05)
        answered_early.append(any(t.done() for t in tasks))
        checked.set()
        out.extend(await asyncio.gather(*tasks))

    with log._commit_lock:  # a commit "in progress": the loop keeps running, its entries wait
        runner = threading.Thread(target=asyncio.run, args=(many(),))
        runner.start()
        assert checked.wait(10)
    runner.join()
    assert answered_early == [False]  # nothing was answered before its entry was committed
    assert log.commits == commits + 1
    entries = list(reversed(audit.search(wh, limit=8)))
    assert [e.actor for e in entries] == [f"a{k}" for k in range(8)] and out == [e.seq for e in entries]
    assert audit.verify(wh).ok


def test_thread_and_event_loop_appends_mix_in_one_chain(wh: Any) -> None:
    import asyncio

    async def loop_side() -> None:
        for i in range(20):
            await audit.record_event_async(wh, "loop", "read", rows=i)

    threads = [threading.Thread(target=asyncio.run, args=(loop_side(),))] + [
        threading.Thread(target=lambda k=k: [audit.record_event(wh, f"t{k}", "read", rows=i) for i in range(20)])
        for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    report = audit.verify(wh)
    assert report.ok and report.entries == 80
    assert [e.rows for e in reversed(audit.search(wh, actor="loop", limit=100))] == list(range(20))


def test_a_buffered_refusal_is_committed_before_the_caller_goes_on(wh: Any) -> None:
    import asyncio

    buffer = audit.AuditBuffer(wh)
    buffer(wh, "eve", "read", outcome="denied", dataset="people", error="no grant")
    assert audit.search(wh, actor="eve") == []  # kept, not yet written
    asyncio.run(buffer.flush())
    assert [e.outcome for e in audit.search(wh, actor="eve")] == ["denied"] and buffer.pending == []


def test_bulk_insert_stores_what_sqlalchemy_stores(wh: Any) -> None:
    from datetime import UTC, datetime

    from shucang.protect.tables import ensure_tables, extracts

    ensure_tables(wh.engine)
    row = {"id": "xa", "recipient_id": 1, "recipient": "ana", "dataset": "people", "version": 1, "channel": "api",
           "clearance": 2, "columns": ["town", "姓名"], "masked": {"name": "mask"}, "dropped": [],
           "marks": {"numeric": {"income": {"carriers": 3}}, "context": "api:people"}, "rows": 7,
           "policy": {"k": 5}, "key_id": "k1", "filter": None, "created_by": "ana", "created_at": datetime.now(UTC)}
    with wh.engine.begin() as conn:
        conn.execute(extracts.insert(), [row])
        bulk_insert.BulkInsert(wh.engine)(conn, extracts, [{**row, "id": "xb"}])
        short = {k: v for k, v in row.items() if k != "columns"}  # a column with a default: the usual way
        bulk_insert.BulkInsert(wh.engine)(conn, extracts, [{**short, "id": "xc"}])
        stored = conn.execute(sa.text("SELECT * FROM protect_extracts WHERE id IN ('xa', 'xb', 'xc') ORDER BY id")).all()
    # SQLite hands JSON back as text, PostgreSQL as the value
    assert stored[0][1:] == stored[1][1:] and stored[2].columns in ("[]", [])


def test_a_head_moved_by_another_process_is_noticed_before_inserting(wh: Any, share_home: Any) -> None:
    """The head is read under the writers' lock (the anchor tells whether the remembered one is still the
    newest): no insert fails on a stale head, so busy processes never exhaust their retries."""
    from shucang.platform import open_warehouse
    from shucang.settings import Settings

    other = open_warehouse(Settings.load(share_home))
    try:
        audit.record_event(wh, "a0", "read")  # this "process" remembers its head
        audit.record_event(other, "b0", "read")  # … which the other one moves
        log = audit_journal.journal(wh)
        failed: list[str] = []
        insert = log._insert

        def spy(conn: Any, target: Any, rows: Any) -> None:
            try:
                insert(conn, target, rows)
            except sa.exc.IntegrityError:
                failed.append(target.name)
                raise

        log._insert = spy  # type: ignore[method-assign]
        audit.record_event(wh, "a1", "read")
        assert failed == []
        report = audit.verify(wh)
        assert report.ok and report.entries == 3
    finally:
        other.close()


def test_values_serialised_once_are_stored_as_the_ordinary_insert_stores_them(wh: Any) -> None:
    from datetime import UTC, datetime

    from shucang.protect.tables import ensure_tables, extracts

    ensure_tables(wh.engine)
    fields = {"recipient_id": 1, "recipient": "ana", "dataset": "people", "version": 1, "channel": "api",
              "clearance": 2, "columns": ["town"], "masked": {"name": "mask"}, "dropped": [],
              "marks": {"context": "api:people", "名": 1.5}, "rows": 7, "policy": {"k": 5}, "key_id": "k1",
              "filter": None, "created_by": "ana"}
    template = audit_journal.journal(wh).encode_row(extracts, fields)
    if wh.engine.dialect.name == "sqlite":  # the bulk path (and so the encoding) is SQLite's only
        assert isinstance(template["marks"], bulk_insert.Encoded)
    assert template["rows"] == 7
    audit.record_event(wh, "ana", "read", with_rows=[(extracts, {**fields, "id": "xp", "created_at": datetime.now(UTC)})])
    audit.record_event(wh, "ana", "read", with_rows=[(extracts, {**template, "id": "xq", "created_at": datetime.now(UTC)})])
    with wh.engine.begin() as conn:  # the ordinary way too (a column with a default left out)
        bulk_insert.BulkInsert(wh.engine)(conn, extracts, [{**{k: v for k, v in template.items() if k != "dropped"},
                                                      "id": "xr", "created_at": datetime.now(UTC)}])
        stored = conn.execute(sa.text("SELECT columns, masked, marks, policy FROM protect_extracts "
                                      "WHERE id IN ('xp', 'xq', 'xr') ORDER BY id")).all()
    assert stored[0] == stored[1] == stored[2]
