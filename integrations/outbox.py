"""The outbox worker: at-least-once delivery of recorded side effects.

Claims are leases (`locked_until`), so a crashed worker's effects are picked up again after
the lease, and a restart resumes whatever was pending. On PostgreSQL the claim uses
FOR UPDATE SKIP LOCKED so two workers never take the same effect.
"""

import logging
import random
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, or_
from sqlalchemy.orm import aliased
from sqlmodel import col, select

from core.effects import integration_of
from core.keys import format_key
from integrations.log_context import Repeated
from store.db import Database
from store.models import Incident, IntegrationLog, Outbox
from store.types import utcnow

log = logging.getLogger(__name__)


class RetryAfter(Exception):
    """The remote asked us to wait (HTTP 429/503 Retry-After): honour it exactly."""

    def __init__(self, seconds: float, message: str = "rate limited") -> None:
        super().__init__(f"{message}; retry after {seconds:g}s")
        self.seconds = max(0.0, seconds)


class PermanentFailure(Exception):
    """Retrying cannot help (missing scope, unknown channel): stop and show the error."""


class NotConfigured(Exception):
    """The integration is off: the effect is settled as skipped, with the reason logged."""


@dataclass(frozen=True)
class Effect:
    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    idempotency_key: str
    workspace_id: int | None
    incident_id: int | None


Handler = Callable[[Effect], str | None]


@dataclass
class Backoff:
    base: float = 2.0
    cap: float = 3600.0
    max_attempts: int = 20

    def delay(self, attempts: int, rng: random.Random) -> float:
        """Exponential with 'equal jitter': never less than half the step, never synchronized."""
        step = min(self.cap, self.base * 2 ** max(0, attempts - 1))
        return step / 2 + rng.uniform(0, step / 2)


class OutboxWorker:
    def __init__(self, db: Database, handlers: Mapping[str, Handler], *,
                 off: Mapping[str, str] | None = None, lease: float = 120.0,
                 backoff: Backoff | None = None, rng: random.Random | None = None,
                 clock: Callable[[], datetime] = utcnow, poll: float = 0.25) -> None:
        self.db = db
        self.handlers = handlers
        self.off = off or {}  # kind -> why its integration is off (the registry's reasons)
        self.lease = lease
        self.backoff = backoff or Backoff()
        self.rng = rng or random.Random()
        self.clock = clock
        self.poll = poll
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    # -- claiming ---------------------------------------------------------------------------
    def claim(self, limit: int = 20) -> list[Effect]:
        now = self.clock()
        earlier = aliased(Outbox)
        blocked = exists().where(and_(col(earlier.lane) == col(Outbox.lane),
                                      col(earlier.lane) != "",
                                      col(earlier.status) == "pending",
                                      col(earlier.id) < col(Outbox.id)))
        query = (select(Outbox)
                 .where(Outbox.status == "pending", col(Outbox.next_attempt_at) <= now,
                        or_(col(Outbox.locked_until).is_(None), col(Outbox.locked_until) < now),
                        ~blocked)
                 .order_by(col(Outbox.id)).limit(limit)
                 .with_for_update(skip_locked=True, of=Outbox))
        with self.db.transaction() as session:
            rows = list(session.exec(query))
            for row in rows:
                row.attempts += 1
                row.locked_until = now + timedelta(seconds=self.lease)
            return [Effect(r.id or 0, r.kind, dict(r.payload), r.attempts, r.idempotency_key,
                           r.workspace_id, r.incident_id) for r in rows]

    # -- delivering -------------------------------------------------------------------------
    def deliver(self, effect: Effect) -> str:
        """Run the handler and settle the row. Returns the new status."""
        handler = self.handlers.get(effect.kind)
        next_at: datetime | None = None
        detail: str | None
        try:
            if handler is None:
                raise NotConfigured(self.off.get(effect.kind)
                                    or f"{integration_of(effect.kind)} is not configured")
            detail = handler(effect)
            status, ok = "done", True
        except NotConfigured as error:
            status, ok, detail = "skipped", False, str(error)
        except RetryAfter as error:
            status, ok, detail = "pending", False, str(error)
            next_at = self.clock() + timedelta(seconds=error.seconds)
        except PermanentFailure as error:
            status, ok, detail = "dead", False, f"permanent: {error}"
        except Exception as error:  # any adapter failure is retried, never lost
            ok, detail = False, f"{type(error).__name__}: {error}"
            if effect.attempts >= self.backoff.max_attempts:
                status = "dead"
            else:
                status = "pending"
                next_at = self.clock() + timedelta(
                    seconds=self.backoff.delay(effect.attempts, self.rng))
        self._settle(effect, status, ok, detail or "", next_at)
        if status == "dead":
            _log_dead(self.db, effect, detail or "")
        return status

    def _settle(self, effect: Effect, status: str, ok: bool, detail: str,
                next_at: datetime | None) -> None:
        with self.db.transaction() as session:
            row = session.get(Outbox, effect.id)
            if row is None:
                return
            row.status = status
            row.locked_until = None
            if ok:
                row.delivered_at = self.clock()
                row.last_error = None
            else:
                row.last_error = detail[:4000]
            if next_at is not None:
                row.next_attempt_at = next_at
            session.add(IntegrationLog(workspace_id=effect.workspace_id,
                                       incident_id=effect.incident_id,
                                       integration=integration_of(effect.kind),
                                       kind=effect.kind, outbox_id=effect.id, ok=ok,
                                       detail=f"attempt {effect.attempts}: {status}"
                                              + (f" — {detail}" if detail else "")))

    def run_once(self, limit: int = 20) -> int:
        """Claim and deliver one batch; returns how many effects were attempted."""
        effects = self.claim(limit)
        for effect in effects:
            self.deliver(effect)
        return len(effects)

    def drain(self, max_rounds: int = 100) -> int:
        """Deliver until nothing is due (tests and the CLI's one-shot mode)."""
        total = 0
        for _ in range(max_rounds):
            done = self.run_once()
            total += done
            if not done:
                break
        return total

    # -- background thread ------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="vigilo-outbox", daemon=True)
        self._thread.start()

    def notify(self) -> None:
        """Something was just recorded: look now instead of at the next poll."""
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        failures = Repeated(log, "outbox worker round", base=self.poll)
        while not self._stop.is_set():
            wait = self.poll
            try:
                busy = self.run_once()
                failures.succeeded()
            except Exception as error:  # the database may be briefly away: keep going
                busy, wait = 0, max(self.poll, failures.failed(error))
            if not busy:
                self._wake.wait(wait)
                self._wake.clear()


def _log_dead(db: Database, effect: Effect, detail: str) -> None:
    """One line per effect given up on, with the reason the operator acts on."""
    key = None
    if effect.incident_id is not None:
        with db.read() as session:
            incident = session.get(Incident, effect.incident_id)
            key = format_key(incident.number) if incident else None
    log.warning("gave up on %s (outbox #%d) after %d attempt(s): %s", effect.kind, effect.id,
                effect.attempts, detail, extra={"outbox_id": effect.id, "kind": effect.kind,
                                                "integration": integration_of(effect.kind),
                                                "incident": key})
