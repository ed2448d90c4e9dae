"""Storing deliveries from the event loop: one commit for many requests, redeliveries once,
a failed commit answered as failed and the next one stored."""

import asyncio
import socket
import threading
import time
from collections.abc import Iterator

import psycopg
import pytest
from sqlmodel import SQLModel

from services import inbox
from services.inbox_writer import InboxWriter, Incoming
from store.db import Database, make_engine
from store.inbox_models import DISPATCH, MESSAGE


def row(key: str, kind: str = MESSAGE, *, live: bool = True) -> Incoming:
    return Incoming(key, "T1", kind, '{"text": "db is down"}', "application/json", live=live)


@pytest.fixture
def pg(pg_url: str) -> Iterator[Database]:
    database = Database(make_engine(pg_url))
    SQLModel.metadata.create_all(database.engine)
    try:
        yield database
    finally:
        database.dispose()


def test_many_requests_share_a_commit_and_a_redelivery_is_stored_once(pg: Database) -> None:
    writer = InboxWriter(pg, writers=2)
    woken: list[str] = []
    writer.on_written("slack", lambda: woken.append("slack"))

    async def burst() -> list[int | None]:
        keys = [f"event:T1:Ev{n}" for n in range(200)] + ["event:T1:Ev7"]
        return list(await asyncio.gather(*(writer.store(row(key)) for key in keys)))

    try:
        ids = asyncio.run(burst())
        assert len({i for i in ids if i is not None}) == 200
        assert ids.count(None) == 1  # the redelivery of Ev7
        assert writer.batches < 100  # batched, not a commit each
        assert woken and len(woken) == writer.batches
        assert inbox.counts(pg) == {"slack": {"pending": 200}}
    finally:
        writer.stop()


def test_a_live_command_is_leased_to_the_request_that_stored_it(pg: Database) -> None:
    writer = InboxWriter(pg, writers=1, lease=60)
    try:
        stored = asyncio.run(writer.store(row("request:abc", DISPATCH)))
        assert stored is not None
        assert inbox.claim(pg, DISPATCH, limit=5, lease=10) == []  # ours for a minute
        handed = asyncio.run(writer.store(row("request:def", DISPATCH, live=False)))
        assert [d.id for d in inbox.claim(pg, DISPATCH, limit=5, lease=10)] == [handed]
    finally:
        writer.stop()


def test_a_refused_commit_fails_its_requests_and_the_next_is_stored(pg: Database) -> None:
    writer = InboxWriter(pg, writers=1)

    async def twice() -> tuple[BaseException | int | None, int | None]:
        bad = Incoming("event:T1:bad", "T1", MESSAGE, "x", "t" * 200, live=True)
        first = (await asyncio.gather(writer.store(bad), return_exceptions=True))[0]
        return first, await writer.store(row("event:T1:good"))

    try:
        # content_type is a VARCHAR(100): PostgreSQL refuses the whole statement.
        with pg.engine.begin() as conn:
            width = conn.exec_driver_sql(
                "SELECT character_maximum_length FROM information_schema.columns "
                "WHERE table_name = 'inbox' AND column_name = 'content_type' "
                "AND table_schema = current_schema()").scalar()
        assert width == 100
        failed, good = asyncio.run(twice())
        assert isinstance(failed, Exception)
        assert good is not None
        assert inbox.counts(pg) == {"slack": {"pending": 1}}
    finally:
        writer.stop()


def test_each_event_loop_gets_connections_of_its_own(pg: Database) -> None:
    writer = InboxWriter(pg, writers=1)
    try:
        assert asyncio.run(writer.store(row("event:T1:one"))) is not None
        assert asyncio.run(writer.store(row("event:T1:two"))) is not None  # a new loop
        assert asyncio.run(writer.store(row("event:T1:one"))) is None
    finally:
        writer.stop()


def test_loops_running_at_once_each_get_their_rows_stored(pg: Database) -> None:
    """Two event loops in two threads (a test client per thread): neither forgets the
    other's waiting rows."""
    writer = InboxWriter(pg, writers=1)
    results: dict[int, list[int | None]] = {}

    def loop_of(n: int) -> None:
        async def many() -> list[int | None]:
            return list(await asyncio.gather(
                *(writer.store(row(f"event:T1:{n}-{i}")) for i in range(50))))
        results[n] = asyncio.run(many())

    threads = [threading.Thread(target=loop_of, args=(n,)) for n in range(2)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert sorted(results) == [0, 1]
        assert all(None not in ids for ids in results.values())
        assert inbox.counts(pg) == {"slack": {"pending": 100}}
    finally:
        writer.stop()


def test_an_unreachable_database_fails_the_request_at_once() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/test"
    writer = InboxWriter(Database(make_engine(url)), writers=1)
    started = time.monotonic()
    with pytest.raises(psycopg.OperationalError):
        asyncio.run(writer.store(row("event:T1:lost")))
    assert time.monotonic() - started < 3  # the endpoint answers 503 inside Slack's 3 s
    writer.stop()
