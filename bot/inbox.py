"""Writing Slack deliveries to the inbox before they are acked, many per commit.

Requests hand their row to one writer thread and wait (on the event loop, no thread held)
for the commit that holds it; the writer takes whatever has queued up while the previous
commit ran, so under load one commit carries hundreds of deliveries and durability costs
little throughput. Marking rows done needs no waiting: those ride along with the next batch.

`Ticket` follows one delivery through the work it causes (`Bot.later` jobs, follow-ups):
when the last of it ends, the row is marked done. A crash before that leaves it pending,
and the inbox worker takes it again.
"""

import contextvars
import hashlib
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy.engine import Connection

from services import inbox
from store.db import Database
from store.inbox_models import DISPATCH, MESSAGE
from store.types import utcnow

log = logging.getLogger(__name__)

MAX_BATCH = 1000
WRITERS = 4
MESSAGE_EVENTS = {"message"}
READS = frozenset({"url_verification", "block_suggestion"})


@dataclass(frozen=True)
class Incoming:
    """What the inbox keeps of one delivery, before it is written."""

    delivery_key: str
    team_id: str
    kind: str
    body: str
    content_type: str


def incoming(raw: str, body: dict[str, Any], content_type: str) -> Incoming | None:
    """The inbox row for a parsed request; None for Slack's own handshakes (url_verification,
    ssl_check), which carry nothing a person typed, and for reads answered in the response
    itself (block_suggestion: the options of an external select), which a replay could not
    deliver to anyone."""
    if body.get("type") in READS or body.get("ssl_check"):
        return None
    event = body.get("event") if body.get("type") == "event_callback" else None
    team_id = team_of(body)
    if isinstance(event, dict) and body.get("event_id"):
        # Slack's redeliveries of an event keep its event_id.
        key = f"event:{team_id}:{body['event_id']}"
        kind = MESSAGE if event.get("type") in MESSAGE_EVENTS else DISPATCH
    else:
        # Commands and interactions are never redelivered; their bodies are unique
        # (trigger ids), so the digest only guards against a replayed request.
        key = "request:" + hashlib.sha256(raw.encode("utf-8")).hexdigest()
        kind = DISPATCH
    return Incoming(key, team_id[:32], kind, raw, content_type[:100])


def team_of(body: dict[str, Any]) -> str:
    team, user = body.get("team"), body.get("user")
    found = (body.get("team_id") or (team.get("id") if isinstance(team, dict) else team)
             or (user.get("team_id") if isinstance(user, dict) else None))
    return str(found or "")


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
        self._written: list[Callable[[], None]] = []

    def on_written(self, hook: Callable[[], None]) -> None:
        """Called after each commit of new rows (the inbox worker wakes up)."""
        self._written.append(hook)

    def submit(self, row: Incoming) -> "Future[int | None]":
        """The row's id once committed, or None when it was stored already (redelivery)."""
        pending = _Pending(row)
        with self._cond:
            self._queue.append(pending)
            self._start()
            self._cond.notify()
        return pending.future

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
        self.wait_idle(timeout)
        with self._cond:
            self._stopping = True
            self._cond.notify_all()

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
                    self._settle(done)
            finally:
                with self._cond:
                    self._busy -= 1
                    self._cond.notify_all()

    def _write(self, batch: list[_Pending], connection: list[Connection]) -> None:
        until = utcnow() + timedelta(seconds=self.lease)
        rows: dict[str, dict[str, Any]] = {}
        for item in batch:
            row = item.row
            rows.setdefault(row.delivery_key, {
                "delivery_key": row.delivery_key, "team_id": row.team_id, "kind": row.kind,
                "body": row.body, "content_type": row.content_type,
                "locked_until": until if row.kind == DISPATCH else None})
        # Key order: two writers inserting the same keys then lock them in the same order
        # (a redelivery racing its original waits, it cannot deadlock).
        ordered = [rows[key] for key in sorted(rows)]
        try:
            if not connection and not self.db.sqlite:
                connection.append(self.db.engine.connect().execution_options(
                    isolation_level="AUTOCOMMIT"))
            created = inbox.record(self.db, ordered,
                                   connection=connection[0] if connection else None)
        except Exception as error:
            log.exception("storing %d Slack deliveries failed", len(batch))
            _close(connection)  # it may be dead: the next batch opens a new one
            for item in batch:
                item.future.set_exception(error)
            return
        self.batches += 1
        for hook in self._written:  # before anyone is answered: an ack implies "queued"
            hook()
        for item in batch:
            # The first of several copies in one batch is the new one; the rest are repeats.
            item.future.set_result(created.pop(item.row.delivery_key, None))

    def _settle(self, ids: list[int]) -> None:
        try:
            inbox.done(self.db, ids)
        except Exception:  # left pending: taken again after its lease, which is harmless
            log.exception("marking %d inbox rows done failed", len(ids))


def _close(connection: list[Connection]) -> None:
    while connection:
        try:
            connection.pop().close()
        except Exception:
            log.debug("closing an inbox writer's connection failed", exc_info=True)


CURRENT: contextvars.ContextVar["Ticket | None"] = contextvars.ContextVar("vigilo_ticket",
                                                                          default=None)


class Ticket:
    """Counts the work one delivery caused; `finished` runs when the last piece ends."""

    def __init__(self, finished: Callable[[], None]) -> None:
        self._finished = finished
        self._held = 1  # the dispatch itself
        self._lock = threading.Lock()

    def hold(self) -> None:
        with self._lock:
            self._held += 1

    def release(self) -> None:
        with self._lock:
            self._held -= 1
            last = self._held == 0
        if last:
            self._finished()

    def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run `fn` as part of this delivery's work (and release it after)."""
        token = CURRENT.set(self)
        try:
            return fn(*args)
        finally:
            CURRENT.reset(token)
            self.release()
