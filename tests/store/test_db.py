"""The engine on PostgreSQL: reads without a transaction around them, and a connection that
rested in the pool pinged (and replaced when the database dropped it) before it is used."""

import pytest
from sqlalchemy import text

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
