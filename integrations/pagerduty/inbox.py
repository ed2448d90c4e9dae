"""Works stored PagerDuty deliveries on a thread of its own, in the order they arrived, so
the webhook is answered as soon as the delivery is stored (PagerDuty wants a 2xx within
5 s) and the next delivery on the same connection never waits for the previous one's work."""

import logging
import queue
import threading
from collections.abc import Callable

from services import pagerduty_inbound
from store.db import Database

log = logging.getLogger(__name__)


class Inbox:
    def __init__(self, db: Database, workspace: str | None,
                 after: Callable[[], None] | None = None) -> None:
        self.db = db
        self.workspace = workspace
        self.after = after
        self._queue: queue.Queue[int | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._idle = threading.Event()
        self._idle.set()

    def put(self, row_id: int) -> None:
        self._idle.clear()
        self._queue.put(row_id)
        if self._thread is None:  # a test app without a lifespan: work on a thread anyway
            self.start()

    def start(self) -> None:
        """Work what an earlier process stored but never worked, then whatever arrives."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="vigilo-pd-inbox", daemon=True)
        self._thread.start()
        try:
            for row_id in pagerduty_inbound.pending(self.db):
                self._idle.clear()
                self._queue.put(row_id)
        except Exception as error:  # database away or not migrated: next start will
            log.warning("PagerDuty deliveries left from before not worked yet: %s",
                        str(error).splitlines()[0] if str(error) else type(error).__name__)

    def stop(self, timeout: float = 5.0) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout)
            self._thread = None

    def wait_idle(self, timeout: float = 10.0) -> bool:
        return self._idle.wait(timeout)

    def _run(self) -> None:
        while True:
            row_id = self._queue.get()
            if row_id is None:
                return
            try:
                pagerduty_inbound.process(self.db, row_id, self.workspace)
                if self.after is not None:
                    self.after()
            except Exception:
                log.exception("PagerDuty delivery %s could not be worked", row_id)
            if self._queue.empty():
                self._idle.set()
