"""Leader lock: with several replicas, one of them runs the scheduled jobs.

On PostgreSQL the leader holds a session-level advisory lock on a connection it keeps open;
when its process dies the server ends the session and frees the lock, and the next replica
to ask gets it. SQLite serves one process, which always leads.
"""

import logging
import threading

from sqlalchemy import text
from sqlalchemy.engine import Connection

from store.db import Database

log = logging.getLogger(__name__)

# pg_advisory_lock takes a bigint; this one is "vigilo" in ASCII, so other apps sharing the
# database are unlikely to collide with it.
SCHEDULER_LOCK = 0x766967696C6F


class LeaderLock:
    def __init__(self, db: Database, key: int = SCHEDULER_LOCK) -> None:
        self.db = db
        self.key = key
        self._conn: Connection | None = None
        self._mutex = threading.Lock()

    @property
    def held(self) -> bool:
        return self.db.sqlite or self._conn is not None

    def acquire(self) -> bool:
        """Lead now if nobody else does; True while this process leads. Never blocks."""
        if self.db.sqlite:
            return True
        with self._mutex:
            if self._conn is not None:
                if self._alive(self._conn):
                    return True
                self._drop()  # our session died with the lock: ask again below
            conn = self.db.engine.connect()
            try:
                got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"),
                                        {"k": self.key}).scalar())
                conn.commit()
            except Exception:
                conn.close()
                raise
            if not got:
                conn.close()
                return False
            self._conn = conn
            log.info("this replica now runs the scheduled jobs (advisory lock %s)", self.key)
            return True

    def release(self) -> None:
        if self.db.sqlite:
            return
        with self._mutex:
            if self._conn is None:
                return
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
                self._conn.commit()
            except Exception:
                log.warning("could not release the leader lock; closing its session frees it")
            self._drop()

    def _alive(self, conn: Connection) -> bool:
        try:
            conn.execute(text("SELECT 1"))
            conn.commit()
            return True
        except Exception:
            return False

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.invalidate()  # never back to the pool: the session may hold the lock
                conn.close()
            except Exception:
                pass
