"""Engine and transactions. SQLite is tuned so concurrent writers queue instead of failing."""

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import psycopg
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.pool import StaticPool
from sqlmodel import Session

from store.deferred import CAN_DEFER, take, waiting

READ_ONLY = "vigilo_read_only"
# Set in a session's `info` by whatever adds outbox rows; after that transaction commits,
# `Database.on_effects` hooks run (the outbox worker looks at once instead of at its next
# poll, whichever surface made the change).
EFFECTS_RECORDED = "vigilo_effects_recorded"
IDLE_BEFORE_PING = 5.0  # seconds a pooled connection may rest and still be trusted unpinged
_CHECKED_IN = "vigilo_checked_in"


def commit_returning(session: Session, sql: str, params: Mapping[str, Any]) -> tuple[Any, ...]:
    """PostgreSQL: run `sql` (psycopg's `%(name)s` placeholders) as the transaction's last
    statement and COMMIT in the same round trip; its first row.

    For a statement that takes a hot row lock: the lock is held from the statement to the
    commit, and between two round trips this thread had to win the interpreter lock back
    before it could send COMMIT (in a burst, most of the time the lock was held). The
    session must have nothing left to flush; its own commit then finds the transaction
    ended and sends nothing (psycopg skips COMMIT on an idle connection). Rows waiting for
    the commit (store.deferred) go first, before the lock is taken.
    """
    row = _commit(session, sql, params)
    if row is None:
        raise LookupError("the statement committed with it returned no row")
    return row


def commit_waiting(session: Session) -> None:
    """Send the rows waiting for the commit (store.deferred) and COMMIT, in one round trip."""
    if waiting(session):
        session.flush()  # the ORM's rows first: the waiting ones may refer to them
        _commit(session, None, {})


def _commit(session: Session, sql: str | None, params: Mapping[str, Any]
            ) -> tuple[Any, ...] | None:
    raw = session.connection().connection.driver_connection
    assert isinstance(raw, psycopg.Connection), "one-round-trip commits are for PostgreSQL"
    before, bound, count = take(session)
    query = before + (f"{sql};\n" if sql else "") + "COMMIT"
    bound.update(params)
    # Bound on the client: the server's extended protocol takes one statement per message.
    try:
        with psycopg.ClientCursor(raw) as cursor:
            cursor.execute(query, bound)
            if sql is None:
                return None
            for _ in range(count):
                cursor.nextset()
            row = cursor.fetchone()
    except psycopg.Error as error:  # as SQLAlchemy would have raised it
        raise DBAPIError.instance(query, bound, error, psycopg.Error) from error
    return None if row is None else tuple(row)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def normalize_url(url: str) -> str:
    """Platforms hand out `postgres://` URLs; we speak psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def make_engine(url: str, *, pool_size: int = 20, echo: bool = False) -> Engine:
    url = normalize_url(url)
    if not is_sqlite(url):
        # Threads beyond the pool reconnect on every transaction; 20 covers Bolt's listener
        # threads, the web threadpool and the outbox worker of one replica.
        # Last in, first out: the connection handed back last is the one handed out next,
        # so a quiet replica (one person declaring at 3 a.m.) reuses a warm connection
        # instead of the one that rested longest, which is pinged first (two round trips).
        engine = create_engine(url, pool_size=pool_size, max_overflow=pool_size,
                               pool_recycle=1800, pool_use_lifo=True, echo=echo)
        _ping_when_idle(engine)
        return engine
    kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False, "timeout": 30}}
    if url in ("sqlite://", "sqlite:///:memory:"):
        kwargs["poolclass"] = StaticPool
    engine = create_engine(url, echo=echo, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take over transaction control so BEGIN IMMEDIATE takes the write lock up front:
        # two deferred transactions that both upgrade to writers would deadlock instead.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if url not in ("sqlite://", "sqlite:///:memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Readers (WAL) need no write lock; only writers queue on it.
        read_only = conn.get_execution_options().get(READ_ONLY, False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def _ping_when_idle(engine: Engine) -> None:
    """A connection that rested in the pool for a while is pinged before use (the database
    may have restarted, or a proxy dropped it); one handed back a moment ago is not. Pinging
    every checkout (pool_pre_ping) was a round trip per transaction: under a burst, a fifth
    of the delivery threads' time went to it (py-spy)."""

    @event.listens_for(engine, "checkin")
    def _rested_since(_dbapi_conn: Any, record: Any) -> None:
        record.info[_CHECKED_IN] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        rested = record.info.get(_CHECKED_IN)
        if rested is None or time.monotonic() - rested < IDLE_BEFORE_PING:
            return  # just made, or handed back a moment ago
        try:
            dbapi_conn.execute("SELECT 1")
            if not dbapi_conn.autocommit:
                dbapi_conn.rollback()  # the ping opened a transaction: hand it over clean
        except Exception as error:
            # The pool throws this one away and checks out another (SQLAlchemy's own way).
            raise DisconnectionError(f"stale connection: {error}") from error


class Database:
    """One engine, and the one way services open a transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.url = str(engine.url)
        self.sqlite = engine.dialect.name == "sqlite"
        self._on_effects: list[Callable[[], None]] = []
        self._reader = engine.execution_options(
            **({READ_ONLY: True} if self.sqlite else {"isolation_level": "AUTOCOMMIT"}))

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> "Database":
        return cls(make_engine(url, **kwargs))

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """Commit on success, roll back on any error. Objects stay readable after commit."""
        with Session(self.engine, expire_on_commit=False) as session:
            session.info[CAN_DEFER] = not self.sqlite
            with session.begin():
                yield session
                commit_waiting(session)  # nothing waits on SQLite: written at once
            if session.info.pop(EFFECTS_RECORDED, False):
                for hook in list(self._on_effects):
                    hook()

    def on_effects(self, hook: Callable[[], None]) -> Callable[[], None]:
        """Call `hook` after each commit that recorded outbox effects; returns the undo."""
        self._on_effects.append(hook)

        def remove() -> None:
            if hook in self._on_effects:
                self._on_effects.remove(hook)

        return remove

    @contextmanager
    def read(self) -> Iterator[Session]:
        # PostgreSQL: autocommit, each SELECT its own snapshot, as READ COMMITTED gives
        # every statement anyway, without a BEGIN and a ROLLBACK round trip around them.
        # SQLite: a read transaction (BEGIN, not BEGIN IMMEDIATE: no write lock).
        # close() (not rollback()) ends it without expiring what was loaded.
        with Session(self._reader, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def statements(self) -> Iterator[Connection]:
        """A connection with no transaction around its statements: each is its own (one
        round trip, where BEGIN and COMMIT would be two more). For a statement that is a
        whole change by itself. On SQLite, one transaction around them all."""
        if self.sqlite:  # one writer at a time: the statement takes the write lock as a
            with self.transaction() as session:  # transaction of its own would
                yield session.connection()
            return
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            yield conn

    def ping(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    def dispose(self) -> None:
        self.engine.dispose()
