"""Postmortems: open one from the incident's record, write its sections, review, publish."""

from typing import Any

from sqlalchemy import func
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from core.errors import InvalidInput, NotFound
from core.events import (
    PostmortemDraftRequested,
    PostmortemOpened,
    PostmortemStatusChanged,
    PostmortemUnlinked,
)
from core.fsm import Status
from core.keys import format_key
from core.permissions import Action
from core.postmortem import (
    AI_SECTIONS,
    PmMove,
    PmStatus,
    Section,
    apply_pm_move,
    check_editable,
    clean_section,
    milestones,
)
from core.postmortem_draft import DraftFacts, KeyEvent, deterministic_draft
from core.severity import Severity
from services import changes
from services.actor import Actor
from services.postmortem_copy import write_copy
from services.records import audit, authorize, load_incident, member_names, touch
from store.db import Database
from store.models import ChangeRequest, Incident, Postmortem, TimelineEvent
from store.postmortem_models import PostmortemSection, PostmortemStatusChange
from store.types import pk, utcnow

NOTE_LABELS = ("note", "message")
NOTES_SENT = 100
LIFECYCLE = ("created", "status_changed", "status_forced", "severity_changed",
             "commander_changed", "root_cause_set")


def open_for(session: Session, incident: Incident, actor: Actor) -> Postmortem | None:
    """The one postmortem of the incident, starting from its own timeline (T1.9), with a
    first draft of each section from the record. None when it exists already."""
    if session.exec(select(Postmortem.id).where(
            Postmortem.incident_id == incident.id)).first() is not None:
        return None
    session.flush()
    postmortem = Postmortem(incident_id=pk(incident), timeline=[])
    session.add(postmortem)
    session.flush()
    copied = write_copy(session, pk(postmortem), pk(incident))
    draft = deterministic_draft(draft_facts(session, incident))
    for section in Section:
        session.add(PostmortemSection(postmortem_id=pk(postmortem), name=section.value,
                                      draft=draft.get(section, ""),
                                      draft_source="record" if draft.get(section) else ""))
    _history(session, postmortem, actor, PmStatus.DRAFT)
    changes.record(session, actor,
                   changes.event(PostmortemOpened, actor, incident,
                                 timeline_events=copied),
                   f"{actor.name} opened the postmortem ({copied} timeline events "
                   "copied)", incident=incident)
    return postmortem


def refresh_copy(session: Session, incident: Incident) -> None:
    """After a timeline edit: an unpublished postmortem reads the timeline as it is now."""
    # The id and status only: loading the ORM row would parse the whole old copy first.
    row = session.exec(select(Postmortem.id, Postmortem.status).where(
        Postmortem.incident_id == incident.id)).first()
    if row is None or row[1] == PmStatus.PUBLISHED:
        return
    write_copy(session, int(row[0] or 0), pk(incident))


def draft_facts(session: Session, incident: Incident) -> DraftFacts:
    """What the deterministic draft (and the AI prompt) may know: this incident only."""
    base = (TimelineEvent.incident_id == incident.id,
            col(TimelineEvent.deleted_at).is_(None))
    lifecycle = session.exec(select(TimelineEvent.at, TimelineEvent.actor, TimelineEvent.label,
                                    TimelineEvent.text)
                             .where(*base, col(TimelineEvent.label).in_(LIFECYCLE))
                             .order_by(col(TimelineEvent.at), col(TimelineEvent.id))
                             .limit(200)).all()
    counts = session.exec(select(TimelineEvent.actor, func.count())
                          .where(*base, col(TimelineEvent.actor).is_not(None))
                          .group_by(col(TimelineEvent.actor))
                          .order_by(func.count().desc()).limit(20)).all()
    total = sum(int(n) for _, n in counts)
    notes = session.exec(select(TimelineEvent.at, TimelineEvent.actor, TimelineEvent.label,
                                TimelineEvent.text)
                         .where(*base, col(TimelineEvent.label).in_(NOTE_LABELS))
                         .order_by(col(TimelineEvent.at).desc(), col(TimelineEvent.id).desc())
                         .limit(NOTES_SENT)).all()
    commander = (member_names(session, {incident.commander_id}).get(incident.commander_id)
                 if incident.commander_id else None)
    change = (session.get(ChangeRequest, incident.caused_by_change_id)
              if incident.caused_by_change_id else None)
    return DraftFacts(
        key=format_key(incident.number), title=incident.title, severity=incident.severity,
        severity_label=Severity(incident.severity).label, services=tuple(incident.services),
        description=incident.description, root_cause=incident.root_cause,
        stones=tuple(milestones(incident.detected_at, incident.investigating_at,
                                incident.mitigated_at, incident.resolved_at)),
        key_events=tuple(KeyEvent(at, actor, label, text) for at, actor, label, text in lifecycle),
        actors=tuple((str(a), int(n)) for a, n in counts), commander=commander,
        change=change.title if change else None, event_total=total,
        notes=tuple(KeyEvent(at, actor, label, text)
                    for at, actor, label, text in reversed(notes)))


