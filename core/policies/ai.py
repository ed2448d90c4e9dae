"""AI: a first draft of the postmortem when it opens, and again when someone asks.

Whether a model is configured is the integration's business: when it is off, the registry
settles these effects as skipped with the reason.
"""

from core import effects as fx
from core.events import DomainEvent, PostmortemDraftRequested, PostmortemOpened
from core.policies.spec import EffectSpec, event_key
from core.validation import WorkspaceSettings


def policy(event: DomainEvent, settings: WorkspaceSettings) -> list[EffectSpec]:
    if event.incident is None:
        return []
    if isinstance(event, PostmortemOpened | PostmortemDraftRequested):
        return [EffectSpec(fx.AI_DRAFT_POSTMORTEM, event_key(event))]
    return []
