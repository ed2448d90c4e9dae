"""Waking another process's takers when there is work for them (PostgreSQL LISTEN/NOTIFY).

A `web` process stores deliveries and records effects that a `worker` process carries out
(vigilo.settings: VIGILO_ROLE). Without a word from the web process the worker would only
find them at its next poll; with one, it looks at once. A notification is only a hint: the
rows are the truth, the takers still claim them with their leases, and a lost or spurious
hint costs at most one poll interval or one empty pass.

`Notifier.poke` never waits: the hint is sent by a thread of its own, and pokes that arrive
while it is sending are folded into the next one, so a burst of commits costs a handful of
notifications, not one round trip each on the request's path.
"""

import hashlib
import logging
import threading
from collections.abc import Callable

import psycopg
from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

INBOX, OUTBOX = "inbox", "outbox"  # what there is new work in


def channel(database_url: str, topic: str) -> str:
    """One channel per database *and* schema (NOTIFY is database-wide; tests and benches
    share one database between many schemas)."""
    digest = hashlib.sha256(database_url.encode("utf-8")).hexdigest()[:12]
    return f"vigilo_{topic}_{digest}"


def conninfo(database_url: str) -> str:
    """The libpq URL of a SQLAlchemy URL (`postgresql+psycopg://` → `postgresql://`)."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(
        hide_password=False)


class Notifier:
    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self._pending: set[str] = set()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stopping = False

    def poke(self, topic: str) -> None:
        with self._cond:
            self._pending.add(topic)
            if self._thread is None:
                self._stopping = False
                self._thread = threading.Thread(target=self._loop, name="vigilo-notify",
                                                daemon=True)
                self._thread.start()
            self._cond.notify()

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify()
            thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(5)

    def _loop(self) -> None:
        connection: psycopg.Connection | None = None
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._pending or self._stopping)
                if self._stopping and not self._pending:
                    break
                topics, self._pending = self._pending, set()
            try:
                if connection is None or connection.closed:
                    connection = psycopg.connect(conninfo(self.database_url), autocommit=True)
                for topic in sorted(topics):
                    connection.execute("SELECT pg_notify(%s, '')",
                                       (channel(self.database_url, topic),))
            except psycopg.Error as error:  # the worker still finds the rows at its poll
                log.warning("could not wake the workers (%s): they find the work at their "
                            "next poll", error)
                if connection is not None:
                    connection.close()
                connection = None
        if connection is not None:
            connection.close()


class Listener:
    """Runs `hooks[topic]` whenever another process says there is new work of that topic
    (and once at start, for whatever arrived while nobody listened)."""

    def __init__(self, database_url: str, hooks: dict[str, Callable[[], None]], *,
                 retry: float = 5.0) -> None:
        self.database_url = database_url
        self.hooks = hooks
        self.retry = retry
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="vigilo-listen",
                                            daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(5)

    def _loop(self) -> None:
        by_channel = {channel(self.database_url, t): hook for t, hook in self.hooks.items()}
        while not self._stop.is_set():
            try:
                with psycopg.connect(conninfo(self.database_url),
                                     autocommit=True) as connection:
                    for name in by_channel:
                        connection.execute(f'LISTEN "{name}"')
                    for hook in by_channel.values():  # what came before we listened
                        hook()
                    while not self._stop.is_set():
                        # Short waits, so that stop() is heard within a second.
                        for note in connection.notifies(timeout=1.0):
                            woken = by_channel.get(note.channel)
                            if woken is not None:
                                woken()
            except psycopg.Error as error:
                log.warning("listening for new work failed (%s); polling meanwhile, trying "
                            "again in %.0f s", error, self.retry)
                self._stop.wait(self.retry)
