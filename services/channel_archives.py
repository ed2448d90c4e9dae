"""Incident channels archived a while after resolve (workspace setting `archive_delay`).

The Slack integration plans an archive when it posts the heads-up (`plan`); the scheduler
job (`record_due`) turns each due plan into the archive effect, unless the incident was
reopened since: then the plan is cancelled, and a later resolve plans a new one. Time is a
parameter, so tests and the demo decide what "now" is.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import col, select

from core import effects as fx
from core.fsm import CLOSED_STATUSES
from core.policies.spec import EffectSpec
from services.records import record_effect
from store.archive_models import CANCELLED, RECORDED, SCHEDULED, ChannelArchive
from store.db import Database
from store.models import Incident
from store.types import utcnow


@dataclass(frozen=True)
class Plan:
    incident_id: int
    resolved_at: datetime
    due_at: datetime
    status: str


def plan(db: Database, incident_id: int, workspace_id: int, resolved_at: datetime,
         due_at: datetime) -> Plan:
    """Plan (or re-plan, after another resolve) the archive of the incident's channel."""
    with db.transaction() as session:
        row = session.exec(select(ChannelArchive).where(
            ChannelArchive.incident_id == incident_id).with_for_update()).first()
        if row is None:
            row = ChannelArchive(incident_id=incident_id, workspace_id=workspace_id,
                                 resolved_at=resolved_at, due_at=due_at)
        elif not _same(row.resolved_at, resolved_at):
            row.resolved_at, row.due_at, row.status = resolved_at, due_at, SCHEDULED
        row.updated_at = utcnow()
        session.add(row)
        return Plan(incident_id, row.resolved_at, row.due_at, row.status)


def planned(db: Database, incident_id: int) -> Plan | None:
    with db.read() as session:
        row = session.exec(select(ChannelArchive).where(
            ChannelArchive.incident_id == incident_id)).first()
        return Plan(incident_id, row.resolved_at, row.due_at, row.status) if row else None


def record_due(db: Database, now: datetime) -> int:
    """Record the archive of every channel whose delay is over; how many were recorded."""
    with db.read() as session:
        due = session.exec(select(ChannelArchive.id).where(
            ChannelArchive.status == SCHEDULED, col(ChannelArchive.due_at) <= now)
            .order_by(col(ChannelArchive.due_at))).all()
    return sum(_settle(db, int(plan_id or 0), now) for plan_id in due)


def _settle(db: Database, plan_id: int, now: datetime) -> int:
    with db.transaction() as session:
        row = session.get(ChannelArchive, plan_id, with_for_update=True)
        if row is None or row.status != SCHEDULED or row.due_at > now:
            return 0  # another run or replica settled it first
        incident = session.get(Incident, row.incident_id)
        row.updated_at = utcnow()
        reopened = (incident is None or incident.status not in CLOSED_STATUSES
                    or incident.resolved_at is None
                    or not _same(incident.resolved_at, row.resolved_at))
        row.status = CANCELLED if reopened else RECORDED
        session.add(row)
        if reopened or incident is None:
            return 0
        key = f"delayed-{int(row.resolved_at.timestamp())}"
        record_effect(session, EffectSpec(fx.SLACK_ARCHIVE, key), incident.workspace_id,
                      row.incident_id)
        return 1


def _same(a: datetime, b: datetime) -> bool:
    """The same resolve: its resolved_at, exact to the microsecond both databases keep (a
    reopen and a second resolve a moment later is another resolve, planned anew)."""
    return _aware(a) == _aware(b)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
