"""PagerDuty: page at or above the workspace's paging severity; close the page on resolve."""

from core import effects as fx
from core.events import Declared, DomainEvent, SeverityChanged, StatusChanged
from core.fsm import Status
from core.policies.spec import EffectSpec, crossed, event_key
from core.validation import WorkspaceSettings


def policy(event: DomainEvent, settings: WorkspaceSettings) -> list[EffectSpec]:
    incident = event.incident
    if incident is None:
        return []
    threshold = settings.page_severity.rank
    if isinstance(event, Declared) and crossed(incident.severity.rank, None, threshold):
        return [EffectSpec(fx.PAGERDUTY_TRIGGER, "declared")]
    # Escalating into paging range pages now; de-escalating never un-pages anyone.
    if isinstance(event, SeverityChanged) and crossed(event.new.rank, event.old.rank,
                                                      threshold):
        return [EffectSpec(fx.PAGERDUTY_TRIGGER, f"severity-{event_key(event)}")]
    if isinstance(event, StatusChanged) and event.new == Status.RESOLVED:
        return [EffectSpec(fx.PAGERDUTY_RESOLVE, event_key(event))]
    return []
