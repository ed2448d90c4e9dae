"""The inbox's rows, for every source: stored before the 2xx, taken at least once, settled,
quarantined.

Taking is a lease (`locked_until`) under FOR UPDATE SKIP LOCKED on PostgreSQL, as in the
outbox: replicas never take the same row at once, and a crashed replica's rows come back
when its lease ends. Work on a row must be idempotent; capture is (keys), declaring is
(the trigger id), and the rest answers the same person again at worst.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

import psycopg
from sqlalchemy import Executable, bindparam, func, or_, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import aliased
from sqlmodel import col, select

from store.db import Database
from store.inbox_models import DONE, PENDING, QUARANTINED, SLACK, InboxRow
from store.inbox_models import WEBHOOK as WEBHOOK  # for takers outside services (integrations)
from store.models import IntegrationLog
from store.types import utcnow

MAX_ATTEMPTS = 5  # then the row is quarantined, with its error, for an operator
BACKOFF_CAP = 600.0


@dataclass(frozen=True)
class Delivery:
    id: int
    delivery_key: str
    team_id: str
    kind: str
    body: str
    content_type: str
    attempts: int
    status: str = PENDING
    received_at: datetime | None = None
    last_error: str | None = None
    source: str = SLACK
    subject: str | None = None
    outcome: str | None = None


def of(row: InboxRow) -> Delivery:
    return Delivery(row.id or 0, row.delivery_key, row.team_id, row.kind, row.body,
                    row.content_type, row.attempts, row.status, row.received_at,
                    row.last_error, row.source, row.subject, row.outcome)


def record(db: Database, rows: list[dict[str, Any]], *,
           connection: Connection | None = None) -> dict[str, int]:
    """Store deliveries in one commit; returns key → id of those that were new (the rest
    are redeliveries of stored rows). Each row: the `COLUMNS` (locked_until None: anyone
    may take it now; source defaults to Slack, subject, event_type, occurred_at to None).
    A writer that commits all
    the time passes its own autocommit `connection` (PostgreSQL): the one statement is then
    its own transaction, one round trip instead of BEGIN, INSERT and COMMIT, and no pool
    checkout ping."""
    if not rows:
        return {}
    now = utcnow()
    rows = _filled(rows)
    if not db.sqlite:
        params = _arrays(rows, now)
        if connection is not None:
            return _unnest(connection, params)
        with db.transaction() as session:
            return _unnest(session.connection(), params)
    with db.transaction() as session:
        values = [{"status": PENDING, "attempts": 0, "received_at": now,
                   "next_attempt_at": now, **row} for row in rows]
        statement = (sqlite.insert(InboxRow).values(values)
                     .on_conflict_do_nothing(index_elements=["delivery_key"])
                     .returning(col(InboxRow.delivery_key), col(InboxRow.id)))
        return {key: ident for key, ident in session.execute(statement)}


async def record_on(connection: psycopg.AsyncConnection[Any],
                    rows: list[dict[str, Any]]) -> dict[str, int]:
    """`record` on PostgreSQL from the event loop, on an autocommit connection of its own:
    the statement is its own transaction, and no thread hands the result back."""
    if not rows:
        return {}
    cursor = await connection.execute(_UNNEST, _arrays(_filled(rows), utcnow()))
    return {str(key): int(ident) for key, ident in await cursor.fetchall()}


def _filled(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"source": SLACK, "subject": None, "event_type": None, "occurred_at": None,
             **row} for row in rows]


def _arrays(rows: list[dict[str, Any]], now: datetime) -> dict[str, Any]:
    # One statement of arrays: a multi-row VALUES is compiled anew for every batch size,
    # which cost more than the database did. Sent in binary: text arrays escape every
    # body's quotes with a regular expression first.
    return {name: [row[name] for row in rows] for name in COLUMNS} | {"now": now}


def _unnest(connection: Connection, params: dict[str, Any]) -> dict[str, int]:
    # psycopg itself, for its binary placeholders; in the caller's transaction.
    driver = connection.connection.driver_connection
    assert driver is not None
    return {str(key): int(ident) for key, ident in driver.execute(_UNNEST, params)}


COLUMNS = ("source", "delivery_key", "team_id", "kind", "body", "content_type", "locked_until",
           "subject", "event_type", "occurred_at")
_UNNEST = (  # psycopg's own placeholders: %(name)b sends the parameter in binary
    "INSERT INTO inbox (source, delivery_key, team_id, kind, body, content_type, locked_until,"
    " subject, event_type, occurred_at, status, attempts, received_at, next_attempt_at) "
    "SELECT s, k, t, c, b, ct, l, sj, et, oa, 'pending', 0, %(now)b, %(now)b FROM unnest("
    "%(source)b::text[], %(delivery_key)b::text[], %(team_id)b::text[], %(kind)b::text[],"
    " %(body)b::text[], %(content_type)b::text[], %(locked_until)b::timestamptz[],"
    " %(subject)b::text[], %(event_type)b::text[], %(occurred_at)b::timestamptz[])"
    " AS u(s, k, t, c, b, ct, l, sj, et, oa) "
    "ON CONFLICT (delivery_key) DO NOTHING RETURNING delivery_key, id")


def claim(db: Database, kind: str, *, limit: int, lease: float,
          now: datetime | None = None) -> list[Delivery]:
    """Take up to `limit` due rows of `kind`, oldest first, for `lease` seconds."""
    now = now or utcnow()
    query = (select(InboxRow)
             .where(InboxRow.status == PENDING, InboxRow.kind == kind,
                    col(InboxRow.next_attempt_at) <= now,
                    or_(col(InboxRow.locked_until).is_(None),
                        col(InboxRow.locked_until) < now))
             .order_by(col(InboxRow.id)).limit(limit)
             .with_for_update(skip_locked=True))
    with db.transaction() as session:
        rows = list(session.exec(query))
        for row in rows:
            row.attempts += 1
            row.locked_until = now + timedelta(seconds=lease)
        return [of(row) for row in rows]


def claim_in_order(db: Database, source: str, kind: str, *, limit: int, lease: float,
                   now: datetime | None = None) -> list[Delivery]:
    """Like `claim`, but never a row whose subject has an earlier row still pending: rows of
    one subject (one PagerDuty incident) are taken together by one taker and worked in
    arrival order, while other subjects' rows go to other takers, on any replica."""
    now = now or utcnow()
    earlier = aliased(InboxRow)
    blocked = (select(earlier.id).where(
        earlier.source == InboxRow.source, earlier.subject == InboxRow.subject,
        earlier.status == PENDING, col(earlier.id) < col(InboxRow.id),
        # taken by someone else and still theirs, or waiting for its retry
        or_(col(earlier.locked_until) >= now, col(earlier.next_attempt_at) > now)))
    query = (select(InboxRow)
             .where(InboxRow.source == source, InboxRow.status == PENDING,
                    InboxRow.kind == kind, col(InboxRow.next_attempt_at) <= now,
                    or_(col(InboxRow.locked_until).is_(None),
                        col(InboxRow.locked_until) < now),
                    or_(col(InboxRow.subject).is_(None), ~blocked.exists()))
             .order_by(col(InboxRow.id)).limit(limit)
             .with_for_update(skip_locked=True))
    with db.transaction() as session:
        rows = list(session.exec(query))
        for row in rows:
            row.attempts += 1
            row.locked_until = now + timedelta(seconds=lease)
        return [of(row) for row in rows]


