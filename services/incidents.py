"""Declaring incidents and moving them through their lifecycle."""

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from core.errors import InvalidInput
from core.events import (
    FieldsEdited,
    RootCauseSet,
    SeverityChanged,
    StatusChanged,
)
from core.fsm import STATUS_STAMPS, Move, Status, apply_move
from core.permissions import Action, ResponderRole
from core.severity import Severity, parse_severity
from core.validation import MAX_DESCRIPTION, MAX_REASON, clean_services, clean_text, clean_title
from services import changes, postmortems
from services.actor import Actor
from services.declaring import first_entry, number_last, placeholder
from services.records import (
    authorize,
    is_unique_violation,
    load_member,
    table_of,
    touch,
    values_of,
)
from store.db import Database
from store.deferred import insert_later
from store.models import Incident, IncidentResponder
from store.types import pk, utcnow


def declare(db: Database, actor: Actor, *, title: str, description: str = "",
            severity: str | None = None, detected_at: datetime | None = None,
            services: list[str] | str | None = None, commander_id: int | None = None,
            idempotency_key: str | None = None) -> Incident:
    """Open a new incident with the next key; the declarer commands unless told otherwise."""
    title = clean_title(title)
    description = clean_text(description, what="description", limit=MAX_DESCRIPTION,
                             required=False)
    sev = parse_severity(severity)
    service_list = clean_services(services)
    now = utcnow()
    if detected_at is not None and detected_at.tzinfo is None:
        raise InvalidInput("detected_at needs a timezone (e.g. 2026-11-26T03:12:00Z).",
                           field="detected_at")
    if detected_at is not None and detected_at > now:
        raise InvalidInput("detected_at is in the future.", field="detected_at")
    try:
        with db.transaction() as session:
            authorize(actor, Action.DECLARE)
            # A repeated idempotency key is not looked for first: the unique (workspace,
            # declare_key) index refuses the second INSERT and the winner is returned below
            # (a repeat is rare; the SELECT was one more round trip in every declaration).
            commander = commander_id if commander_id is not None else actor.member_id
            if commander is not None and commander != actor.member_id:
                # The actor was read from this workspace's members a moment ago; anyone else
                # named as commander is checked to be one.
                load_member(session, actor.workspace_id, commander)
            incident = Incident(
                workspace_id=actor.workspace_id, number=placeholder(),
                title=title, description=description, severity=sev.value,
                status=Status.OPEN.value, commander_id=commander, created_by_id=actor.member_id,
                detected_at=detected_at or now, created_at=now, updated_at=now,
                services=service_list, declare_key=idempotency_key)
            said = (f"{actor.name} declared ", f" ({sev.value}, {sev.label}): {title}")
            # Nothing the policies or the audit row record depends on the number (effects
            # read the incident when they are delivered), so all of it is written first.
            payload = {"severity": sev.value, "services": service_list,
                       "commander_id": commander}
            detail = {"title": title, "severity": sev}
            entry = first_entry(session, actor, incident, said, payload, detail)
            # Not read back in this transaction: written with the COMMIT (store.deferred).
            if commander is not None:
                insert_later(session, table_of(IncidentResponder), values_of(
                    IncidentResponder, incident_id=pk(incident), member_id=commander,
                    role=ResponderRole.COMMANDER.value, joined_at=now))
            if actor.member_id is not None and actor.member_id != commander:
                insert_later(session, table_of(IncidentResponder), values_of(
                    IncidentResponder, incident_id=pk(incident), member_id=actor.member_id,
                    role=ResponderRole.RESPONDER.value, joined_at=now))
            number_last(session, incident, entry, said)
            return incident
    except IntegrityError as error:
        # Two deliveries of the same Idempotency-Key raced: the loser returns the winner.
        if idempotency_key and is_unique_violation(error):
            with db.read() as session:
                found = _by_declare_key(session, actor.workspace_id, idempotency_key)
                if found is not None:
                    return found
        raise


def _by_declare_key(session: Session, workspace_id: int, key: str) -> Incident | None:
    return session.exec(select(Incident).where(Incident.workspace_id == workspace_id,
                                               Incident.declare_key == key)).first()


def transition(db: Database, actor: Actor, key: str | int, move: Move, *,
               root_cause: str | None = None) -> Incident:
    """investigate / mitigate / resolve / open_post_mortem / reopen, as the FSM allows."""
    cause = clean_text(root_cause, what="root cause", required=False, field_name="root_cause")
    with db.transaction() as session:
        incident = changes.open_incident(session, actor, key, Action.TRANSITION)
        old = Status(incident.status)
        step = apply_move(old, move)
        now = utcnow()
        incident.status = step.target.value
        if step.stamp:
            setattr(incident, step.stamp, now)
        if move == Move.REOPEN:
            incident.resolved_at = None
        if move == Move.RESOLVE and cause:
            incident.root_cause = cause
        touch(incident)
        text = f"{actor.name}: {step.verb} ({old.value} → {step.target.value})"
        if move == Move.RESOLVE and cause:
            text += f". Root cause: {cause}"
        changes.record(session, actor,
                       changes.event(StatusChanged, actor, incident, old=old, new=step.target,
                                     move=move,
                                     root_cause=cause if move == Move.RESOLVE else None),
                       text, incident=incident,
                       payload={"from": old, "to": step.target, "move": move},
                       detail={"old": old, "new": step.target})
        if move == Move.OPEN_POST_MORTEM:
            _open_postmortem(session, incident, actor)
        return incident


