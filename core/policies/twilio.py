"""Twilio: SMS the current on-call when an incident reaches the paging severity."""

from core import effects as fx
from core.events import DomainEvent
from core.policies.spec import EffectSpec, page_key
from core.validation import WorkspaceSettings


def policy(event: DomainEvent, settings: WorkspaceSettings) -> list[EffectSpec]:
    page = page_key(event, settings)
    return [EffectSpec(fx.TWILIO_PAGE, page)] if page is not None else []
