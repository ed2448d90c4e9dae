"""Responders: exactly one commander per incident, mirrored on Incident.commander_id."""

from sqlmodel import Session, select

from core.errors import InvalidInput
from core.events import CommanderChanged, ResponderAdded, ResponderRemoved, ResponderRoleChanged
from core.permissions import Action, ResponderRole
from services import changes
from services.actor import Actor
from services.records import load_member, touch
from store.db import Database
from store.models import Incident, IncidentResponder, Member
from store.types import pk


def _row(session: Session, incident: Incident, member_id: int) -> IncidentResponder | None:
    return session.exec(select(IncidentResponder).where(
        IncidentResponder.incident_id == incident.id,
        IncidentResponder.member_id == member_id)).first()


def add_responder(db: Database, actor: Actor, key: str | int, member_id: int,
                  role: ResponderRole = ResponderRole.RESPONDER) -> IncidentResponder:
    if role == ResponderRole.COMMANDER:
        raise InvalidInput("Add them as responder, then promote them to commander.",
                           field="role")
    with db.transaction() as session:
        incident = changes.open_incident(session, actor, key, Action.ADD_RESPONDER)
        member = load_member(session, actor.workspace_id, member_id)
        existing = _row(session, incident, member_id)
        if existing is not None:
            raise InvalidInput(f"{member.display_name} is already on this incident as "
                               f"{existing.role}.", field="member")
        row = IncidentResponder(incident_id=pk(incident), member_id=member_id, role=role.value)
        session.add(row)
        touch(incident)
        changes.record(session, actor,
                       changes.event(ResponderAdded, actor, incident, member_id=member_id,
                                     member_name=member.display_name, role=role.value),
                       f"{actor.name} added {member.display_name} as {role.value}",
                       incident=incident, payload={"member_id": member_id, "role": role},
                       detail={"member_id": member_id, "role": role})
        return row


def add_responders(db: Database, actor: Actor, key: str | int, member_ids: list[int],
                   role: ResponderRole = ResponderRole.RESPONDER) -> list[IncidentResponder]:
    """The Add responders modal: people already on the incident are skipped, not errors."""
    added: list[IncidentResponder] = []
    for member_id in dict.fromkeys(member_ids):
        try:
            added.append(add_responder(db, actor, key, member_id, role))
        except InvalidInput as error:
            if error.field != "member":
                raise
    return added


def remove_responder(db: Database, actor: Actor, key: str | int, member_id: int) -> None:
    with db.transaction() as session:
        incident, member, row = _non_commander(session, actor, key, member_id)
        session.delete(row)
        touch(incident)
        changes.record(session, actor,
                       changes.event(ResponderRemoved, actor, incident, member_id=member_id,
                                     member_name=member.display_name),
                       f"{actor.name} removed {member.display_name}", incident=incident,
                       payload={"member_id": member_id}, detail={"member_id": member_id})


def promote(db: Database, actor: Actor, key: str | int, member_id: int) -> Incident:
    """Make this member the commander; the previous commander stays on as responder."""
    with db.transaction() as session:
        incident = changes.open_incident(session, actor, key, Action.MANAGE_RESPONDERS)
        member = load_member(session, actor.workspace_id, member_id)
        if incident.commander_id == member_id:
            raise InvalidInput(f"{member.display_name} is already the commander.",
                               field="member")
        previous = incident.commander_id
        if previous is not None:
            old_row = _row(session, incident, previous)
            if old_row is not None:
                old_row.role = ResponderRole.RESPONDER.value
        row = _row(session, incident, member_id)
        joined = row is None
        if row is None:
            row = IncidentResponder(incident_id=pk(incident), member_id=member_id,
                                    role=ResponderRole.COMMANDER.value)
            session.add(row)
        row.role = ResponderRole.COMMANDER.value
        incident.commander_id = member_id
        touch(incident)
        changes.record(session, actor,
                       changes.event(CommanderChanged, actor, incident, old_id=previous,
                                     new_id=member_id, new_name=member.display_name,
                                     joined=joined),
                       f"{actor.name} made {member.display_name} the incident commander",
                       incident=incident, payload={"from": previous, "to": member_id},
                       detail={"old": previous, "new": member_id})
        return incident


def demote(db: Database, actor: Actor, key: str | int, member_id: int) -> IncidentResponder:
    """responder → observer. The commander is replaced by promoting someone else."""
    with db.transaction() as session:
        incident, member, row = _non_commander(session, actor, key, member_id)
        if row.role == ResponderRole.OBSERVER:
            raise InvalidInput(f"{member.display_name} is already an observer.", field="member")
        row.role = ResponderRole.OBSERVER.value
        touch(incident)
        changes.record(session, actor,
                       changes.event(ResponderRoleChanged, actor, incident,
                                     member_id=member_id, member_name=member.display_name,
                                     old="responder", new="observer"),
                       f"{actor.name} made {member.display_name} an observer",
                       incident=incident,
                       payload={"member_id": member_id, "from": "responder", "to": "observer"},
                       detail={"member_id": member_id})
        return row


def _non_commander(session: Session, actor: Actor, key: str | int,
                   member_id: int) -> tuple[Incident, Member, IncidentResponder]:
    """Load a responder the commander (or an admin) may change: anyone but the commander."""
    incident = changes.open_incident(session, actor, key, Action.MANAGE_RESPONDERS)
    member = load_member(session, actor.workspace_id, member_id)
    row = _row(session, incident, member_id)
    if row is None:
        raise InvalidInput(f"{member.display_name} is not on this incident.", field="member")
    if row.role == ResponderRole.COMMANDER:
        raise InvalidInput(f"{member.display_name} is the commander. Promote someone else "
                           "to commander first.", field="member")
    return incident, member, row
