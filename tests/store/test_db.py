"""The engine on PostgreSQL: reads without a transaction around them, and a connection that
rested in the pool pinged (and replaced when the database dropped it) before it is used."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError

from store import db as store_db
from store.db import Database


def backend_pid(database: Database) -> int:
    with database.read() as session:
        return int(session.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_reads_run_outside_a_transaction_and_writes_inside_one(pg_url: str) -> None:
    database = Database.from_url(pg_url)
    try:
        with database.read() as session:
            # now() is the transaction's start; outside one, each statement is its own.
            first = session.execute(text("SELECT statement_timestamp() = now()")).scalar_one()
            status = session.connection().connection.driver_connection.info.transaction_status
        assert first is True and status.name == "IDLE"
        with database.transaction() as session:
            session.execute(text("SELECT 1"))
            status = session.connection().connection.driver_connection.info.transaction_status
        assert status.name == "INTRANS"
    finally:
        database.dispose()


def test_a_dropped_connection_that_rested_is_replaced_not_handed_out(
        pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    database = Database.from_url(pg_url, pool_size=1)
    try:
        stale = backend_pid(database)
        admin = Database.from_url(pg_url)
        with admin.transaction() as session:  # as a restart or a proxy would
            session.execute(text("SELECT pg_terminate_backend(:p)"), {"p": stale})
        admin.dispose()
        monkeypatch.setattr(store_db, "IDLE_BEFORE_PING", 0.0)  # it has rested long enough
        fresh = backend_pid(database)  # no error: the ping found it dead
        assert fresh != stale
    finally:
        database.dispose()


def test_commit_returning_commits_with_its_statement_in_one_round_trip(pg_url: str) -> None:
    database = Database.from_url(pg_url)
    try:
        with database.transaction() as session:
            session.execute(text("CREATE TABLE counted (n int PRIMARY KEY, said text)"))
        with database.transaction() as session:
            session.execute(text("INSERT INTO counted VALUES (1, 'first')"))
            row = store_db.commit_returning(
                session, "INSERT INTO counted VALUES (%(n)s, %(said)s) RETURNING n, said",
                {"n": 2, "said": "it's 100% in"})
            status = session.connection().connection.driver_connection.info.transaction_status
            # Committed already: another connection sees both rows before the block ends.
            with database.read() as other:
                seen = other.execute(text("SELECT n FROM counted ORDER BY n")).scalars().all()
        assert row == (2, "it's 100% in") and status.name == "IDLE" and seen == [1, 2]

        with pytest.raises(IntegrityError), database.transaction() as session:
            session.execute(text("INSERT INTO counted VALUES (3, 'rolled back')"))
            store_db.commit_returning(  # a key already taken: nothing of it is kept
                session, "INSERT INTO counted VALUES (%(n)s, 'again') RETURNING n", {"n": 1})
        with database.read() as session:
            kept = session.execute(text("SELECT n FROM counted ORDER BY n")).scalars().all()
        assert kept == [1, 2]
    finally:
        database.dispose()


def test_the_connection_handed_back_last_is_handed_out_next(pg_url: str) -> None:
    database = Database.from_url(pg_url, pool_size=4)
    try:
        with database.read() as a, database.read() as b, database.read() as c:
            pids = [int(s.execute(text("SELECT pg_backend_pid()")).scalar_one())
                    for s in (a, b, c)]
        # a's connection went back last (the blocks close c, b, a): every quiet read after
        # it gets that one, warm, instead of going round the pool to connections that
        # rested (and need a ping first).
        assert len(set(pids)) == 3
        assert [backend_pid(database) for _ in range(4)] == [pids[0]] * 4
    finally:
        database.dispose()


def test_commit_returning_on_a_lost_connection_raises_what_sqlalchemy_would(
        pg_url: str) -> None:
    database, admin = Database.from_url(pg_url, pool_size=1), Database.from_url(pg_url)
    try:
        with pytest.raises(OperationalError, match="connection is lost"), \
                database.transaction() as session:
            pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
            with admin.transaction() as other:  # a restart, or a proxy dropping it
                other.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
            store_db.commit_returning(session, "SELECT 1", {})
        assert backend_pid(database) != pid  # the dead one is not handed out again
    finally:
        admin.dispose()
        database.dispose()
