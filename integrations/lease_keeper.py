"""Keeps the outbox claims of effects being delivered right now.

A claim is a lease (`locked_until`) so that a dead worker's effects are taken again. A live
worker whose handler outlasts the lease (a page to many people, each call waiting out its
timeout) must not lose the claim: another replica would deliver the same effect at the same
time, and an SMS sent twice cannot be taken back. One thread per worker renews every
in-flight claim well before it runs out; a worker that dies stops renewing, so its claims
still expire as before.
"""

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import bindparam, update

from store.db import Database
from store.models import Outbox

log = logging.getLogger(__name__)

_OUTBOX = Outbox.__table__  # type: ignore[attr-defined]
# Only claims still held: a row settled meanwhile has locked_until cleared and stays so.
_RENEW = (update(_OUTBOX)
          .where(_OUTBOX.c.id.in_(bindparam("ids", expanding=True)),
                 _OUTBOX.c.status == "pending", _OUTBOX.c.locked_until.is_not(None))
          .values(locked_until=bindparam("until")))


class LeaseKeeper:
    def __init__(self, db: Database, lease: float, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.lease = lease
        self.clock = clock
        self._held: dict[int, int] = {}  # effect id -> deliveries of it in this process
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def hold(self, effect_id: int) -> None:
        with self._lock:
            self._held[effect_id] = self._held.get(effect_id, 0) + 1

    def release(self, effect_id: int) -> None:
        with self._lock:
            left = self._held.pop(effect_id, 1) - 1
            if left > 0:
                self._held[effect_id] = left

    def renew(self) -> int:
        """Push every held claim a whole lease ahead; returns how many were held."""
        with self._lock:
            ids = list(self._held)
        if ids:
            with self.db.transaction() as session:
                session.connection().execute(_RENEW, {
                    "ids": ids, "until": self.clock() + timedelta(seconds=self.lease)})
        return len(ids)

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="vigilo-outbox-leases",
                                            daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def _run(self) -> None:
        # A third of the lease: two renewals may fail (database briefly away) before it ends.
        while not self._stop.wait(self.lease / 3):
            try:
                self.renew()
            except Exception as error:
                log.warning("could not renew outbox claims: %s", error)