def settle(db: Database, outcomes: dict[int, str]) -> None:
    """Rows worked, each with what came of it (the webhook's outcome)."""
    if not outcomes:
        return
    now = utcnow()
    with db.transaction() as session:
        for ident, outcome in outcomes.items():
            session.execute(update(InboxRow).where(col(InboxRow.id) == ident)
                            .values(status=DONE, done_at=now, locked_until=None,
                                    outcome=outcome[:2000]))


def done(db: Database, ids: Iterable[int], *, connection: Connection | None = None) -> None:
    """Settle rows; with the writer's autocommit `connection` (as for `record`), one round
    trip."""
    wanted = list(ids)
    if not wanted:
        return
    params = {"ids": wanted, "now": utcnow()}
    if connection is not None:
        connection.execute(_done_query(), params)
        return
    with db.transaction() as session:
        session.execute(_done_query(), params)


@cache
def _done_query() -> Executable:
    # Built once: the writer settles a batch after every burst of work.
    return (update(InboxRow).where(col(InboxRow.id).in_(bindparam("ids", expanding=True)))
            .values(status=DONE, done_at=bindparam("now"), locked_until=None))


def failed(db: Database, delivery: Delivery, error: str, *, workspace_id: int | None = None,
           retry_in: float | None = None) -> str:
    """Try the row again later (backoff), or quarantine it once attempts run out; either way
    the rows behind it go on. Returns the row's new status."""
    with db.transaction() as session:
        row = session.get(InboxRow, delivery.id)
        if row is None:
            return DONE
        row.last_error = error[:4000]
        row.locked_until = None
        if row.attempts >= MAX_ATTEMPTS and retry_in is None:
            row.status = QUARANTINED
            session.add(IntegrationLog(workspace_id=workspace_id, integration=row.source,
                                       direction="in", kind=f"inbox.{row.kind}", ok=False,
                                       detail=f"inbox #{row.id} quarantined after "
                                              f"{row.attempts} attempts: {error[:500]}"))
        else:
            delay = retry_in if retry_in is not None else min(BACKOFF_CAP, 2.0 ** row.attempts)
            row.next_attempt_at = utcnow() + timedelta(seconds=delay)
        return row.status


def schedule(db: Database, delivery_key: str, team_id: str, kind: str, body: str, *,
             after: float) -> None:
    """A follow-up row of our own (e.g. name an author later), once per key."""
    row = {"source": SLACK, "delivery_key": delivery_key, "team_id": team_id, "kind": kind,
           "body": body, "content_type": "", "locked_until": None, "subject": None,
           "event_type": None, "occurred_at": None}
    created = record(db, [row])
    if created:
        with db.transaction() as session:
            session.execute(update(InboxRow).where(col(InboxRow.id).in_(created.values()))
                            .values(next_attempt_at=utcnow() + timedelta(seconds=after)))


def listing(db: Database, *, status: str | None = QUARANTINED, source: str | None = None,
            limit: int = 50) -> list[Delivery]:
    query = select(InboxRow).order_by(col(InboxRow.id).desc()).limit(limit)
    if status:
        query = query.where(InboxRow.status == status)
    if source:
        query = query.where(InboxRow.source == source)
    with db.read() as session:
        return [of(row) for row in session.exec(query)]


def counts(db: Database) -> dict[str, dict[str, int]]:
    """source → status → rows."""
    found: dict[str, dict[str, int]] = {}
    with db.read() as session:
        rows = session.exec(select(InboxRow.source, InboxRow.status, func.count())
                            .group_by(col(InboxRow.source), col(InboxRow.status)))
        for source, status, n in rows:
            found.setdefault(source, {})[status] = int(n)
    return found


def retry(db: Database, inbox_id: int) -> Delivery | None:
    """An operator's retry: the row is due now with fresh attempts."""
    with db.transaction() as session:
        row = session.get(InboxRow, inbox_id)
        if row is None:
            return None
        row.status, row.attempts, row.locked_until = PENDING, 0, None
        row.next_attempt_at = utcnow()
        return of(row)
