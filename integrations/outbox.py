"""The outbox worker: at-least-once delivery of recorded side effects.

Claims are leases (`locked_until`), so a crashed worker's effects are picked up again after
the lease, and a restart resumes whatever was pending. On PostgreSQL the claim uses
FOR UPDATE SKIP LOCKED so two workers never take the same effect.

Only the head of each lane (the oldest pending effect of one integration for one incident)
can be claimed, so a lane is delivered in order, one effect at a time: the channel exists
before anything is posted to it. Different lanes are delivered at the same time, each
integration on a small pool of threads of its own: a hung PagerDuty occupies only its own
threads, never Slack's. `threads=1` is the old single-threaded worker.
"""

import functools
import logging
import random
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from core.effects import BEHIND_PAGING, PAGING, integration_of
from core.keys import format_key
from integrations.breaker import Breaker
from integrations.claims import SETTLE, LeaseKeeper, take
from integrations.lanes import Pools
from integrations.log_context import Repeated, bound
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
                 clock: Callable[[], datetime] = utcnow, poll: float = 0.25,
                 threads: int = 16, limits: Mapping[str, int] | None = None,
                 probe: float = 2.0, give_way: Callable[[], None] = lambda: None,
                 hold: Callable[[], Iterable[str]] = tuple) -> None:
        self.db = db
        self.handlers = handlers
        self.off = off or {}  # kind -> why its integration is off (the registry's reasons)
        self.lease = lease
        self.backoff = backoff or Backoff()
        self.rng = rng or random.Random()
        self.clock = clock
        self.poll = poll
        self.threads = max(1, threads)
        self.hold = hold  # effect kinds left unclaimed for now (integrations.holds)
        self.breaker = Breaker(db, clock, probe=probe)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._unhook: Callable[[], None] | None = None
        self.leases = LeaseKeeper(db, lease, clock)  # renewed while a handler runs
        self.pools = Pools(self.threads, limits, on_done=self._wake.set, give_way=give_way,
                           first=PAGING, behind=BEHIND_PAGING)
        # Every integration whose effects may be claimed, for the claim's room per integration.
        self._integrations = sorted({integration_of(kind) for kind in [*handlers, *self.off]}
                                    | set(self.pools.limits))

    # -- claiming ---------------------------------------------------------------------------
    def claim(self, limit: int = 20, room: Callable[[str], int] | None = None,
              skip: Iterable[str] = ()) -> list[Effect]:
        """Lease up to `limit` lane heads, none of the integrations in `skip` nor of the kinds
        held for now; with `room`, at most `room(integration)` of each."""
        left_out = tuple(sorted({*skip, *self.hold()}))
        rows = take(self.db, self.clock(), self.lease, limit, left_out,
                    None if room is None else {name: room(name) for name in self._integrations},
                    self.threads)
        return [Effect(row.id, row.kind, dict(row.payload or {}), row.attempts,
                       row.idempotency_key, row.workspace_id, row.incident_id) for row in rows]

    # -- delivering -------------------------------------------------------------------------
    def deliver(self, effect: Effect) -> str:
        """Run the handler and settle the row. Returns the new status."""
        handler = self.handlers.get(effect.kind)
        next_at: datetime | None = None
        backing_off = False
        detail: str | None
        try:
            if handler is None:
                raise NotConfigured(self.off.get(effect.kind)
                                    or f"{integration_of(effect.kind)} is not configured")
            self.leases.hold(effect.id)
            try:
                with bound(integration=integration_of(effect.kind)):  # on its log lines
                    detail = handler(effect)
            finally:
                self.leases.release(effect.id)
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
                status, backing_off = "pending", True
                next_at = self.clock() + timedelta(
                    seconds=self.backoff.delay(effect.attempts, self.rng))
        self._settle(effect, status, ok, detail or "", next_at, backing_off)
        name = integration_of(effect.kind)
        if backing_off:
            self.breaker.failed(name)
        elif ok and self.breaker.succeeded(name):
            self._wake.set()  # the backlog is due now
        if status == "dead":
            _log_dead(self.db, effect, detail or "")
        return status

    def _settle(self, effect: Effect, status: str, ok: bool, detail: str,
                next_at: datetime | None, backing_off: bool = False) -> None:
        logged = f"attempt {effect.attempts}: {status}" + (f" — {detail}" if detail else "")
        if not self.db.sqlite:
            with self.db.statements() as connection:
                connection.execute(SETTLE, {
                    "id": effect.id, "status": status, "backing_off": backing_off, "ok": ok,
                    "now": self.clock(), "error": detail[:4000], "next_at": next_at,
                    "integration": integration_of(effect.kind), "kind": effect.kind,
                    "detail": logged})
            return
        with self.db.transaction() as session:
            row = session.get(Outbox, effect.id)
            if row is None:
                return
            row.status = status
            row.locked_until = None
            row.backing_off = backing_off
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
                                       detail=logged))

    def run_once(self, limit: int = 20) -> int:
        """Claim and deliver one batch, one by one; returns how many were attempted."""
        self.breaker.probe_due()
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

    # -- background threads -----------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._unhook = self.db.on_effects(self.notify)
        self.leases.start()
        loop = self._loop if self.threads == 1 else self._parallel_loop
        self._thread = threading.Thread(target=loop, name="vigilo-outbox", daemon=True)
        self._thread.start()

    def notify(self) -> None:
        """Something was just recorded: look now instead of at the next poll."""
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        if self._unhook is not None:
            self._unhook()
            self._unhook = None
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self.pools.shutdown(timeout)
        self.leases.stop()

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

    def _parallel_loop(self) -> None:
        failures = Repeated(log, "outbox worker round", base=self.poll)
        while not self._stop.is_set():
            self._wake.clear()
            claimed, wait = 0, self.poll
            try:
                self.breaker.probe_due()
                # Enough rows for every free thread; rows over an integration's room stay.
                for effect in self.claim(self.threads * 2, self.pools.room, self.pools.full()):
                    self.pools.submit(integration_of(effect.kind),
                                      functools.partial(self._deliver_one, effect))
                    claimed += 1
                failures.succeeded()
            except Exception as error:  # the database may be briefly away: keep going
                wait = max(self.poll, failures.failed(error))
            if not claimed:
                self._wake.wait(wait)

    def _deliver_one(self, effect: Effect) -> None:
        self.deliver(effect)


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
