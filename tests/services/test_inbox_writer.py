"""The group-committing inbox writer: who is woken after a commit."""

from services import inbox
from services.inbox_writer import InboxWriter, Incoming
from store.db import Database
from store.inbox_models import DISPATCH, MESSAGE


def row(key: str, kind: str, *, live: bool = True) -> Incoming:
    return Incoming(key, "T1", kind, "{}", "application/json", live=live)


def test_takers_are_woken_for_rows_they_work_and_not_for_live_commands(db: Database) -> None:
    writer = InboxWriter(db, writers=1)
    woken: list[str] = []
    writer.on_written("slack", lambda: woken.append("slack"))
    try:
        assert writer.submit(row("cmd:1", DISPATCH)).result(10) is not None
        assert woken == []  # run by the request that stored it
        assert writer.submit(row("cmd:2", DISPATCH, live=False)).result(10) is not None
        assert woken == ["slack"]  # handed off to a worker process
        assert writer.submit(row("event:1", MESSAGE)).result(10) is not None
        assert woken == ["slack", "slack"]
    finally:
        writer.stop()


def test_rows_the_writer_settles_are_done(db: Database) -> None:
    writer = InboxWriter(db, writers=1)
    try:
        first = writer.submit(row("cmd:1", DISPATCH)).result(10)
        assert first is not None
        writer.settle(first)
        assert writer.wait_idle(10)
        assert inbox.counts(db) == {"slack": {"done": 1}}
        second = writer.submit(row("cmd:2", DISPATCH)).result(10)
        assert second is not None
        writer.settle(second)
        assert writer.wait_idle(10)
        assert inbox.counts(db) == {"slack": {"done": 2}}
    finally:
        writer.stop()
