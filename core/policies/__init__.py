"""Which side effects a domain event needs: one pure policy per integration, in one table.

`effects_for` runs every policy but the one of the integration that reported the change, so
a resolve that PagerDuty reported is never pushed back to PagerDuty. Slack is different: it is
where people act, and what they do there still needs its channel, posts and invites.
"""

from collections.abc import Callable

from core.events import DomainEvent
from core.policies import ai, pagerduty, slack, statuspage, twilio
from core.policies.spec import EffectSpec
from core.validation import WorkspaceSettings

Policy = Callable[[DomainEvent, WorkspaceSettings], list[EffectSpec]]

POLICIES: dict[str, Policy] = {
    "slack": slack.policy,
    "pagerduty": pagerduty.policy,
    "twilio": twilio.policy,
    "statuspage": statuspage.policy,
    "ai": ai.policy,
}


# Integrations that mirror an incident's state elsewhere: what they report is theirs already.
MIRRORS = frozenset({"pagerduty", "twilio", "statuspage"})


def effects_for(event: DomainEvent, settings: WorkspaceSettings) -> list[EffectSpec]:
    specs: list[EffectSpec] = []
    for name, policy in POLICIES.items():
        if name == event.source and name in MIRRORS:
            continue
        specs.extend(policy(event, settings))
    return specs


__all__ = ["MIRRORS", "POLICIES", "EffectSpec", "Policy", "effects_for"]
