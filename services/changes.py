"""One way to record a change: the timeline entry, the audit row and the outbox effects.

Every use case ends with `record(...)` inside its transaction, after it authorized and
mutated rows. The domain event says what changed; the policies in core/ decide the effects.
"""

from dataclasses import replace
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import Executable, bindparam
from sqlalchemy import select as core_select
from sqlmodel import Session, col

from core.events import DomainEvent, IncidentFacts
from core.fsm import Status
from core.permissions import Action
from core.policies import effects_for
from core.severity import Severity
from core.validation import WorkspaceSettings
from services.actor import Actor
from services.records import add_event, audit, authorize, load_incident, record_effect
from store.models import Incident, TimelineEvent, Workspace
from store.types import pk

E = TypeVar("E", bound=DomainEvent)


def settings_of(session: Session, workspace_id: int) -> WorkspaceSettings:
    # Only the settings column, by a statement built once: several times per declaration,
    # loading the whole workspace row into the session cost more than the query.
    found = session.execute(_settings_query(), {"ws": workspace_id}).scalar_one_or_none()
    return WorkspaceSettings.from_json(found)


@cache
def _settings_query() -> Executable:
    return core_select(col(Workspace.settings)).where(col(Workspace.id) == bindparam("ws"))


def facts(incident: Incident) -> IncidentFacts:
    return IncidentFacts(id=pk(incident), workspace_id=incident.workspace_id,
                         number=incident.number, title=incident.title,
                         severity=Severity(incident.severity), status=Status(incident.status),
                         services=tuple(incident.services or ()),
                         auto_publish_to_status=incident.auto_publish_to_status,
                         commander_id=incident.commander_id)


def event(kind: type[E], actor: Actor, incident: Incident | None = None, **fields: Any) -> E:
    """A domain event about `incident` (as it is now) caused by `actor`."""
    return kind(workspace_id=actor.workspace_id, source=actor.source, actor=actor.name,
                incident=facts(incident) if incident is not None else None, **fields)


def open_incident(session: Session, actor: Actor, key: str | int, action: Action) -> Incident:
    """The incident to change, locked until commit, once the actor may do `action` to it.

    Locked even for appends: changes to one incident queue instead of interleaving their
    timeline entries and effects.
    """
    incident = load_incident(session, actor.workspace_id, key, for_update=True)
    authorize(actor, action, incident)
    return incident


def record(session: Session, actor: Actor, change: DomainEvent, text: str, *,
           incident: Incident | None = None, payload: dict[str, Any] | None = None,
           detail: dict[str, Any] | None = None) -> TimelineEvent | None:
    """Write the change once: timeline (with an incident), audit, and every effect it needs.

    The timeline label and the audit action come from the event, so every surface names a
    change the same way.
    """
    entry = None
    if incident is not None:
        entry = add_event(session, incident, actor, change.timeline_label, text,
                          payload=payload)
        session.flush()
        change = replace(change, event_id=entry.id)
    recorded(session, actor, change, incident, detail)
    return entry


def recorded(session: Session, actor: Actor, change: DomainEvent, incident: Incident | None,
             detail: dict[str, Any] | None = None,
             settings: WorkspaceSettings | None = None) -> None:
    """The rest of `record` for a change whose timeline entry is written already (its
    `event_id` set): the audit row and the effects."""
    audit(session, actor, change.audit_action, incident, **(detail or {}))
    effects(session, change, incident.id if incident is not None else None, settings)


def effects(session: Session, change: DomainEvent, incident_id: int | None,
            settings: WorkspaceSettings | None = None) -> None:
    """Record every effect the change needs; for a use case that wrote its timeline entry
    (and audit row, if any) itself, such as a note on the timeline's hot path."""
    for spec in effects_for(change, settings or settings_of(session, change.workspace_id)):
        record_effect(session, spec, change.workspace_id,
                      None if spec.workspace_wide else incident_id)


def facts_by_number(session: Session, workspace_id: int, number: int
                    ) -> tuple[IncidentFacts, WorkspaceSettings] | None:
    """`facts()` and the workspace's settings in one statement, no ORM rows: for the hot
    path of a timeline note, where loading both rows as well as the incident's reference
    tripled the cost of an append."""
    row = session.connection().execute(_facts_query(), {"workspace_id": workspace_id,
                                                        "number": number}).first()
    if row is None:
        return None
    (incident_id, title, severity, status, services, publish, commander, settings) = row
    return (IncidentFacts(id=incident_id, workspace_id=workspace_id, number=number,
                          title=title, severity=Severity(severity), status=Status(status),
                          services=tuple(services or ()), auto_publish_to_status=publish,
                          commander_id=commander),
            WorkspaceSettings.from_json(settings))


@cache
def _facts_query() -> Executable:
    columns = (Incident.id, Incident.title, Incident.severity, Incident.status,
               Incident.services, Incident.auto_publish_to_status, Incident.commander_id,
               Workspace.settings)
    return core_select(*(col(c) for c in columns)).join(
        Workspace, col(Workspace.id) == col(Incident.workspace_id)).where(
        col(Incident.workspace_id) == bindparam("workspace_id"),
        col(Incident.number) == bindparam("number"))
