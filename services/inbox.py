"""The Slack inbox's rows: stored before the ack, taken at least once, settled, quarantined.

Taking is a lease (`locked_until`) under FOR UPDATE SKIP LOCKED on PostgreSQL, as in the
outbox: replicas never take the same row at once, and a crashed replica's rows come back
when its lease ends. Work on a row must be idempotent; capture is (keys), declaring is
(the trigger id), and the rest answers the same person again at worst.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, text, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Connection
from sqlmodel import col, select

from store.db import Database
from store.inbox_models import DONE, PENDING, QUARANTINED, SlackInbox
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


def _of(row: SlackInbox) -> Delivery:
    return Delivery(row.id or 0, row.delivery_key, row.team_id, row.kind, row.body,
                    row.content_type, row.attempts, row.status, row.received_at,
                    row.last_error)


def record(db: Database, rows: list[dict[str, Any]], *,
           connection: Connection | None = None) -> dict[str, int]:
    """Store deliveries in one commit; returns key → id of those that were new (the rest
    are redeliveries of stored rows). Each row: delivery_key, team_id, kind, body,
    content_type, locked_until (None: anyone may take it now). A writer that commits all
    the time passes its own autocommit `connection` (PostgreSQL): the one statement is then
    its own transaction, one round trip instead of BEGIN, INSERT and COMMIT, and no pool
    checkout ping."""
    if not rows:
        return {}
    now = utcnow()
    if not db.sqlite:
        # One statement of arrays: a multi-row VALUES is compiled anew for every batch
        # size, which cost more than the database did.
        params = {name: [row[name] for row in rows] for name in _COLUMNS} | {"now": now}
        if connection is not None:
            return {key: ident for key, ident in connection.execute(_UNNEST, params)}
        with db.transaction() as session:
            return {key: ident for key, ident in session.execute(_UNNEST, params)}
    with db.transaction() as session:
        values = [{"status": PENDING, "attempts": 0, "received_at": now,
                   "next_attempt_at": now, **row} for row in rows]
        statement = (sqlite.insert(SlackInbox).values(values)
                     .on_conflict_do_nothing(index_elements=["delivery_key"])
                     .returning(col(SlackInbox.delivery_key), col(SlackInbox.id)))
        return {key: ident for key, ident in session.execute(statement)}


_COLUMNS = ("delivery_key", "team_id", "kind", "body", "content_type", "locked_until")
_UNNEST = text(
    "INSERT INTO slack_inbox (delivery_key, team_id, kind, body, content_type, locked_until,"
    " status, attempts, received_at, next_attempt_at) "
    "SELECT k, t, c, b, ct, l, 'pending', 0, :now, :now FROM unnest("
    "CAST(:delivery_key AS text[]), CAST(:team_id AS text[]), CAST(:kind AS text[]),"
    " CAST(:body AS text[]), CAST(:content_type AS text[]),"
    " CAST(:locked_until AS timestamptz[])) AS u(k, t, c, b, ct, l) "
    "ON CONFLICT (delivery_key) DO NOTHING RETURNING delivery_key, id")


def claim(db: Database, kind: str, *, limit: int, lease: float,
          now: datetime | None = None) -> list[Delivery]:
    """Take up to `limit` due rows of `kind`, oldest first, for `lease` seconds."""
    now = now or utcnow()
    query = (select(SlackInbox)
             .where(SlackInbox.status == PENDING, SlackInbox.kind == kind,
                    col(SlackInbox.next_attempt_at) <= now,
                    or_(col(SlackInbox.locked_until).is_(None),
                        col(SlackInbox.locked_until) < now))
             .order_by(col(SlackInbox.id)).limit(limit)
             .with_for_update(skip_locked=True))
    with db.transaction() as session:
        rows = list(session.exec(query))
        for row in rows:
            row.attempts += 1
            row.locked_until = now + timedelta(seconds=lease)
        return [_of(row) for row in rows]


def done(db: Database, ids: Iterable[int]) -> None:
    wanted = list(ids)
    if not wanted:
        return
    with db.transaction() as session:
        session.execute(update(SlackInbox).where(col(SlackInbox.id).in_(wanted))
                        .values(status=DONE, done_at=utcnow(), locked_until=None))


def failed(db: Database, delivery: Delivery, error: str, *, workspace_id: int | None = None,
           retry_in: float | None = None) -> str:
    """Try the row again later (backoff), or quarantine it once attempts run out; either way
    the rows behind it go on. Returns the row's new status."""
    with db.transaction() as session:
        row = session.get(SlackInbox, delivery.id)
        if row is None:
            return DONE
        row.last_error = error[:4000]
        row.locked_until = None
        if row.attempts >= MAX_ATTEMPTS and retry_in is None:
            row.status = QUARANTINED
            session.add(IntegrationLog(workspace_id=workspace_id, integration="slack",
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
    row = {"delivery_key": delivery_key, "team_id": team_id, "kind": kind, "body": body,
           "content_type": "", "locked_until": None}
    created = record(db, [row])
    if created:
        with db.transaction() as session:
            session.execute(update(SlackInbox).where(col(SlackInbox.id).in_(created.values()))
                            .values(next_attempt_at=utcnow() + timedelta(seconds=after)))


def listing(db: Database, *, status: str | None = QUARANTINED,
            limit: int = 50) -> list[Delivery]:
    query = select(SlackInbox).order_by(col(SlackInbox.id).desc()).limit(limit)
    if status:
        query = query.where(SlackInbox.status == status)
    with db.read() as session:
        return [_of(row) for row in session.exec(query)]


def counts(db: Database) -> dict[str, int]:
    with db.read() as session:
        rows = session.exec(select(SlackInbox.status, func.count())
                            .group_by(col(SlackInbox.status)))
        return {status: int(n) for status, n in rows}


def retry(db: Database, inbox_id: int) -> Delivery | None:
    """An operator's retry: the row is due now with fresh attempts."""
    with db.transaction() as session:
        row = session.get(SlackInbox, inbox_id)
        if row is None:
            return None
        row.status, row.attempts, row.locked_until = PENDING, 0, None
        row.next_attempt_at = utcnow()
        return _of(row)
