"""PagerDuty: page at or above the workspace's paging severity; acknowledge when someone
starts investigating, keep the urgency and priority in step with the severity, resolve on
resolve, and add people's notes when the workspace mirrors them."""

from core import effects as fx
from core.events import DomainEvent, NoteAdded, SeverityChanged, StatusChanged
from core.fsm import Status
from core.policies.spec import EffectSpec, event_key, page_key
from core.validation import WorkspaceSettings


def policy(event: DomainEvent, settings: WorkspaceSettings) -> list[EffectSpec]:
    if event.incident is None:
        return []
    page = page_key(event, settings)
    if page is not None:
        return [EffectSpec(fx.PAGERDUTY_TRIGGER, page)]
    key = event_key(event)
    if isinstance(event, StatusChanged):
        if event.new == Status.RESOLVED:
            return [EffectSpec(fx.PAGERDUTY_RESOLVE, key)]
        if event.old == Status.OPEN and event.new == Status.INVESTIGATING:
            return [EffectSpec(fx.PAGERDUTY_ACKNOWLEDGE, key)]
    # Not only in paging range: an incident paged at p1 and lowered since still has its
    # PagerDuty incident. The adapter keeps the note in Vigilo when there is none.
    if isinstance(event, NoteAdded) and settings.pagerduty_mirror_notes and \
            event.event_id is not None:
        return [EffectSpec(fx.PAGERDUTY_NOTE, key, {"event_id": event.event_id})]
    # Paged before (the old severity was in range): PagerDuty's urgency follows. The adapter
    # does nothing when no PagerDuty incident exists.
    if isinstance(event, SeverityChanged) and event.old.at_least(settings.page_severity):
        return [EffectSpec(fx.PAGERDUTY_URGENCY, key, {"severity": event.new.value})]
    return []
