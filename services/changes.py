"""One way to record a change: the timeline entry, the audit row and the outbox effects.

Every use case ends with `record(...)` inside its transaction, after it authorized and
mutated rows. The domain event says what changed; the policies in core/ decide the effects.
"""

from dataclasses import replace
from typing import Any, TypeVar

from sqlmodel import Session

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
    workspace = session.get(Workspace, workspace_id)
    return WorkspaceSettings.from_json(workspace.settings if workspace else None)


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
    audit(session, actor, change.audit_action, incident, **(detail or {}))
    incident_id = incident.id if incident is not None else None
    for spec in effects_for(change, settings_of(session, change.workspace_id)):
        record_effect(session, spec, change.workspace_id,
                      None if spec.workspace_wide else incident_id)
    return entry
