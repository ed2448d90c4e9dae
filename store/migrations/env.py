"""Alembic environment: the URL comes from the caller (store.migrate) or DATABASE_URL."""

import os

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import store.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from store.db import make_engine, normalize_url

config = context.config
target_metadata = SQLModel.metadata


def _url() -> str:
    return normalize_url(config.get_main_option("sqlalchemy.url")
                         or os.environ.get("DATABASE_URL", "sqlite:///./vigilo.db"))


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True,
                      render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(_url())
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            # Batch mode rebuilds a table (copy, DROP, rename); with foreign keys enforced the
            # DROP of a referenced table fails once it holds rows, i.e. on every real upgrade.
            # The pragma only takes outside a transaction, hence on the raw connection,
            # before SQLAlchemy begins one; the engine is thrown away afterwards.
            raw = conn.connection.driver_connection
            assert raw is not None
            raw.execute("PRAGMA foreign_keys=OFF")
            _run(conn)
            broken = raw.execute("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"the migration left rows that break foreign keys: {broken}")
        else:
            _run(conn)
    engine.dispose()


def _run(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Batch mode rebuilds a SQLite table by copy, drop and rename: with foreign keys
        # enforced, dropping `workspace` fails as soon as any row refers to it. SQLite only
        # honours this pragma outside a transaction, hence on the driver's connection.
        _pragma(connection, "PRAGMA foreign_keys=OFF")
    try:
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=True, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
    finally:
        if sqlite:
            _pragma(connection, "PRAGMA foreign_keys=ON")


def _pragma(connection: Connection, statement: str) -> None:
    raw = connection.connection.dbapi_connection
    if raw is not None:
        raw.execute(statement)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
