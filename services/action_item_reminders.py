"""Overdue action items (core/action_items.py) as a scheduler job: their owners are reminded
by direct message. Effects only, like every reminder: no timeline entry, no audit row."""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from core.action_items import days_overdue, reminder_due
from core.events import ActionItemOverdue
from core.keys import format_key
from core.policies import effects_for
from services import changes
from services.records import record_effect
from services.storms import scheduler_actor
from store.db import Database
from store.models import ActionItem, Incident, Member, Outbox, Workspace
from store.types import pk


def send_overdue(db: Database, now: datetime) -> int:
    """Record the reminders due today; how many were new."""
    today = now.date()
    with db.read() as session:
        rows = session.exec(select(ActionItem, Incident)
                            .join(Incident, col(Incident.id) == ActionItem.incident_id)
                            .where(col(ActionItem.done_at).is_(None),
                                   col(ActionItem.owner_id).is_not(None),
                                   col(ActionItem.due_on) < today)).all()
    new = 0
    for item, incident in rows:
        days = days_overdue(item.due_on, today)
        if not reminder_due(days):
            continue
        try:
            new += _record(db, item, incident, days)
        except IntegrityError:
            continue  # another replica recorded the same reminder at the same moment
    return new


def _record(db: Database, item: ActionItem, incident: Incident, days: int) -> int:
    new = 0
    with db.transaction() as session:
        actor = scheduler_actor(incident.workspace_id)
        event = changes.event(ActionItemOverdue, actor, incident, item_id=pk(item),
                              owner_id=item.owner_id or 0,
                              due_on=item.due_on.isoformat() if item.due_on else "",
                              days=days)
        for spec in effects_for(event, changes.settings_of(session, incident.workspace_id)):
            key = f"{spec.kind}:{pk(incident)}:{spec.key}"  # as record_effect keys it
            if session.exec(select(Outbox.id).where(
                    Outbox.idempotency_key == key)).first() is None:
                new += 1
            record_effect(session, spec, incident.workspace_id, pk(incident))
    return new


@dataclass(frozen=True)
class Reminder:
    """What the owner's reminder says, read when it is delivered."""

    item_id: int
    text: str
    key: str
    incident_title: str
    owner_slack_id: str | None
    due_on: date | None
    done: bool
    workspace_slug: str


def reminder(db: Database, item_id: int) -> Reminder | None:
    with db.read() as session:
        row = session.exec(select(ActionItem, Incident, Member, Workspace)
                           .join(Incident, col(Incident.id) == ActionItem.incident_id)
                           .join(Workspace, col(Workspace.id) == Incident.workspace_id)
                           .outerjoin(Member, col(Member.id) == ActionItem.owner_id)
                           .where(ActionItem.id == item_id)).first()
    if row is None:
        return None
    item, incident, owner, workspace = row
    return Reminder(pk(item), item.text, format_key(incident.number), incident.title,
                    owner.slack_user_id if owner else None, item.due_on,
                    item.done_at is not None, workspace.slug)