def _history(session: Session, postmortem: Postmortem, actor: Actor,
             status: PmStatus) -> None:
    session.add(PostmortemStatusChange(postmortem_id=pk(postmortem), status=status.value,
                                       actor_id=actor.member_id, actor=actor.name))


def _without_copy(incident_id: int) -> Any:
    """The postmortem row, its timeline copy left unloaded (parsing it costs more than the
    rest of a request; `.timeline` still loads on first use)."""
    return (select(Postmortem).where(Postmortem.incident_id == incident_id)
            .options(defer(Postmortem.timeline)))  # type: ignore[arg-type]


def load_for(session: Session, incident: Incident, *, for_update: bool = False) -> Postmortem:
    query = _without_copy(incident.id or 0)
    if for_update:
        query = query.with_for_update()
    found = session.exec(query).first()
    if found is None:
        raise NotFound(f"{format_key(incident.number)} has no postmortem yet: resolve it, "
                       "then run /vigilo postmortem.", field="key")
    return found


def _section_row(session: Session, postmortem: Postmortem, section: Section
                 ) -> PostmortemSection:
    row = session.exec(select(PostmortemSection).where(
        PostmortemSection.postmortem_id == postmortem.id,
        PostmortemSection.name == section.value)).first()
    if row is None:  # a postmortem opened before sections existed
        row = PostmortemSection(postmortem_id=pk(postmortem), name=section.value)
        session.add(row)
    return row


def edit_section(db: Database, actor: Actor, key: str | int, section: Section,
                 text: str) -> PostmortemSection:
    """Write a section (saving a suggested draft as it is accepts it). Audited."""
    body = clean_section(text)
    with db.transaction() as session:
        incident = load_incident(session, actor.workspace_id, key)
        authorize(actor, Action.POST_UPDATE, incident)
        postmortem = load_for(session, incident, for_update=True)
        check_editable(PmStatus(postmortem.status))
        row = _section_row(session, postmortem, section)
        old = row.text
        accepted = bool(row.draft) and not old
        row.text = body
        row.updated_at = utcnow()
        row.updated_by_id, row.updated_by = actor.member_id, actor.name
        touch(incident)
        audit(session, actor, "postmortem.section_edited", incident, section=section,
              old=old, new=body, accepted_draft=row.draft_source if accepted else None)
        session.flush()
        return row


def move(db: Database, actor: Actor, key: str | int, step: PmMove) -> Postmortem:
    """draft → in review → published (or back to draft), with who and when; publishing
    announces the postmortem in the incident channel."""
    with db.transaction() as session:
        incident = changes.open_incident(session, actor, key, Action.TRANSITION)
        postmortem = load_for(session, incident, for_update=True)
        old = PmStatus(postmortem.status)
        new = apply_pm_move(old, step)
        if new == PmStatus.PUBLISHED:
            empty = [s.heading for s in _missing(session, postmortem)]
            if empty:
                raise InvalidInput(f"Write (or accept the draft of) these sections before "
                                   f"publishing: {', '.join(empty)}.", field="section")
        postmortem.status = new.value
        _history(session, postmortem, actor, new)
        touch(incident)
        verb = {PmMove.REVIEW: "sent the postmortem for review",
                PmMove.PUBLISH: "published the postmortem",
                PmMove.BACK_TO_DRAFT: "sent the postmortem back to draft"}[step]
        text = f"{actor.name} {verb} of {format_key(incident.number)}"
        changes.record(session, actor,
                       changes.event(PostmortemStatusChanged, actor, incident, old=old.value,
                                     new=new.value),
                       text, incident=incident, payload={"from": old, "to": new},
                       detail={"old": old, "new": new})
        return postmortem


REQUIRED = (Section.SUMMARY, Section.IMPACT, Section.ROOT_CAUSE)


def _missing(session: Session, postmortem: Postmortem) -> list[Section]:
    written = set(session.exec(select(PostmortemSection.name).where(
        PostmortemSection.postmortem_id == postmortem.id,
        PostmortemSection.text != "")).all())
    return [s for s in REQUIRED if s.value not in written]


