"""The group-committing inbox writer: who is woken after a commit."""

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
