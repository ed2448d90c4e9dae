"""The timeline editor's backend: append, edit (keeping the old text), soft-delete."""

from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from core.effects import Label
from core.errors import InvalidInput, NotFound
from core.events import IncidentFacts, NoteAdded, UpdatePosted
from core.keys import format_key, parse_key
from core.permissions import Action
from core.validation import WorkspaceSettings, clean_text
from services import changes
from services.actor import Actor
from services.records import (
    IncidentRef,
    audit,
    authorize,
    insert_event,
    is_unique_violation,
    load_incident_ref,
    new_event,
)
from store.db import Database
from store.models import Incident, TimelineEvent
from store.types import utcnow


def append_entry(db: Database, actor: Actor, key: str | int, text: str, *,
                 source: str | None = None, label: str = Label.NOTE,
                 at: datetime | None = None, payload: dict[str, Any] | None = None,
                 dedupe_key: str | None = None) -> TimelineEvent | None:
    """Add a manual entry. A repeated `dedupe_key` adds nothing and returns None."""
    body = clean_text(text, what="timeline entry", field_name="text")
    # A hot write: two statements, no ORM row loaded or flushed, and the unique
    # (incident_id, dedupe_key) constraint does the dedupe. A note's or an update's first
    # statement also brings what its effects need (PagerDuty mirrors notes when the
    # workspace asks; an update is announced in the incident channel).
    try:
        with db.transaction() as session:
            facts, settings = None, None
            if label in (Label.NOTE, Label.UPDATE):  # effects: found with the incident
                facts, settings = _note_facts(session, actor.workspace_id, key)
                incident = IncidentRef(facts.id, facts.commander_id)
            else:
                incident = load_incident_ref(session, actor.workspace_id, key)
            authorize(actor, Action.POST_UPDATE, incident)
            entry = insert_event(session, new_event(
                incident.id, actor, label, body, source=source, payload=payload, at=at,
                dedupe_key=dedupe_key, editable=True))
            if entry is not None and facts is not None:
                spoken(session, actor, facts, entry, settings)
            return entry
    except IntegrityError as error:
        if dedupe_key and is_unique_violation(error):
            return None  # a database without ON CONFLICT: the other delivery won
        raise


def spoken(session: Session, actor: Actor, facts: IncidentFacts, entry: TimelineEvent,
           settings: WorkspaceSettings | None = None) -> None:
    """The effects a note or a status update needs (a captured channel message stays off
    this path)."""
    event: NoteAdded | UpdatePosted
    if entry.label == Label.UPDATE:
        event = UpdatePosted(workspace_id=actor.workspace_id, source=actor.source,
                             actor=actor.name, incident=facts, event_id=entry.id,
                             words=entry.text)
    else:
        event = NoteAdded(workspace_id=actor.workspace_id, source=actor.source,
                          actor=actor.name, incident=facts, event_id=entry.id)
    changes.effects(session, event, facts.id, settings)


def _note_facts(session: Session, workspace_id: int,
                key: str | int) -> tuple[IncidentFacts, WorkspaceSettings]:
    number = key if isinstance(key, int) else parse_key(key)
    found = changes.facts_by_number(session, workspace_id, number)
    if found is None:
        raise NotFound(f"No incident {format_key(number)} in this workspace.", field="key")
    return found


def edit_entry(db: Database, actor: Actor, key: str | int, event_id: int,
               text: str) -> TimelineEvent:
    body = clean_text(text, what="timeline entry", field_name="text")
    with db.transaction() as session:
        incident = changes.open_incident(session, actor, key, Action.EDIT_TIMELINE)
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
        incident = changes.open_incident(session, actor, key, Action.EDIT_TIMELINE)
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
