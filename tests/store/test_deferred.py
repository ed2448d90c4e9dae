"""Rows written with the COMMIT: on PostgreSQL nothing is sent for them before it, they
land with the values given, a taken unique key is left out, and a refusal keeps nothing;
on SQLite they are written at once."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event, func, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel, select

from services import workspaces
from services.records import table_of, values_of
from store import db as store_db
from store.db import Database
from store.deferred import insert_later, waiting
from store.models import AuditLog, Outbox

AT = datetime(2026, 12, 2, 3, 12, 45, 123456, tzinfo=UTC)
DETAIL = {"title": "Checkout's down — 100% of \"requests\"", "nested": {"n": [1, None, True]}}


@pytest.fixture
def ws_id(db: Database) -> int:
    return workspaces.create_workspace(db, "acme", "Acme").id or 0


def audit_row(ws_id: int, action: str = "incident.declared") -> dict[str, Any]:
    return values_of(AuditLog, workspace_id=ws_id, actor="Ada", action=action, detail=DETAIL,
                     at=AT)


def effect_row(ws_id: int, key: str) -> dict[str, Any]:
    return values_of(Outbox, workspace_id=ws_id, kind="slack.announce", lane="slack:1",
                     payload={"event": "declared", "words": "it's 50% down"},
                     idempotency_key=key)


def keys(db: Database) -> list[str]:
    with db.read() as session:
        return sorted(session.exec(select(Outbox.idempotency_key)).all())


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    sent: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        yield sent
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)


def test_waiting_rows_are_sent_with_the_commit_and_land_as_given(db: Database,
                                                                  ws_id: int) -> None:
    with statements(db) as sent, db.transaction() as session:
        insert_later(session, table_of(AuditLog), audit_row(ws_id))
        insert_later(session, table_of(Outbox), effect_row(ws_id, "k1"), ("idempotency_key",))
        insert_later(session, table_of(Outbox), effect_row(ws_id, "k2"), ("idempotency_key",))
        inserts = [statement for statement in sent if statement.startswith("INSERT")]
        if db.sqlite:  # one writer, no network: written at once
            assert not waiting(session) and len(inserts) == 3
        else:
            assert waiting(session) and sent == []
    with db.read() as session:
        row = session.exec(select(AuditLog)).one()
        effects = session.exec(select(Outbox).order_by(Outbox.id)).all()  # type: ignore[arg-type]
    assert (row.actor, row.action, row.detail) == ("Ada", "incident.declared", DETAIL)
    assert row.at.replace(tzinfo=row.at.tzinfo or UTC) == AT
    assert [e.idempotency_key for e in effects] == ["k1", "k2"]  # in the order given
    assert effects[0].payload == {"event": "declared", "words": "it's 50% down"}
    assert (effects[0].status, effects[0].attempts) == ("pending", 0)  # the model's defaults


def test_a_taken_unique_key_is_left_out_and_the_rest_land(db: Database, ws_id: int) -> None:
    with db.transaction() as session:
        insert_later(session, table_of(Outbox), effect_row(ws_id, "taken"), ("idempotency_key",))
    with db.transaction() as session:
        for key in ("taken", "new", "new"):
            insert_later(session, table_of(Outbox), effect_row(ws_id, key), ("idempotency_key",))
    assert keys(db) == ["new", "taken"]


def test_a_transaction_that_fails_writes_none_of_its_waiting_rows(db: Database,
                                                                  ws_id: int) -> None:
    with pytest.raises(RuntimeError), db.transaction() as session:
        insert_later(session, table_of(Outbox), effect_row(ws_id, "lost"), ("idempotency_key",))
        raise RuntimeError("the use case failed after recording its effect")
    assert keys(db) == []


@pytest.fixture
def pg(pg_url: str) -> Iterator[tuple[Database, int]]:
    """PostgreSQL alone, with a workspace: (the database, its id)."""
    database = Database.from_url(pg_url)
    try:
        SQLModel.metadata.create_all(database.engine)
        yield database, workspaces.create_workspace(database, "acme", "Acme").id or 0
    finally:
        database.dispose()


def test_a_row_the_database_refuses_at_the_commit_keeps_nothing_of_the_transaction(
        pg: tuple[Database, int]) -> None:
    database, ws_id = pg
    with pytest.raises(IntegrityError), database.transaction() as session:
        session.execute(text("UPDATE workspace SET name = 'Renamed'"))
        insert_later(session, table_of(Outbox), effect_row(ws_id, "fine"), ("idempotency_key",))
        insert_later(session, table_of(AuditLog), audit_row(ws_id + 1000))  # no such one
    with database.read() as session:
        assert session.exec(select(func.count()).select_from(Outbox)).one() == 0
        name = session.execute(text("SELECT name FROM workspace")).scalar_one()
    assert name == "Acme"
    with database.transaction() as session:  # the connection went back to the pool clean
        insert_later(session, table_of(Outbox), effect_row(ws_id, "after"), ("idempotency_key",))
    assert keys(database) == ["after"]


def test_commit_returning_answers_its_own_statement_after_the_waiting_rows(
        pg: tuple[Database, int]) -> None:
    database, ws_id = pg
    with database.transaction() as session:
        insert_later(session, table_of(AuditLog), audit_row(ws_id))
        insert_later(session, table_of(Outbox), effect_row(ws_id, "k"), ("idempotency_key",))
        row = store_db.commit_returning(
            session, "UPDATE workspace SET name = %(name)s RETURNING name, 100",
            {"name": "50% Acme"})
    assert row == ("50% Acme", 100)
    assert keys(database) == ["k"]
