"""Slack effects of storms, cause links and reminders (the tail of core/policies/slack.py).

Storm membership and a linked cause are announced in the incident's channel, which also
refreshes its pinned situation report; a change recorded later that matches an open
incident redraws that report; a due reminder becomes a nudge with buttons.
"""

from core import effects as fx
from core.events import DomainEvent
from core.insight_events import (
    CauseLinked,
    CauseUnlinked,
    ChangeMatched,
    ReminderDue,
    StormJoined,
)
from core.policies.spec import EffectSpec, event_key
from core.validation import WorkspaceSettings


def policy(event: DomainEvent, settings: WorkspaceSettings) -> list[EffectSpec]:
    if event.incident is None:
        return []
    key = event_key(event)
    if isinstance(event, StormJoined):
        return [_announce(event, key, storm_id=event.storm_id, reason=event.reason,
                          members=event.members)]
    if isinstance(event, CauseLinked | CauseUnlinked):
        return [_announce(event, key, change_number=event.number)]
    if isinstance(event, ChangeMatched):
        # One redraw per change and incident: recording the match again is a no-op.
        return [EffectSpec(fx.SLACK_REFRESH_REPORT, f"change-{event.change_id}",
                           {"change_number": event.number})]
    if isinstance(event, ReminderDue):
        # The nudge's own key names the quiet spell: the job asking again records nothing.
        return [EffectSpec(fx.SLACK_NUDGE, event.key,
                           {"reminder": event.reminder, "quiet_seconds": event.quiet_seconds})]
    return []


def _announce(event: DomainEvent, key: str, **facts: object) -> EffectSpec:
    return EffectSpec(fx.SLACK_ANNOUNCE, key, {"event": event.name, "actor": event.actor,
                                               "event_id": event.event_id, **facts})
