"""Writing deliveries to the inbox before they are answered, many per commit.

Requests (Slack's, PagerDuty's) hand their row to one writer and wait (on the event loop, no
thread held) for the commit that holds it; a writer takes whatever has queued up while the
previous commit ran, so under load one commit carries hundreds of deliveries and durability
costs little throughput. On PostgreSQL the event loop writes those batches itself (`store`,
services.inbox_loop); the threads here serve SQLite and callers off the loop (Socket Mode).
Marking rows done needs no waiting: those ride along with the next batch.
"""

import asyncio
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Connection

from services import inbox
from services.inbox_loop import LoopWriter
from store.db import Database
from store.inbox_models import DISPATCH, SLACK
from store.types import utcnow

log = logging.getLogger(__name__)

MAX_BATCH = 1000
WRITERS = 4


@dataclass(frozen=True)
class Incoming:
    """What the inbox keeps of one delivery, before it is written."""

    delivery_key: str
    team_id: str
    kind: str
    body: str
    content_type: str
    source: str = SLACK
    subject: str | None = None  # rows of one subject are worked in order (webhooks)
    event_type: str | None = None
    occurred_at: datetime | None = None
    # A dispatch row the storing request runs itself is leased to it; one it hands off to a
    # worker process (VIGILO_ROLE=web) is free for any taker at once.
    live: bool = True

    @property
    def for_takers(self) -> bool:
        """Whether the inbox's takers work this row (not the request that stored it)."""
        return not (self.kind == DISPATCH and self.live)

    def as_row(self, locked_until: datetime | None) -> dict[str, Any]:
        """The `inbox.record` row; `locked_until` None: any taker may have it now."""
        return {"source": self.source, "delivery_key": self.delivery_key,
                "team_id": self.team_id, "kind": self.kind, "body": self.body,
                "content_type": self.content_type, "locked_until": locked_until,
                "subject": self.subject, "event_type": self.event_type,
                "occurred_at": self.occurred_at}


@dataclass
class _Pending:
    row: Incoming
    future: "Future[int | None]" = field(default_factory=Future)


