"""Shared steps inside a service transaction: load with tenancy, audit, timeline, outbox."""

from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core.effects import integration_of
from core.errors import NotFound
from core.keys import format_key, parse_key
from core.permissions import Action, Role, require
from services.actor import Actor
from store.models import AuditLog, Incident, Member, Outbox, TimelineEvent
from store.types import pk, utcnow


def load_incident(session: Session, workspace_id: int, key: str | int, *,
                  for_update: bool = False) -> Incident:
    """The incident with this key in this workspace, never another workspace's."""
    number = key if isinstance(key, int) else parse_key(key)
    query = select(Incident).where(Incident.workspace_id == workspace_id,
                                   Incident.number == number)
    if for_update:
        query = query.with_for_update()
    incident = session.exec(query).first()
    if incident is None:
        raise NotFound(f"No incident {format_key(number)} in this workspace.", field="key")
    return incident


def load_member(session: Session, workspace_id: int, member_id: int) -> Member:
    member = session.get(Member, member_id)
    if member is None or member.workspace_id != workspace_id:
        raise NotFound("That person is not a member of this workspace.", field="member")
    return member


def authorize(actor: Actor, action: Action, incident: Incident | None = None) -> None:
    is_commander = (incident is not None and actor.member_id is not None
                    and incident.commander_id == actor.member_id)
    require(Role(actor.role), action, is_commander=is_commander)


def audit(session: Session, actor: Actor, action: str, incident: Incident | None = None,
          **detail: Any) -> None:
    session.add(AuditLog(workspace_id=actor.workspace_id,
                         incident_id=incident.id if incident else None,
                         actor_id=actor.member_id, actor=actor.name, action=action,
                         detail=_jsonable(detail)))


def add_event(session: Session, incident: Incident, actor: Actor | None, label: str, text: str,
              *, source: str | None = None, payload: dict[str, Any] | None = None,
              at: datetime | None = None, dedupe_key: str | None = None,
              editable: bool = False) -> TimelineEvent:
    event = TimelineEvent(
        incident_id=pk(incident), at=at or utcnow(),
        source=source or (actor.source if actor else "vigilo"), label=label,
        actor=actor.name if actor else None, actor_id=actor.member_id if actor else None,
        text=text, payload=_jsonable(payload or {}), dedupe_key=dedupe_key, editable=editable)
    session.add(event)
    return event


def record_effect(session: Session, kind: str, incident: Incident, key: str,
                  **payload: Any) -> None:
    """Queue a side effect; its key makes a repeat of the same effect a no-op."""
    idempotency_key = f"{kind}:{incident.id}:{key}"
    exists = session.exec(select(Outbox.id).where(
        Outbox.idempotency_key == idempotency_key)).first()
    if exists is not None:
        return
    session.add(Outbox(workspace_id=incident.workspace_id, incident_id=incident.id, kind=kind,
                       idempotency_key=idempotency_key,
                       lane=f"{integration_of(kind)}:{incident.id}",
                       payload=_jsonable({"incident_id": incident.id, **payload})))


def touch(incident: Incident) -> None:
    incident.updated_at = utcnow()


def is_unique_violation(error: IntegrityError) -> bool:
    text = str(error.orig).lower()
    return "unique" in text or "duplicate key" in text


def member_names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.exec(select(Member).where(col(Member.id).in_(ids)))
    return {pk(row): row.display_name for row in rows}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "value") and isinstance(value.value, str):
        return value.value
    return value
