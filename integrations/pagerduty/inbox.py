"""Works stored PagerDuty deliveries after the webhook answered (PagerDuty wants a 2xx within
5 s), taken from the shared inbox on any replica.

A pass claims up to `BATCH` due rows and works them on `WORKERS` threads: the rows of one
PagerDuty incident go to one thread, in the order they arrived (the inbox never hands out a
row while an earlier one of the same incident is with another taker), so an incident's
events cannot overtake each other, while different incidents are worked side by side. A
row whose work raises is tried again later and quarantined after a few tries
(`vigilo inbox list`), without holding up the rows behind it.
"""

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from integrations.log_context import Repeated
from services import inbox, pagerduty_inbound
from services.inbox import WEBHOOK, Delivery
from store.db import Database

log = logging.getLogger(__name__)

BATCH = 200
WORKERS = 4


class Inbox:
    def __init__(self, db: Database, workspace: str | None,
                 after: Callable[[], None] | None = None, *, lease: float = 60.0,
                 poll: float = 1.0, workers: int = WORKERS) -> None:
        self.db = db
        self.workspace = workspace
        self.after = after
        self.lease = lease
        self.poll = poll
        self.workers = 1 if db.sqlite else workers  # SQLite writes one at a time anyway
        self.worked = 0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._idle = threading.Event()
        self._thread: threading.Thread | None = None

    def notify(self) -> None:
        """Rows were stored: take them now (a test app without a lifespan starts here)."""
        self._idle.clear()
        self._wake.set()
        self.start()

    def start(self) -> None:
        """Work what an earlier process stored but never worked, then whatever arrives."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._idle.clear()
        self._thread = threading.Thread(target=self._run, name="vigilo-pd-inbox", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        if self._thread is not None:
            self._stop.set()
            self._wake.set()
            self._thread.join(timeout)
            self._thread = None

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """True once a pass found nothing to do (after the last notify)."""
        return self._thread is None or self._idle.wait(timeout)

    def _run(self) -> None:
        failures = Repeated(log, "taking PagerDuty deliveries from the inbox", base=self.poll)
        with ThreadPoolExecutor(self.workers, thread_name_prefix="vigilo-pd-work") as pool:
            while not self._stop.is_set():
                self._wake.clear()
                wait = self.poll
                try:
                    busy = self.step(pool)
                    failures.succeeded()
                except Exception as error:  # database away or not migrated yet
                    busy, wait = 0, max(self.poll, failures.failed(error))
                if not busy:
                    if not self._wake.is_set():
                        self._idle.set()
                    self._wake.wait(wait)

    def step(self, pool: ThreadPoolExecutor) -> int:
        """One pass: claim what is due, work it per incident in parallel; rows taken."""
        rows = inbox.claim_in_order(self.db, pagerduty_inbound.INTEGRATION, WEBHOOK,
                                    limit=BATCH, lease=self.lease)
        lanes: dict[str, list[Delivery]] = {}
        for row in rows:
            lanes.setdefault(row.subject or f"#{row.id}", []).append(row)
        for future in [pool.submit(self._lane, lane) for lane in lanes.values()]:
            future.result()
        if rows and self.after is not None:
            self.after()  # the outbox has the effects those changes recorded
        return len(rows)

    def _lane(self, rows: list[Delivery]) -> None:
        for row in rows:
            try:
                pagerduty_inbound.work(self.db, row, self.workspace)
                self.worked += 1
            except Exception as error:
                log.exception("PagerDuty delivery #%d could not be worked", row.id)
                inbox.failed(self.db, row, f"{type(error).__name__}: {error}")
