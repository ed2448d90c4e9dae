"""Shared steps inside a service transaction: load with tenancy, audit, timeline, outbox."""

from datetime import datetime
from functools import cache
from typing import Any, NamedTuple

from pydantic_core import PydanticUndefined
from sqlalchemy import Table, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.sql.expression import Executable
from sqlmodel import Session, SQLModel, col, select

from core.effects import integration_of
from core.errors import NotFound
from core.keys import format_key, parse_key
from core.permissions import Action, Role, require
from core.policies.spec import EffectSpec
from services.actor import Actor
from store.db import EFFECTS_RECORDED
from store.deferred import insert_later
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
        raise _no_incident(number)
    return incident


class IncidentRef(NamedTuple):
    """What a one-row hot path needs of an incident: its id, and its commander to authorize."""

    id: int
    commander_id: int | None


def load_incident_ref(session: Session, workspace_id: int, key: str | int) -> IncidentRef:
    """`load_incident`'s tenancy check, reading two columns instead of the ORM row."""
    number = key if isinstance(key, int) else parse_key(key)
    row = session.connection().execute(
        _incident_ref_query(), {"workspace_id": workspace_id, "number": number}).first()
    if row is None:
        raise _no_incident(number)
    return IncidentRef(row[0], row[1])


@cache
def _incident_ref_query() -> Executable:
    # Built once: constructing and cache-keying a select costs twice what running it does.
    return select(col(Incident.id), col(Incident.commander_id)).where(
        col(Incident.workspace_id) == bindparam("workspace_id"),
        col(Incident.number) == bindparam("number"))


def _no_incident(number: int) -> NotFound:
    return NotFound(f"No incident {format_key(number)} in this workspace.", field="key")


def load_member(session: Session, workspace_id: int, member_id: int) -> Member:
    member = session.get(Member, member_id)
    if member is None or member.workspace_id != workspace_id:
        raise NotFound("That person is not a member of this workspace.", field="member")
    return member


def authorize(actor: Actor, action: Action,
              incident: Incident | IncidentRef | None = None) -> None:
    is_commander = (incident is not None and actor.member_id is not None
                    and incident.commander_id == actor.member_id)
    require(Role(actor.role), action, is_commander=is_commander)


def audit(session: Session, actor: Actor, action: str, incident: Incident | None = None,
          **detail: Any) -> None:
    # Nothing reads the row back in the transaction: it goes out with the COMMIT (and the
    # unit of work cost more than the statement on every change).
    insert_later(session, table_of(AuditLog), values_of(
        AuditLog, workspace_id=actor.workspace_id, incident_id=incident.id if incident else None,
        actor_id=actor.member_id, actor=actor.name, action=action, detail=_jsonable(detail)))


def add_event(session: Session, incident: Incident, actor: Actor | None, label: str, text: str,
              *, source: str | None = None, payload: dict[str, Any] | None = None,
              at: datetime | None = None, dedupe_key: str | None = None,
              editable: bool = False) -> TimelineEvent:
    event = new_event(pk(incident), actor, label, text, source=source, payload=payload,
                      at=at, dedupe_key=dedupe_key, editable=editable)
    session.add(event)
    return event


def new_event(incident_id: int, actor: Actor | None, label: str, text: str, *,
              source: str | None = None, payload: dict[str, Any] | None = None,
              at: datetime | None = None, dedupe_key: str | None = None,
              editable: bool = False) -> TimelineEvent:
    return TimelineEvent(
        incident_id=incident_id, at=at or utcnow(),
        source=source or (actor.source if actor else "vigilo"), label=label,
        actor=actor.name if actor else None, actor_id=actor.member_id if actor else None,
        text=text, payload=_jsonable(payload or {}), dedupe_key=dedupe_key, editable=editable)


def insert_event(session: Session, event: TimelineEvent) -> TimelineEvent | None:
    """INSERT the event now, in one statement; None when its dedupe_key is already taken.

    For a transaction that writes only this row: it skips the unit of work, and
    ON CONFLICT DO NOTHING answers a duplicate without an error (which on PostgreSQL would
    abort the transaction and log an ERROR on the server for every Slack redelivery).
    """
    new_id = insert_values(session.connection(), TimelineEvent, row_values(event), "incident_id",
                           "dedupe_key")
    if new_id is None:
        return None
    event.id = new_id
    make_transient_to_detached(event)  # as if it had been flushed and the session closed
    return event


def insert_values(connection: Connection, model: type[SQLModel], values: dict[str, Any],
                  *unique: str) -> int | None:
    """INSERT a row of `model` (its column values: `values_of`) now, in one prebuilt
    statement: its new id, or None when a row with the same `unique` columns exists
    (ON CONFLICT DO NOTHING: no error, no aborted transaction)."""
    found = connection.execute(_insert_new(model, connection.dialect.name, unique),
                               values).scalar()
    return None if found is None else int(found)


@cache
def _insert_new(model: type[SQLModel], dialect: str, unique: tuple[str, ...]) -> Executable:
    table = model.__table__  # type: ignore[attr-defined]
    flavour = postgresql if dialect == "postgresql" else sqlite  # the two Vigilo runs on
    return (flavour.insert(table).on_conflict_do_nothing(index_elements=list(unique))
            .returning(table.c.id))


def row_values(row: SQLModel) -> dict[str, Any]:
    """The row's column values but its id (the database's): defaults already filled in."""
    return {name: getattr(row, name) for name in _columns(type(row))}


def values_of(model: type[SQLModel], **given: Any) -> dict[str, Any]:
    """A new row's column values but its id, defaults filled in as the model would: for a
    row that is only INSERTed (building the ORM object cost more than the statement)."""
    fields = model.model_fields
    values = {}
    for name in _columns(model):
        value = given[name] if name in given else fields[name].get_default(
            call_default_factory=True)
        if value is PydanticUndefined:
            raise TypeError(f"{model.__name__}.{name} needs a value")
        values[name] = value
    return values


@cache
def _columns(model: type[SQLModel]) -> tuple[str, ...]:
    table = model.__table__  # type: ignore[attr-defined]
    return tuple(column.name for column in table.columns if column.name != "id")


def table_of(model: type[SQLModel]) -> Table:
    return model.__table__  # type: ignore[attr-defined]


def record_effect(session: Session, spec: EffectSpec, workspace_id: int,
                  incident_id: int | None = None) -> None:
    """Queue a side effect; its key makes a repeat of the same effect a no-op.

    Effects of one integration for one incident (or, with none, one workspace) share a lane
    and are delivered in order; other lanes never wait on it.
    """
    owner = str(incident_id) if incident_id is not None else f"ws{workspace_id}"
    idempotency_key = f"{spec.kind}:{owner}:{spec.key}"
    payload = {"incident_id": incident_id, **spec.facts} if incident_id else dict(spec.facts)
    row = values_of(Outbox, workspace_id=workspace_id, incident_id=incident_id, kind=spec.kind,
                    idempotency_key=idempotency_key,
                    lane=f"{integration_of(spec.kind)}:{owner}", payload=_jsonable(payload))
    # With the COMMIT: a repeat of the key is answered by ON CONFLICT instead of a SELECT.
    insert_later(session, table_of(Outbox), row, ("idempotency_key",))
    session.info[EFFECTS_RECORDED] = True  # the outbox worker is woken after the commit


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
