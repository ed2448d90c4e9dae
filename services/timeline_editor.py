"""The timeline editor (T2.9): edit what people wrote (the old text kept), delete it (softly),
add an entry at a chosen time, and hide recorded changes from the postmortem.

Recorded changes (status, severity, people) are the audit trail: they can be hidden from the
postmortem, never rewritten or deleted. Every change is audited, and an open postmortem's
copy of the timeline follows it, so the review reads what the timeline says.
"""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from core.effects import Label
from core.errors import InvalidInput, NotFound
from core.keys import format_key
from core.permissions import Action
from core.validation import clean_text
from services import changes, postmortems, timeline
from services.actor import Actor
from services.records import add_event, audit, load_incident, load_member
from store.db import Database
from store.models import Incident, TimelineEvent
from store.types import utcnow

PAGE = 10
EARLIEST = timedelta(days=30)  # how far before the declaration an entry may be placed


@dataclass(frozen=True)
class EntryView:
    id: int
    at: datetime
    actor: str | None
    label: str
    text: str
    editable: bool
    edited: bool
    hidden: bool


@dataclass(frozen=True)
class EditorPage:
    key: str
    entries: list[EntryView]  # newest first
    page: int
    pages: int
    total: int


def page(db: Database, workspace_id: int, key: str | int, number: int = 1) -> EditorPage:
    with db.read() as session:
        incident = load_incident(session, workspace_id, key)
        where = (TimelineEvent.incident_id == incident.id,
                 col(TimelineEvent.deleted_at).is_(None))
        total = int(session.exec(select(func.count()).select_from(TimelineEvent)
                                 .where(*where)).one())
        pages = max(1, -(-total // PAGE))
        number = min(max(1, number), pages)
        rows = session.exec(select(TimelineEvent).where(*where)
                            .order_by(col(TimelineEvent.at).desc(),
                                      col(TimelineEvent.id).desc())
                            .offset((number - 1) * PAGE).limit(PAGE)).all()
        return EditorPage(format_key(incident.number),
                          [EntryView(e.id or 0, e.at, e.actor, e.label, e.text, e.editable,
                                     e.edited_at is not None, e.hidden_from_postmortem)
                           for e in rows], number, pages, total)


def entry(db: Database, workspace_id: int, key: str | int, event_id: int) -> EntryView:
    with db.read() as session:
        incident = load_incident(session, workspace_id, key)
        event = _event(session, incident, event_id)
        return EntryView(event.id or 0, event.at, event.actor, event.label, event.text,
                         event.editable, event.edited_at is not None,
                         event.hidden_from_postmortem)


def _event(session: Session, incident: Incident, event_id: int) -> TimelineEvent:
    event = session.get(TimelineEvent, event_id)
    if event is None or event.incident_id != incident.id or event.deleted_at is not None:
        raise NotFound(f"No timeline entry {event_id} on this incident (it may have been "
                       "deleted).", field="event")
    return event


def _editable(session: Session, incident: Incident, event_id: int) -> TimelineEvent:
    event = _event(session, incident, event_id)
    if not event.editable:
        raise InvalidInput("Only what people wrote can be edited or deleted; recorded "
                           "changes are the audit trail (hide them from the postmortem "
                           "instead).", field="event")
    return event


def edit(db: Database, actor: Actor, key: str | int, event_id: int, text: str) -> TimelineEvent:
    body = clean_text(text, what="timeline entry", field_name="text")
    with db.transaction() as session:
        incident = changes.open_incident(session, actor, key, Action.EDIT_TIMELINE)
        event = _editable(session, incident, event_id)
        if event.text == body:
            return event
        history = list(event.payload.get("previous_texts", []))
        history.append({"text": event.text, "until": utcnow().isoformat(),
                        "by": actor.name})
        event.payload = {**event.payload, "previous_texts": history}
        event.text = body
        event.edited_at = utcnow()
        audit(session, actor, "timeline.edited", incident, event_id=event_id,
              old=history[-1]["text"], new=body)
        postmortems.refresh_copy(session, incident)
        return event


def delete(db: Database, actor: Actor, key: str | int, event_id: int) -> TimelineEvent:
    with db.transaction() as session:
        incident = changes.open_incident(session, actor, key, Action.EDIT_TIMELINE)
        event = _editable(session, incident, event_id)
        event.deleted_at = utcnow()
        audit(session, actor, "timeline.deleted", incident, event_id=event_id, text=event.text)
        postmortems.refresh_copy(session, incident)
        return event


def hide(db: Database, actor: Actor, key: str | int, event_id: int,
         hidden: bool) -> TimelineEvent:
    """Leave an entry (any entry) out of the postmortem, or put it back."""
    with db.transaction() as session:
        incident = changes.open_incident(session, actor, key, Action.EDIT_TIMELINE)
        event = _event(session, incident, event_id)
        if event.hidden_from_postmortem == hidden:
            state = "hidden from" if hidden else "shown in"
            raise InvalidInput(f"That entry is already {state} the postmortem.", field="event")
        event.hidden_from_postmortem = hidden
        audit(session, actor, "timeline.hidden" if hidden else "timeline.shown", incident,
              event_id=event_id)
        postmortems.refresh_copy(session, incident)
        return event


def add_at(db: Database, actor: Actor, key: str | int, text: str, at: datetime | None,
           *, source: str = "manual", payload: dict[str, object] | None = None,
           dedupe_key: str | None = None, author_id: int | None = None
           ) -> TimelineEvent | None:
    """A note at the time it happened ("we noticed at 02:58"), not when it was typed.
    A repeated `dedupe_key` adds nothing and returns None. `author_id`: who wrote it, when
    that is not who adds it (a Slack message put on the timeline by someone else)."""
    body = clean_text(text, what="timeline entry", field_name="text")
    now = utcnow()
    when = at or now
    if when.tzinfo is None:
        raise InvalidInput("The time needs a timezone.", field="at")
    if when > now + timedelta(minutes=1):
        raise InvalidInput("That time is in the future.", field="at")
    with db.transaction() as session:
        incident = changes.open_incident(session, actor, key, Action.POST_UPDATE)
        if when < incident.created_at - EARLIEST:
            raise InvalidInput("That time is more than 30 days before the incident was "
                               "declared.", field="at")
        if dedupe_key and session.exec(select(TimelineEvent.id).where(
                TimelineEvent.incident_id == incident.id,
                TimelineEvent.dedupe_key == dedupe_key)).first() is not None:
            return None
        writer = actor
        if author_id is not None and author_id != actor.member_id:
            author = load_member(session, actor.workspace_id, author_id)
            writer = replace(actor, member_id=author.id, name=author.display_name)
            payload = {**(payload or {}), "added_by": actor.name}
        event = add_event(session, incident, writer, Label.NOTE, body, source=source,
                          at=when, payload=payload, dedupe_key=dedupe_key, editable=True)
        session.flush()
        audit(session, actor, "timeline.added", incident, event_id=event.id,
              at=when.isoformat())
        timeline.spoken(session, writer, changes.facts(incident), event)
        postmortems.refresh_copy(session, incident)
        return event


def capture_mode(db: Database, workspace_id: int) -> str:
    """The workspace's timeline_capture setting: "all" channel messages, or on "command"."""
    with db.read() as session:
        return changes.settings_of(session, workspace_id).timeline_capture
