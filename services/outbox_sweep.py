"""The outbox sweep, a scheduler job: what keeps the outbox and the integration log healthy
and small over months of use. Every step is a set-based UPDATE or DELETE with the time as a
parameter, so running it twice, or on two replicas at once, changes nothing more.

1. Expired leases are released: a pending row whose worker died keeps `locked_until` in
   the past; claiming already ignores such a lease, and clearing it shows the row as
   waiting, not in flight, to `vigilo outbox` and /metrics.
2. Nothing waits longer than any wait we ever choose: a pending row scheduled further out
   than MAX_WAIT (the backoff cap and any Retry-After we honour are far less; only a clock
   that jumped, or a remote's absurd Retry-After, puts it there) is made due now.
3. Retention: integration-log entries older than the retention go, then delivered or
   skipped effects older than it whose incident is closed (resolved, post-mortem) or that
   belong to no incident, and that no remaining log entry names. Dead effects stay until
   an operator retries or drops them, whatever their age: they are what needs a person. An
   open incident's effects stay, since their idempotency keys are what keep a repeated
   effect from being delivered twice.
4. The inbox keeps what was taken for the same retention, counted from when it was done:
   long enough for every redelivery a sender makes (Slack and PagerDuty give up within
   hours) to find its row. Quarantined rows stay until an operator retries them.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, or_, select, update
from sqlmodel import col

from core.fsm import CLOSED_STATUSES
from store.db import Database
from store.inbox_models import DONE, InboxRow
from store.models import Incident, IntegrationLog, Outbox

DEFAULT_RETENTION = timedelta(days=30)
MAX_WAIT = timedelta(hours=6)
BATCH = 5000  # rows deleted per statement: short transactions, however much is due
SETTLED = ("done", "skipped")


@dataclass(frozen=True)
class SweepResult:
    leases_released: int
    made_due: int
    log_pruned: int
    outbox_pruned: int
    inbox_pruned: int = 0


def sweep(db: Database, now: datetime, *, retention: timedelta = DEFAULT_RETENTION
          ) -> SweepResult:
    with db.transaction() as session:
        released = session.execute(
            update(Outbox).where(col(Outbox.status) == "pending",
                                 col(Outbox.locked_until).is_not(None),
                                 col(Outbox.locked_until) < now)
            .values(locked_until=None)).rowcount  # type: ignore[attr-defined]
        due = session.execute(
            update(Outbox).where(col(Outbox.status) == "pending",
                                 col(Outbox.next_attempt_at) > now + MAX_WAIT)
            .values(next_attempt_at=now, backing_off=False)).rowcount  # type: ignore[attr-defined]
    cutoff = now - retention
    logs = _prune(db, select(col(IntegrationLog.id)).where(col(IntegrationLog.at) < cutoff),
                  IntegrationLog)
    closed = select(col(Incident.id)).where(
        col(Incident.status).in_([s.value for s in CLOSED_STATUSES]))
    logged = exists().where(col(IntegrationLog.outbox_id) == col(Outbox.id))
    outbox = _prune(db, select(col(Outbox.id)).where(
        col(Outbox.status).in_(SETTLED), col(Outbox.created_at) < cutoff,
        or_(col(Outbox.delivered_at).is_(None), col(Outbox.delivered_at) < cutoff),
        or_(col(Outbox.incident_id).is_(None), col(Outbox.incident_id).in_(closed)),
        ~logged), Outbox)
    inbox = _prune(db, select(col(InboxRow.id)).where(
        col(InboxRow.status) == DONE, col(InboxRow.done_at) < cutoff), InboxRow)
    return SweepResult(int(released or 0), int(due or 0), logs, outbox, inbox)


def _prune(db: Database, ids: object,
           table: type[Outbox] | type[IntegrationLog] | type[InboxRow]) -> int:
    total = 0
    while True:
        with db.transaction() as session:
            batch = [int(r[0]) for r in session.execute(ids.limit(BATCH))]  # type: ignore[attr-defined]
            if batch:
                session.execute(delete(table).where(col(table.id).in_(batch)))
        total += len(batch)
        if len(batch) < BATCH:
            return total
