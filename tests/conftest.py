"""Fixtures: every store test runs on SQLite and on PostgreSQL.

PostgreSQL comes from VIGILO_TEST_PG_URL (default: 127.0.0.1:5432, database `test`). Each
test gets its own schema, so tests never see each other's rows. Without a server the
Postgres half is skipped with the reason, unless VIGILO_REQUIRE_PG=1 (CI), where it fails.
"""

import gc
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import SQLModel

import store.models  # noqa: F401
from core.permissions import Role
from services import workspaces
from services.actor import Actor
from store.db import Database, make_engine

PG_URL = os.environ.get("VIGILO_TEST_PG_URL",
                        "postgresql+psycopg://postgres@127.0.0.1:5432/test")
_pg_state: dict[str, str | None] = {}


def pytest_collection_finish(session: pytest.Session) -> None:
    """What collection imported lives as long as the run: out of the collector's sight, as
    `vigilo serve` does (vigilo.server.settle_heap), so a full collection late in a worker's
    run scans what the tests made, not every library, and timing assertions see no stall
    of a second."""
    gc.collect()
    gc.freeze()


def pg_unavailable() -> str | None:
    """None when PostgreSQL answers, else why not (checked once per run)."""
    if "reason" not in _pg_state:
        try:
            engine = create_engine(PG_URL, connect_args={"connect_timeout": 3})
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            engine.dispose()
            _pg_state["reason"] = None
        except Exception as error:
            _pg_state["reason"] = f"PostgreSQL at {PG_URL} unreachable: {error}"
    return _pg_state["reason"]


def require_pg() -> None:
    reason = pg_unavailable()
    if reason is None:
        return
    if os.environ.get("VIGILO_REQUIRE_PG") == "1":
        pytest.fail(reason + " (VIGILO_REQUIRE_PG=1)")
    pytest.skip(reason)


def pg_schema_url(schema: str) -> str:
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3D{schema}"


class PgSchema:
    """A throwaway schema on the shared test database."""

    def __init__(self) -> None:
        self.name = "t_" + uuid.uuid4().hex[:12]
        self.admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{self.name}"'))
        self.url = pg_schema_url(self.name)

    def drop(self) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{self.name}" CASCADE'))
        self.admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'vigilo.db'}"


def _pg_schema_url() -> Iterator[str]:
    require_pg()
    schema = PgSchema()
    try:
        yield schema.url
    finally:
        schema.drop()


@pytest.fixture
def pg_url() -> Iterator[str]:
    yield from _pg_schema_url()


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'vigilo.db'}"
    else:
        yield from _pg_schema_url()


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(make_engine(db_url, pool_size=25))
    SQLModel.metadata.create_all(database.engine)
    try:
        yield database
    finally:
        database.dispose()


class World:
    """A workspace with one member of each role, for service tests."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.ws = workspaces.create_workspace(db, "acme", "Acme")
        self.ws_id = self.ws.id or 0
        self.members = {
            role: workspaces.add_member(db, self.ws_id, f"U{role.value.upper()}",
                                        role.value.title(), role)
            for role in Role
        }
        self.members_extra = [workspaces.add_member(db, self.ws_id, f"UENG{i}", f"Eng {i}")
                              for i in range(3)]

    def actor(self, role: Role = Role.ENGINEER) -> Actor:
        member = self.members[role]
        return Actor(self.ws_id, member.id, member.display_name, role, "slack")

    def actor_for(self, index: int) -> Actor:
        member = self.members_extra[index]
        return Actor(self.ws_id, member.id, member.display_name, Role.ENGINEER, "slack")


@pytest.fixture
def world(db: Database) -> World:
    return World(db)
