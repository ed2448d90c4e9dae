"""The timeline editor's backend: append, edit (keeping the old text), soft-delete."""

from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from core.effects import Label
from core.errors import InvalidInput, NotFound
from core.permissions import Action
from core.validation import clean_text
from services.actor import Actor
from services.records import add_event, audit, authorize, is_unique_violation, load_incident
from store.db import Database
from store.models import Incident, TimelineEvent
from store.types import utcnow


def append_entry(db: Database, actor: Actor, key: str | int, text: str, *,
                 source: str | None = None, label: str = Label.NOTE,
                 at: datetime | None = None, payload: dict[str, Any] | None = None,
                 dedupe_key: str | None = None) -> TimelineEvent | None:
    """Add a manual entry. A repeated `dedupe_key` adds nothing and returns None."""
    body = clean_text(text, what="timeline entry", field_name="text")
    try:
        with db.transaction() as session:
            incident = load_incident(session, actor.workspace_id, key)
            authorize(actor, Action.POST_UPDATE, incident)
            if dedupe_key and _seen(session, incident, dedupe_key):
                return None
            return add_event(session, incident, actor, label, body, source=source,
                             payload=payload, at=at, dedupe_key=dedupe_key, editable=True)
    except IntegrityError as error:
        if dedupe_key and is_unique_violation(error):
            return None  # a concurrent redelivery won the race
        raise


def _seen(session: Any, incident: Incident, dedupe_key: str) -> bool:
    return session.exec(select(TimelineEvent.id).where(
        TimelineEvent.incident_id == incident.id,
        TimelineEvent.dedupe_key == dedupe_key)).first() is not None


def edit_entry(db: Database, actor: Actor, key: str | int, event_id: int,
               text: str) -> TimelineEvent:
    body = clean_text(text, what="timeline entry", field_name="text")
    with db.transaction() as session:
        incident = load_incident(session, actor.workspace_id, key)
        authorize(actor, Action.EDIT_TIMELINE, incident)
        event = _editable(session, incident, event_id)
        history = list(event.payload.get("previous_texts", []))
        history.append({"text": event.text, "until": utcnow().isoformat()})
        event.payload = {**event.payload, "previous_texts": history}
        event.text = body
        event.edited_at = utcnow()
        audit(session, actor, "timeline.edited", incident, event_id=event_id,
              old=history[-1]["text"], new=body)
        return event


def delete_entry(db: Database, actor: Actor, key: str | int, event_id: int) -> TimelineEvent:
    with db.transaction() as session:
        incident = load_incident(session, actor.workspace_id, key)
        authorize(actor, Action.EDIT_TIMELINE, incident)
        event = _editable(session, incident, event_id)
        event.deleted_at = utcnow()
        audit(session, actor, "timeline.deleted", incident, event_id=event_id, text=event.text)
        return event


def _editable(session: Any, incident: Incident, event_id: int) -> TimelineEvent:
    event = session.get(TimelineEvent, event_id)
    if event is None or event.incident_id != incident.id or event.deleted_at is not None:
        raise NotFound(f"No timeline entry {event_id} on this incident.", field="event")
    if not event.editable:
        raise InvalidInput("Only manual entries and Slack messages can be edited; "
                           "recorded changes are the audit trail.", field="event")
    return event
