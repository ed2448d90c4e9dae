"""Reminders (core/reminders.py) as a scheduler job, and Snooze 30 min.

A nudge is an outbox effect only: no timeline entry (it is not an update) and no audit row
(it changes nothing). Its key names the quiet spell, so a second run records nothing more.
"""

from datetime import UTC, datetime, timedelta

from sqlalchemy import func
from sqlalchemy import select as core_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from core import reminders as rules
from core.insight_events import ReminderDue
from core.keys import format_key
from core.permissions import Action
from core.policies import effects_for
from core.validation import WorkspaceSettings
from services import changes
from services.actor import Actor
from services.records import audit, authorize, load_incident, record_effect
from services.storms import scheduler_actor
from store.db import Database
from store.insight_models import ReminderSnooze
from store.models import Incident, Outbox, TimelineEvent, Workspace
from store.types import pk

LIVE = tuple(rules.LIVE)


def send_due(db: Database, now: datetime) -> int:
    """Record every nudge due now; how many were new."""
    with db.read() as session:
        settings = {pk(w): WorkspaceSettings.from_json(w.settings)
                    for w in session.exec(select(Workspace))}
        live = session.exec(select(Incident).where(col(Incident.status).in_(LIVE))).all()
        if not live:
            return 0
        ids = [pk(i) for i in live]
        last = dict(session.connection().execute(
            core_select(col(TimelineEvent.incident_id), func.max(col(TimelineEvent.at)))
            .where(col(TimelineEvent.incident_id).in_(ids))
            .group_by(col(TimelineEvent.incident_id))).all())
        snoozes = {s.incident_id: s.until for s in session.exec(select(ReminderSnooze).where(
            col(ReminderSnooze.incident_id).in_(ids)))}
    recorded = 0
    for incident in live:
        ws = settings.get(incident.workspace_id, WorkspaceSettings())
        facts = rules.ReminderFacts(
            pk(incident), incident.severity, incident.status, incident.detected_at,
            _aware(last.get(pk(incident))) or incident.created_at, incident.commander_id,
            incident.mitigated_at, snoozes.get(pk(incident)))
        nudges = rules.due(facts, now, ws.quiet_minutes)
        if not nudges:
            continue
        try:
            recorded += _record(db, incident, nudges, ws)
        except IntegrityError:
            continue  # another replica recorded the same nudge at the same moment
    return recorded


def _record(db: Database, incident: Incident, nudges: list[rules.Nudge],
            ws: WorkspaceSettings) -> int:
    new = 0
    with db.transaction() as session:
        actor = scheduler_actor(incident.workspace_id)
        for nudge in nudges:
            event = changes.event(ReminderDue, actor, incident, reminder=nudge.kind, key=nudge.key,
                                  quiet_seconds=int(nudge.quiet.total_seconds()))
            for spec in effects_for(event, ws):
                key = f"{spec.kind}:{pk(incident)}:{spec.key}"  # as record_effect keys it
                if session.exec(select(Outbox.id).where(
                        Outbox.idempotency_key == key)).first() is None:
                    new += 1
                record_effect(session, spec, incident.workspace_id, pk(incident))
    return new


def _aware(value: datetime | str | None) -> datetime | None:
    # MAX() over a column comes back untyped on SQLite: naive text or datetime, in UTC.
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def snooze(db: Database, actor: Actor, key: str | int, now: datetime,
           minutes: int = int(rules.SNOOZE.total_seconds() // 60)) -> datetime:
    """Snooze 30 min: no stale-update nudge for the incident until then."""
    until = now + timedelta(minutes=minutes)
    with db.transaction() as session:
        incident = load_incident(session, actor.workspace_id, key, for_update=True)
        authorize(actor, Action.POST_UPDATE, incident)
        row = session.exec(select(ReminderSnooze).where(
            ReminderSnooze.incident_id == incident.id)).first()
        if row is None:
            session.add(ReminderSnooze(incident_id=pk(incident), until=until, by=actor.name))
        else:
            row.until, row.by = max(row.until, until), actor.name
        audit(session, actor, "reminder.snoozed", incident, minutes=minutes,
              key=format_key(incident.number))
        return until
