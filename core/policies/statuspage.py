"""The public status page: publish serious incidents, follow them to resolved."""

from core import effects as fx
from core.events import Declared, DomainEvent, SeverityChanged, StatusChanged
from core.fsm import Move, Status
from core.policies.spec import EffectSpec, crossed, event_key
from core.validation import WorkspaceSettings


def policy(event: DomainEvent, settings: WorkspaceSettings) -> list[EffectSpec]:
    incident = event.incident
    if incident is None:
        return []
    key = event_key(event)
    # Resolving closes whatever was published; the adapter knows whether anything was.
    if isinstance(event, StatusChanged) and event.new == Status.RESOLVED:
        return [EffectSpec(fx.STATUSPAGE_RESOLVE, key)]
    threshold = settings.status_page_auto_publish_severity.rank
    if not incident.auto_publish_to_status or incident.severity.rank > threshold:
        return []
    if isinstance(event, Declared):
        return [EffectSpec(fx.STATUSPAGE_PUBLISH, "declared")]
    if isinstance(event, SeverityChanged) and crossed(event.new.rank, event.old.rank,
                                                      threshold):
        return [EffectSpec(fx.STATUSPAGE_PUBLISH, f"severity-{key}")]
    if (isinstance(event, StatusChanged) and event.old == Status.RESOLVED
            and event.move == Move.REOPEN):
        return [EffectSpec(fx.STATUSPAGE_PUBLISH, key)]
    return []
