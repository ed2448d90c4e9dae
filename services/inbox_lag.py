"""Inbox lag, per source: how long the oldest inbound delivery that is not processed yet has
waited, read from the one store-first `inbox` table. A source with nothing waiting reads 0,
so an alert on the gauge never loses its series when the inbox drains."""

from datetime import UTC, datetime

from sqlalchemy import func
from sqlalchemy import select as core_select
from sqlalchemy.engine import Connection
from sqlmodel import col

from store.db import Database
from store.inbox_models import PENDING, SOURCES, InboxRow


def oldest_waiting(db: Database, now: datetime) -> dict[str, float]:
    with db.read() as session:
        return read(session.connection(), now)


def read(conn: Connection, now: datetime) -> dict[str, float]:
    """Seconds by source, inside a caller's read (the /metrics snapshot)."""
    lag = dict.fromkeys(sorted(SOURCES), 0.0)
    for source, first in conn.execute(
            core_select(col(InboxRow.source), func.min(col(InboxRow.received_at)))
            .where(col(InboxRow.status) == PENDING)
            .group_by(col(InboxRow.source))).all():
        if first is not None:
            lag[str(source)] = _age(now, first)
    return lag


def _age(now: datetime, value: datetime | str) -> float:
    # MIN() over a column comes back untyped on SQLite: naive text, in UTC.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return max(0.0, (now - value).total_seconds())
