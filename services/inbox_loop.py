"""Storing deliveries from the event loop itself (PostgreSQL): no thread between the request
and its commit.

With the writer threads (services.inbox_writer) each delivery crossed threads twice, and
each crossing waited for the interpreter lock while the event loop held it answering other
requests: a batch that PostgreSQL committed in about a millisecond took 4-10 ms to come
back, and the loop, CPU-bound or waiting, was never the bottleneck it looked like. Here the
requests' coroutines queue their rows and up to `connections` batches are in flight at once
on autocommit async connections, each taking whatever queued while the previous one ran, so
one commit still carries many deliveries.

Connections belong to the loop that opened them: each loop (tests run several, at once
too) has its own queue and connections, and a loop's are closed once it has ended.
"""

import asyncio
import logging
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import psycopg

from services import inbox
from store.wake import conninfo

if TYPE_CHECKING:  # the writer makes its LoopWriter
    from services.inbox_writer import InboxWriter, Incoming

log = logging.getLogger(__name__)

# Seconds to reach PostgreSQL before the batch's requests are answered 503 (Slack and
# PagerDuty deliver again); never longer than Slack waits for an ack.
CONNECT_TIMEOUT = 2


@dataclass
class _OnLoop:
    """One event loop's rows waiting, its connections at rest, its batches in flight."""

    loop: asyncio.AbstractEventLoop
    queue: list[tuple["Incoming", "asyncio.Future[int | None]"]] = field(default_factory=list)
    idle: list[psycopg.AsyncConnection[Any]] = field(default_factory=list)
    running: int = 0
    tasks: set["asyncio.Task[None]"] = field(default_factory=set)  # the loop holds them weakly

    def close(self) -> None:
        """Close the connections at rest (synchronously: the loop may be gone)."""
        idle, self.idle = self.idle, []
        for connection in idle:
            connection.pgconn.finish()


class LoopWriter:
    def __init__(self, writer: "InboxWriter", *, connections: int, max_batch: int) -> None:
        self.writer = writer
        self.connections = connections  # batches in flight at once, per loop
        self.max_batch = max_batch
        self._url = conninfo(writer.db.engine.url.render_as_string(hide_password=False))
        self._loops: dict[int, _OnLoop] = {}
        self._lock = threading.Lock()  # loops in several threads at once (tests' clients)

    async def store(self, row: "Incoming") -> int | None:
        """The row's id once committed, or None when it was stored already (redelivery)."""
        here = self._on(asyncio.get_running_loop())
        future: asyncio.Future[int | None] = here.loop.create_future()
        here.queue.append((row, future))
        if here.running < self.connections:
            here.running += 1
            task = here.loop.create_task(self._drain(here))
            here.tasks.add(task)
            task.add_done_callback(here.tasks.discard)
        return await future

    def close(self) -> None:
        with self._lock:
            loops = list(self._loops.values())
        for here in loops:
            here.close()

    def _on(self, loop: asyncio.AbstractEventLoop) -> _OnLoop:
        here = self._loops.get(id(loop))
        if here is not None and here.loop is loop:
            return here
        with self._lock:
            for key, gone in list(self._loops.items()):  # loops that ended since
                if gone.loop.is_closed():
                    gone.close()
                    del self._loops[key]
            here = self._loops[id(loop)] = _OnLoop(loop)
        return here

    async def _drain(self, here: _OnLoop) -> None:
        connection: psycopg.AsyncConnection[Any] | None = None
        try:
            while here.queue:
                batch, here.queue = here.queue[:self.max_batch], here.queue[self.max_batch:]
                rows = [row for row, _ in batch]
                try:
                    if connection is None or connection.closed:
                        connection = (here.idle.pop() if here.idle else
                                      await psycopg.AsyncConnection.connect(
                                          self._url, autocommit=True,
                                          connect_timeout=CONNECT_TIMEOUT))
                    created = await inbox.record_on(connection, self.writer.rows(rows))
                except Exception as error:
                    log.exception("storing %d deliveries in the inbox failed", len(batch))
                    if connection is not None:  # it may be dead: the next batch opens one
                        await connection.close()
                        connection = None
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(error)
                    continue
                self.writer.wrote(rows)
                for row, future in batch:
                    if not future.done():  # its request may have been cancelled meanwhile
                        future.set_result(created.pop(row.delivery_key, None))
        finally:
            here.running -= 1
            if connection is not None and not connection.closed:
                here.idle.append(connection)
