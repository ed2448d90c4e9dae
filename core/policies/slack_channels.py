"""Slack's announcements channel and the delayed archive (part of core/policies/slack.py).

With `announce_channel` set, an incident at or above `announce_severity` has ONE message
there, posted when it is declared in range or escalated into it, and updated in place as it
moves (status, severity, commander, title). Storm detection and a published postmortem are
posted there too. Every incident change in the list below asks for an update; the handler
updates the message if the incident has one, and posts it if the incident is in range now.
"""

from core import effects as fx
from core.events import (
    CommanderChanged,
    Declared,
    DomainEvent,
    FieldsEdited,
    PostmortemStatusChanged,
    RootCauseSet,
    SeverityChanged,
    StatusChanged,
)
from core.insight_events import StormAcknowledged, StormJoined
from core.policies.spec import EffectSpec, event_key
from core.validation import WorkspaceSettings

INCIDENT, STORM, POSTMORTEM = "incident", "storm", "postmortem"  # what a broadcast is about
# What the incident's message shows changed: re-render it.
SHOWN = (StatusChanged, SeverityChanged, CommanderChanged, FieldsEdited, RootCauseSet,
         StormAcknowledged)


def broadcast(event: DomainEvent, settings: WorkspaceSettings) -> list[EffectSpec]:
    if not settings.announce_channel or event.incident is None:
        return []
    key = event_key(event)
    in_range = event.incident.severity.at_least(settings.announce_severity)
    if isinstance(event, Declared):
        return [_spec(key, INCIDENT)] if in_range else []
    if isinstance(event, SHOWN):
        return [_spec(key, INCIDENT)]
    if isinstance(event, PostmortemStatusChanged) and event.new == "published":
        return [_spec(f"postmortem-{key}", POSTMORTEM, actor=event.actor)]
    if isinstance(event, StormJoined) and event.created:
        # Every member of a new storm reports it; the workspace gets one post.
        return [EffectSpec(fx.SLACK_BROADCAST, f"storm-{event.storm_id}",
                           {"what": STORM, "storm_id": event.storm_id,
                            "reason": event.reason, "members": event.members},
                           workspace_wide=True)]
    return []


def archive(key: str, settings: WorkspaceSettings) -> EffectSpec:
    """Archive the channel on resolve at once, or after the workspace's archive_delay with a
    heads-up first (the scheduler archives it when due; a reopen cancels it)."""
    minutes = int(settings.archive_after.total_seconds() // 60)
    if minutes <= 0:
        return EffectSpec(fx.SLACK_ARCHIVE, key)
    return EffectSpec(fx.SLACK_ARCHIVE_LATER, key, {"delay_minutes": minutes})


def _spec(key: str, what: str, **facts: object) -> EffectSpec:
    return EffectSpec(fx.SLACK_BROADCAST, key, {"what": what, **facts})