def open_again(db: Database, actor: Actor, key: str | int) -> Postmortem:
    """A post_mortem incident whose postmortem an admin unlinked gets a fresh one."""
    with db.transaction() as session:
        incident = changes.open_incident(session, actor, key, Action.TRANSITION)
        if incident.status != Status.POST_MORTEM.value:
            raise InvalidInput(f"{format_key(incident.number)} is {incident.status}: resolve "
                               "it first, then open its postmortem.")
        postmortem = open_for(session, incident, actor)
        if postmortem is None:
            raise InvalidInput(f"{format_key(incident.number)} has a postmortem already.")
        return postmortem


def unlink(db: Database, actor: Actor, key: str | int) -> Incident:
    """Admins remove the postmortem (its sections and history go with it). Audited."""
    with db.transaction() as session:
        incident = changes.open_incident(session, actor, key, Action.UNLINK_POSTMORTEM)
        postmortem = session.exec(_without_copy(incident.id or 0)).first()
        if postmortem is None:
            raise InvalidInput("This incident has no postmortem to unlink.")
        for model in (PostmortemSection, PostmortemStatusChange):
            for row in session.exec(select(model).where(
                    model.postmortem_id == postmortem.id)):
                session.delete(row)
        session.flush()
        session.delete(postmortem)
        changes.record(session, actor, changes.event(PostmortemUnlinked, actor, incident),
                       f"{actor.name} unlinked the postmortem", incident=incident,
                       detail={"status": postmortem.status})
        return incident


def store_ai_draft(db: Database, incident_id: int, drafts: dict[Section, str],
                   source: str) -> int:
    """Replace the suggestion of sections nobody has written yet; how many changed."""
    with db.transaction() as session:
        postmortem = session.exec(_without_copy(incident_id)).first()
        if postmortem is None or postmortem.status == PmStatus.PUBLISHED:
            return 0
        changed = 0
        for section in AI_SECTIONS:
            row = _section_row(session, postmortem, section)
            text = drafts.get(section, "")
            if row.text or not text:
                row.draft_note = ""
                continue
            row.draft, row.draft_source, row.draft_note = text, source, ""
            changed += 1
        return changed


def facts_for(db: Database, incident_id: int) -> DraftFacts | None:
    """What an AI draft may be told: this incident's record, while its postmortem is open."""
    with db.read() as session:
        incident = session.get(Incident, incident_id)
        postmortem = session.exec(_without_copy(incident_id)).first()
        if incident is None or postmortem is None or postmortem.status == PmStatus.PUBLISHED:
            return None
        return draft_facts(session, incident)


def note_ai(db: Database, incident_id: int, note: str) -> None:
    """Say on the AI's sections what became of the draft (until someone writes them)."""
    with db.transaction() as session:
        postmortem = session.exec(_without_copy(incident_id)).first()
        if postmortem is None:
            return
        for section in AI_SECTIONS:
            row = _section_row(session, postmortem, section)
            if not row.text:
                row.draft_note = note[:500]


def request_ai_draft(db: Database, actor: Actor, key: str | int) -> Postmortem:
    """Ask again for an AI first draft (after ack, through the outbox)."""
    with db.transaction() as session:
        incident = changes.open_incident(session, actor, key, Action.POST_UPDATE)
        postmortem = load_for(session, incident, for_update=True)
        check_editable(PmStatus(postmortem.status))
        for section in AI_SECTIONS:
            row = _section_row(session, postmortem, section)
            if not row.text:
                row.draft_note = "Asking the AI for a first draft…"
        changes.record(session, actor,
                       changes.event(PostmortemDraftRequested, actor, incident),
                       f"{actor.name} asked for an AI first draft of the postmortem",
                       incident=incident)
        return postmortem


def section_rows(session: Session, postmortem_id: int) -> dict[str, PostmortemSection]:
    return {row.name: row for row in session.exec(select(PostmortemSection).where(
        PostmortemSection.postmortem_id == postmortem_id))}


def history_rows(session: Session, postmortem_id: int) -> list[PostmortemStatusChange]:
    return list(session.exec(select(PostmortemStatusChange).where(
        PostmortemStatusChange.postmortem_id == postmortem_id)
        .order_by(col(PostmortemStatusChange.id))))


def exists(db: Database, incident_id: int) -> bool:
    with db.read() as session:
        return session.exec(select(Postmortem.id).where(
            Postmortem.incident_id == incident_id)).first() is not None
