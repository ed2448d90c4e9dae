"""Rows INSERTed with the transaction's COMMIT, in the same round trip (PostgreSQL).

A change's audit row, its outbox effects and a new incident's responders are written and
never read back in their transaction. Sent one by one, each was a round trip of its own in
every change, and in a burst of declarations every round trip is a wait for the interpreter
lock as well as for the network. Here they wait in the session and go out as one simple
query with the COMMIT (`store.db`): bound on the client, each table's rows as one INSERT
from `jsonb_populate_recordset`. On SQLite (one writer, no network) they are written at once.
"""

import json
from collections.abc import Mapping
from datetime import date, datetime
from enum import Enum
from functools import cache
from typing import Any

from psycopg.types.json import Jsonb
from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.expression import Executable
from sqlmodel import Session

# In a session's `info`: whether its commit sends what waits (Database.transaction, on
# PostgreSQL), and what waits: (table, its columns, the unique columns, the row).
CAN_DEFER = "vigilo_can_defer"
DEFERRED = "vigilo_deferred_rows"

Waiting = tuple[str, tuple[str, ...], tuple[str, ...], Mapping[str, Any]]


def insert_later(session: Session, table: Table, row: Mapping[str, Any],
                 unique: tuple[str, ...] = ()) -> None:
    """INSERT `row` (every column but the id) into `table` when the transaction commits;
    with `unique`, a row whose `unique` columns are taken is left out (ON CONFLICT DO
    NOTHING). Nothing in the transaction can read it before then."""
    if not session.info.get(CAN_DEFER):
        connection = session.connection()
        connection.execute(_insert_now(table, connection.dialect.name, unique), dict(row))
        return
    session.info.setdefault(DEFERRED, []).append((table.name, tuple(row), unique, row))


def waiting(session: Session) -> bool:
    return bool(session.info.get(DEFERRED))


def take(session: Session) -> tuple[str, dict[str, Any], int]:
    """What waits, as statements to send before COMMIT (psycopg placeholders), their
    parameters, and how many statements that is; nothing waits after."""
    found: list[Waiting] = session.info.pop(DEFERRED, [])
    groups: dict[tuple[str, tuple[str, ...], tuple[str, ...]], list[Mapping[str, Any]]] = {}
    for name, columns, unique, row in found:
        groups.setdefault((name, columns, unique), []).append(row)
    statements, params = [], {}
    for n, ((name, columns, unique), rows) in enumerate(groups.items()):
        listed = ", ".join(f'"{column}"' for column in columns)
        statements.append(
            f'INSERT INTO "{name}" ({listed}) SELECT {listed} FROM '
            f'jsonb_populate_recordset(NULL::"{name}", %(rows_{n})s)'
            + (f" ON CONFLICT ({', '.join(unique)}) DO NOTHING" if unique else ""))
        params[f"rows_{n}"] = as_jsonb([dict(row) for row in rows])
    return "".join(f"{statement};\n" for statement in statements), params, len(statements)


def as_jsonb(value: Any) -> Jsonb:
    """Column values (datetimes, enums, nested JSON) as one jsonb parameter, for
    `jsonb_populate_record(set)` to turn into a row of the table's own types."""
    return Jsonb(value, dumps=_dumps)


def _dumps(value: Any) -> str:
    return json.dumps(value, default=_plain)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"{type(value).__name__} is not a column value")


@cache
def _insert_now(table: Table, dialect: str, unique: tuple[str, ...]) -> Executable:
    flavour = postgresql if dialect == "postgresql" else sqlite  # the two Vigilo runs on
    statement = flavour.insert(table)
    return statement.on_conflict_do_nothing(index_elements=list(unique)) if unique else statement
