"""The public status page: publish serious incidents, follow them in public wording, and
take them off again when they no longer qualify. Updates and withdrawals only touch what was
published; the adapter knows whether anything was."""

from core import effects as fx
from core import statuspage as public
from core.events import (
    Declared,
    DomainEvent,
    FieldsEdited,
    RootCauseSet,
    SeverityChanged,
    StatusChanged,
)
from core.fsm import Move, Status
from core.policies.spec import EffectSpec, crossed, event_key
from core.validation import WorkspaceSettings


def policy(event: DomainEvent, settings: WorkspaceSettings) -> list[EffectSpec]:
    incident = event.incident
    if incident is None:
        return []
    key = event_key(event)
    threshold = settings.status_page_auto_publish_severity.rank
    qualifies = incident.auto_publish_to_status and incident.severity.rank <= threshold
    if isinstance(event, StatusChanged):
        if event.new == Status.RESOLVED:
            return [EffectSpec(fx.STATUSPAGE_RESOLVE, key)]
        if event.old == Status.RESOLVED and event.move == Move.REOPEN:
            return [EffectSpec(fx.STATUSPAGE_PUBLISH, key)] if qualifies else []
        if event.new == Status.MITIGATED:
            return [EffectSpec(fx.STATUSPAGE_UPDATE, key, {"status": public.MONITORING})]
        return []
    if isinstance(event, RootCauseSet):
        return [EffectSpec(fx.STATUSPAGE_UPDATE, key, {"status": public.IDENTIFIED})]
    if isinstance(event, Declared):
        return [EffectSpec(fx.STATUSPAGE_PUBLISH, "declared")] if qualifies else []
    if isinstance(event, SeverityChanged):
        if not incident.auto_publish_to_status:
            return []
        if crossed(event.new.rank, event.old.rank, threshold):
            return [EffectSpec(fx.STATUSPAGE_PUBLISH, f"severity-{key}")]
        if crossed(event.old.rank, event.new.rank, threshold):  # lowered out of range
            return [EffectSpec(fx.STATUSPAGE_WITHDRAW, key)]
        return []
    if isinstance(event, FieldsEdited) and "auto_publish_to_status" in event.fields:
        if qualifies:
            return [EffectSpec(fx.STATUSPAGE_PUBLISH, f"auto-publish-{key}")]
        if not incident.auto_publish_to_status:
            return [EffectSpec(fx.STATUSPAGE_WITHDRAW, key)]
    return []