class InboxWriter:
    """`writers` threads, each with its own connection on PostgreSQL: while one batch
    commits (waiting on the WAL flush) the next is gathered and sent by another."""

    def __init__(self, db: Database, *, lease: float = 60.0, writers: int = WRITERS) -> None:
        self.db = db
        self.lease = lease  # how long a live dispatch row is ours before others take it
        self.writers = 1 if db.sqlite else writers  # SQLite has one writer at a time anyway
        self.batches = 0
        self._queue: list[_Pending] = []
        self._done: list[int] = []
        self._cond = threading.Condition()
        self._stopping = False
        self._busy = 0
        self._threads: list[threading.Thread] = []
        self._written: list[tuple[str, Callable[[], None]]] = []
        self._on_loop = None if db.sqlite else LoopWriter(self, connections=writers,
                                                          max_batch=MAX_BATCH)

    def on_written(self, source: str, hook: Callable[[], None]) -> None:
        """Called after each commit holding rows of `source` (its taker wakes up)."""
        self._written.append((source, hook))

    def stored_elsewhere(self) -> None:
        """Another process stored rows (store.wake): the takers look, as after a commit here."""
        for _, hook in self._written:
            hook()

    def submit(self, row: Incoming) -> "Future[int | None]":
        """The row's id once committed, or None when it was stored already (redelivery)."""
        pending = _Pending(row)
        with self._cond:
            self._queue.append(pending)
            self._start()
            self._cond.notify()
        return pending.future

    async def store(self, row: Incoming) -> int | None:
        """`submit` for a request on the event loop: on PostgreSQL the loop writes the batch
        itself (services.inbox_loop), on SQLite the writer thread does."""
        if self._on_loop is not None:
            return await self._on_loop.store(row)
        return await asyncio.wrap_future(self.submit(row))

    def settle(self, inbox_id: int) -> None:
        with self._cond:
            self._done.append(inbox_id)
            self._start()
            self._cond.notify()

    def wait_idle(self, timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: not self._queue and not self._done
                                       and not self._busy, timeout)

    def stop(self, timeout: float = 5.0) -> None:
        """Write what is queued, then end the threads; a later submit starts new ones (one
        app may be started and stopped several times: tests, the demo)."""
        self.wait_idle(timeout)
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
            threads, self._threads = self._threads, []
        for thread in threads:
            thread.join(timeout)
        with self._cond:
            self._stopping = False
        if self._on_loop is not None:
            self._on_loop.close()

    def _start(self) -> None:
        while len(self._threads) < self.writers:
            thread = threading.Thread(target=self._loop, daemon=True,
                                      name=f"vigilo-inbox-writer-{len(self._threads)}")
            self._threads.append(thread)
            thread.start()

    def _loop(self) -> None:
        connection: list[Connection] = []  # this thread's own, opened at the first batch
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._queue or self._done or self._stopping)
                if self._stopping and not self._queue and not self._done:
                    _close(connection)
                    return
                batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
                done, self._done = self._done, []
                self._busy += 1
            try:
                if batch:
                    self._write(batch, connection)
                if done:
                    self._settle(done, connection)
            finally:
                with self._cond:
                    self._busy -= 1
                    self._cond.notify_all()

    def _write(self, batch: list[_Pending], connection: list[Connection]) -> None:
        try:
            self._connect(connection)
            created = inbox.record(self.db, self.rows([item.row for item in batch]),
                                   connection=connection[0] if connection else None)
        except Exception as error:
            log.exception("storing %d deliveries in the inbox failed", len(batch))
            _close(connection)  # it may be dead: the next batch opens a new one
            for item in batch:
                item.future.set_exception(error)
            return
        self.wrote([item.row for item in batch])
        for item in batch:
            # The first of several copies in one batch is the new one; the rest are repeats.
            item.future.set_result(created.pop(item.row.delivery_key, None))

    def rows(self, batch: list[Incoming]) -> list[dict[str, Any]]:
        """A batch's `inbox.record` rows: one per key, in key order (two writers inserting
        the same keys then lock them in the same order: a redelivery racing its original
        waits, it cannot deadlock)."""
        until = utcnow() + timedelta(seconds=self.lease)
        rows: dict[str, dict[str, Any]] = {}
        for row in batch:
            # A live dispatch row is this replica's until its lease ends.
            rows.setdefault(row.delivery_key, row.as_row(None if row.for_takers else until))
        return [rows[key] for key in sorted(rows)]

    def wrote(self, batch: list[Incoming]) -> None:
        """After a commit, before anyone is answered (acked is then queued): wake the takers.
        A live dispatch row is run by the request that stored it: no taker needs waking (in
        a burst of commands, waking the inbox worker for each cost three claims)."""
        self.batches += 1
        sources = {row.source for row in batch if row.for_takers}
        for source, hook in self._written:
            if source in sources:
                hook()

    def _settle(self, ids: list[int], connection: list[Connection]) -> None:
        try:
            self._connect(connection)
            inbox.done(self.db, ids, connection=connection[0] if connection else None)
        except Exception:  # left pending: taken again after its lease, which is harmless
            log.exception("marking %d inbox rows done failed", len(ids))
            _close(connection)

    def _connect(self, connection: list[Connection]) -> None:
        """This thread's own autocommit connection (PostgreSQL), opened at its first use."""
        if not connection and not self.db.sqlite:
            connection.append(self.db.engine.connect().execution_options(
                isolation_level="AUTOCOMMIT"))


def _close(connection: list[Connection]) -> None:
    while connection:
        try:
            connection.pop().close()
        except Exception:
            log.debug("closing an inbox writer's connection failed", exc_info=True)
