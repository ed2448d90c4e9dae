"""Twilio: SMS the current on-call when an incident reaches the paging severity."""

from core import effects as fx
from core.events import Declared, DomainEvent, SeverityChanged
from core.policies.spec import EffectSpec, crossed, event_key
from core.validation import WorkspaceSettings


def policy(event: DomainEvent, settings: WorkspaceSettings) -> list[EffectSpec]:
    incident = event.incident
    if incident is None:
        return []
    threshold = settings.page_severity.rank
    if isinstance(event, Declared) and crossed(incident.severity.rank, None, threshold):
        return [EffectSpec(fx.TWILIO_PAGE, "declared")]
    if isinstance(event, SeverityChanged) and crossed(event.new.rank, event.old.rank,
                                                      threshold):
        return [EffectSpec(fx.TWILIO_PAGE, f"severity-{event_key(event)}")]
    return []