def force_status(db: Database, actor: Actor, key: str | int, status: Status,
                 reason: str) -> Incident:
    """Admins move an incident to any status; the reason is required and audited."""
    why = clean_text(reason, what="reason", limit=MAX_REASON)
    with db.transaction() as session:
        incident = changes.open_incident(session, actor, key, Action.FORCE_TRANSITION)
        old = Status(incident.status)
        if old == status:
            raise InvalidInput(f"The incident is already {status.value}.", field="status")
        incident.status = status.value
        stamp = STATUS_STAMPS[status]
        if stamp:
            setattr(incident, stamp, utcnow())
        if status != Status.RESOLVED and status != Status.POST_MORTEM:
            incident.resolved_at = None
        touch(incident)
        text = f"{actor.name} forced the status {old.value} → {status.value}: {why}"
        changes.record(session, actor,
                       changes.event(StatusChanged, actor, incident, old=old, new=status,
                                     reason=why),
                       text, incident=incident,
                       payload={"from": old, "to": status, "reason": why},
                       detail={"old": old, "new": status, "reason": why})
        if status == Status.POST_MORTEM:
            _open_postmortem(session, incident, actor)
        return incident


def change_severity(db: Database, actor: Actor, key: str | int, severity: str) -> Incident:
    new = parse_severity(severity) if severity and severity.strip() else None
    if new is None:
        raise InvalidInput("Say which severity: p1, p2, p3 or p4.", field="severity")
    with db.transaction() as session:
        incident = changes.open_incident(session, actor, key, Action.CHANGE_SEVERITY)
        old = Severity(incident.severity)
        if old == new:
            raise InvalidInput(f"The severity is already {new.value}.", field="severity")
        incident.severity = new.value
        touch(incident)
        text = f"{actor.name} changed the severity {old.value} → {new.value} ({new.label})"
        changes.record(session, actor,
                       changes.event(SeverityChanged, actor, incident, old=old, new=new),
                       text, incident=incident, payload={"from": old, "to": new},
                       detail={"old": old, "new": new})
        return incident


def set_root_cause(db: Database, actor: Actor, key: str | int, text: str) -> Incident:
    cause = clean_text(text, what="root cause", field_name="root_cause")
    with db.transaction() as session:
        incident = changes.open_incident(session, actor, key, Action.SET_ROOT_CAUSE)
        old = incident.root_cause
        incident.root_cause = cause
        touch(incident)
        changes.record(session, actor, changes.event(RootCauseSet, actor, incident, text=cause),
                       f"{actor.name} set the root cause: {cause}", incident=incident,
                       payload={"previous": old}, detail={"old": old, "new": cause})
        return incident


EDITABLE_FIELDS = ("title", "description", "services", "detected_at", "auto_publish_to_status")


def edit_incident(db: Database, actor: Actor, key: str | int, **fields: object) -> Incident:
    """The Edit incident modal: commander or admin; every changed field is audited."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise InvalidInput(f"Cannot edit {', '.join(sorted(unknown))}. Editable: "
                           f"{', '.join(EDITABLE_FIELDS)}.", field=sorted(unknown)[0])
    clean: dict[str, object] = {}
    if "title" in fields:
        clean["title"] = clean_title(str(fields["title"] or ""))
    if "description" in fields:
        clean["description"] = clean_text(str(fields["description"] or ""),
                                          what="description", limit=MAX_DESCRIPTION,
                                          required=False)
    if "services" in fields:
        clean["services"] = clean_services(fields["services"])  # type: ignore[arg-type]
    if "detected_at" in fields:
        when = fields["detected_at"]
        if not isinstance(when, datetime) or when.tzinfo is None or when > utcnow():
            raise InvalidInput("detected_at must be a past time with a timezone.",
                               field="detected_at")
        clean["detected_at"] = when
    if "auto_publish_to_status" in fields:
        clean["auto_publish_to_status"] = bool(fields["auto_publish_to_status"])
    with db.transaction() as session:
        incident = changes.open_incident(session, actor, key, Action.EDIT_FIELDS)
        diff = {name: {"from": getattr(incident, name), "to": value}
                for name, value in clean.items() if getattr(incident, name) != value}
        if not diff:
            return incident
        for name, change in diff.items():
            setattr(incident, name, change["to"])
        touch(incident)
        changes.record(session, actor,
                       changes.event(FieldsEdited, actor, incident, fields=tuple(diff)),
                       f"{actor.name} edited {', '.join(diff)}", incident=incident,
                       payload=diff, detail={"changes": diff})
        return incident


def unlink_postmortem(db: Database, actor: Actor, key: str | int) -> Incident:
    return postmortems.unlink(db, actor, key)


def _open_postmortem(session: Session, incident: Incident, actor: Actor) -> None:
    postmortems.open_for(session, incident, actor)
