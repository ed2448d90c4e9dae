"""PagerDuty: page at or above the workspace's paging severity; close the page on resolve."""

from core import effects as fx
from core.events import DomainEvent, StatusChanged
from core.fsm import Status
from core.policies.spec import EffectSpec, event_key, page_key
from core.validation import WorkspaceSettings


def policy(event: DomainEvent, settings: WorkspaceSettings) -> list[EffectSpec]:
    if event.incident is None:
        return []
    page = page_key(event, settings)
    if page is not None:
        return [EffectSpec(fx.PAGERDUTY_TRIGGER, page)]
    if isinstance(event, StatusChanged) and event.new == Status.RESOLVED:
        return [EffectSpec(fx.PAGERDUTY_RESOLVE, event_key(event))]
    return []
