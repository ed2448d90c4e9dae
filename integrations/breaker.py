"""Breaker-style recovery: when an integration answers again, its backlog is due at once.

Each effect that fails backs off on its own exponential schedule, so after an outage most of
the backlog would sit out its backoff long after the remote is back. Instead the worker
remembers which integrations are failing; while one is, its oldest backed-off effect is made
due every `probe` seconds (a half-open probe), and the first success makes every effect that
is only backing off due now. An explicit Retry-After is the remote's own request and is
never cut short: those rows are not `backing_off`.
"""

import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import func, update
from sqlmodel import col, select

from core.effects import integration_of
from store.db import Database
from store.models import Outbox


class Breaker:
    def __init__(self, db: Database, clock: Callable[[], datetime], *,
                 probe: float = 2.0) -> None:
        self.db = db
        self.clock = clock
        self.probe = probe
        self._lock = threading.Lock()
        self._failing: dict[str, datetime] = {}  # integration -> when it last failed or probed
        self._loaded = False

    def load(self) -> None:
        """After a restart: integrations with effects backing off count as failing."""
        with self.db.read() as session:
            kinds = session.exec(select(Outbox.kind).where(
                Outbox.status == "pending", col(Outbox.backing_off)).distinct()).all()
        self._loaded = True
        now = self.clock()
        with self._lock:
            for kind in kinds:
                self._failing.setdefault(integration_of(kind), now)

    def failed(self, integration: str) -> None:
        with self._lock:
            self._failing[integration] = self.clock()

    def failing(self) -> list[str]:
        with self._lock:
            return sorted(self._failing)

    def succeeded(self, integration: str) -> int:
        """Close the breaker: returns how many waiting effects became due."""
        with self._lock:
            if self._failing.pop(integration, None) is None:
                return 0
        now = self.clock()
        with self.db.transaction() as session:
            result = session.execute(
                update(Outbox)
                .where(col(Outbox.status) == "pending", col(Outbox.backing_off),
                       col(Outbox.kind).startswith(f"{integration}."),
                       col(Outbox.next_attempt_at) > now)
                .values(next_attempt_at=now, backing_off=False))
            return int(result.rowcount)  # type: ignore[attr-defined]

    def probe_due(self) -> list[str]:
        """For each failing integration not tried for `probe` s, make its oldest effect due."""
        if not self._loaded:  # first round of this worker: what did the last one leave?
            self.load()
        now = self.clock()
        with self._lock:
            stale = [name for name, at in self._failing.items()
                     if now - at >= timedelta(seconds=self.probe)]
            for name in stale:
                self._failing[name] = now
        probed = []
        for name in stale:
            with self.db.transaction() as session:
                oldest = session.exec(select(func.min(Outbox.id)).where(
                    Outbox.status == "pending", col(Outbox.backing_off),
                    col(Outbox.kind).startswith(f"{name}."),
                    col(Outbox.next_attempt_at) > now)).one()
                if oldest is None:  # nothing waits any more: nothing to probe with
                    with self._lock:
                        self._failing.pop(name, None)
                    continue
                session.execute(update(Outbox).where(col(Outbox.id) == oldest)
                                .values(next_attempt_at=now))
                probed.append(name)
        return probed
