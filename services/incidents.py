"""Declaring incidents and moving them through their lifecycle."""

import secrets
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from core.errors import InvalidInput
from core.events import (
    Declared,
    FieldsEdited,
    RootCauseSet,
    SeverityChanged,
    StatusChanged,
)
from core.fsm import STATUS_STAMPS, Move, Status, apply_move
from core.keys import format_key
from core.permissions import Action, ResponderRole
from core.severity import Severity, parse_severity
from core.validation import MAX_DESCRIPTION, MAX_REASON, clean_services, clean_text, clean_title
from services import changes, postmortems
from services.actor import Actor
from services.records import (
    authorize,
    is_unique_violation,
    load_member,
    table_of,
    touch,
    values_of,
)
from store.db import Database, commit_returning
from store.deferred import insert_later
from store.models import Incident, IncidentResponder, TimelineEvent, Workspace
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
                workspace_id=actor.workspace_id, number=_placeholder(),
                title=title, description=description, severity=sev.value,
                status=Status.OPEN.value, commander_id=commander, created_by_id=actor.member_id,
                detected_at=detected_at or now, created_at=now, updated_at=now,
                services=service_list, declare_key=idempotency_key)
            session.add(incident)
            session.flush()
            # Not read back in this transaction: written with the COMMIT (store.deferred).
            if commander is not None:
                insert_later(session, table_of(IncidentResponder), values_of(
                    IncidentResponder, incident_id=pk(incident), member_id=commander,
                    role=ResponderRole.COMMANDER.value, joined_at=now))
            if actor.member_id is not None and actor.member_id != commander:
                insert_later(session, table_of(IncidentResponder), values_of(
                    IncidentResponder, incident_id=pk(incident), member_id=actor.member_id,
                    role=ResponderRole.RESPONDER.value, joined_at=now))

            said = (f"{actor.name} declared ", f" ({sev.value}, {sev.label}): {title}")

            # Nothing the policies or the audit row record depends on the number (effects
            # read the incident when they are delivered), so all of it is written first.
            entry = changes.record(
                session, actor, changes.event(Declared, actor, incident),
                format_key(incident.number).join(said), incident=incident,
                payload={"severity": sev.value, "services": service_list,
                         "commander_id": commander},
                detail={"title": title, "severity": sev})
            assert entry is not None
            _number_last(session, incident, entry, said)
            return incident
    except IntegrityError as error:
        # Two deliveries of the same Idempotency-Key raced: the loser returns the winner.
        if idempotency_key and is_unique_violation(error):
            with db.read() as session:
                found = _by_declare_key(session, actor.workspace_id, idempotency_key)
                if found is not None:
                    return found
        raise


def _placeholder() -> int:
    """A number no committed incident has, held only until `_number_last` replaces it.

    Negative, so never a real key; random, so concurrent declarations do not queue on the
    unique (workspace, number) index (two equal ones would only wait, never fail).
    """
    return -1 - secrets.randbelow(2**31 - 1)


def _number_last(session: Session, incident: Incident, entry: TimelineEvent,
                 said: tuple[str, str]) -> None:
    """Take the next number in the transaction's last statement; the timeline entry says
    `said[0] + key + said[1]`.

    The UPDATE takes the workspace row lock until commit, so concurrent declarations queue
    on it and a rolled-back one gives its number back: no duplicates, no gaps. Taken last,
    the lock covers one statement and the commit instead of the whole declaration: in a
    burst, declarations wait on it one after another (bench/bench_declare_to_channel.py).
    On PostgreSQL the statement and the COMMIT are one round trip (store.db.commit_returning).
    """
    session.flush()  # everything else is written: the commit has nothing left to flush
    ids = {"workspace_id": incident.workspace_id, "incident_id": incident.id,
           "event_id": entry.id}
    if session.get_bind().dialect.name == "postgresql":
        number = int(commit_returning(session, _TAKE_NUMBER, {**ids, "before": said[0],
                                                              "after": said[1]})[0])
    else:  # SQLite: the transaction holds the database's one write lock from its start
        number = int(session.execute(
            update(Workspace).where(col(Workspace.id) == incident.workspace_id)
            .values(last_incident_number=col(Workspace.last_incident_number) + 1)
            .returning(col(Workspace.last_incident_number))).scalar_one())
        session.execute(update(Incident).where(col(Incident.id) == incident.id)
                        .values(number=number).execution_options(synchronize_session=False))
        session.execute(update(TimelineEvent).where(col(TimelineEvent.id) == entry.id)
                        .values(text=format_key(number).join(said))
                        .execution_options(synchronize_session=False))
    set_committed_value(incident, "number", number)
    set_committed_value(entry, "text", format_key(number).join(said))


# One round trip under the lock. The key is spelt as core.keys.format_key spells it
# (INC-0042, INC-12345); tests/test_concurrency.py compares the two.
_TAKE_NUMBER = """
WITH n AS (
    UPDATE workspace SET last_incident_number = last_incident_number + 1
    WHERE id = %(workspace_id)s RETURNING last_incident_number AS number),
i AS (
    UPDATE incident SET number = n.number FROM n WHERE incident.id = %(incident_id)s
    RETURNING incident.number)
UPDATE timelineevent SET text = %(before)s || 'INC-' || CASE WHEN i.number < 10000
    THEN lpad(i.number::text, 4, '0') ELSE i.number::text END || %(after)s
FROM i WHERE timelineevent.id = %(event_id)s
RETURNING i.number"""


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
