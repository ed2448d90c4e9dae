"""Slack: the incident channel, who is in it, what is announced there, and its archive."""

from core import effects as fx
from core.events import (
    ActionItemOverdue,
    CommanderChanged,
    Declared,
    DomainEvent,
    PageProblem,
    PostmortemStatusChanged,
    ResponderAdded,
    SeverityChanged,
    StatusChanged,
    UpdatePosted,
)
from core.fsm import Status
from core.policies import slack_channels, slack_insight
from core.policies.spec import EffectSpec, event_key
from core.validation import WorkspaceSettings

# One creation (and one setup after it) per incident ever: the keys have no per-event part.
# `setup: apart` tells the creation that the setup is queued behind it (a creation recorded
# before setups were deliveries of their own sets the channel up itself).
OPEN_CHANNEL = [EffectSpec(fx.SLACK_CREATE_CHANNEL, "channel", {"setup": "apart"}),
                EffectSpec(fx.SLACK_SETUP_CHANNEL, "channel")]
UPDATE_CHARS = 2500  # Slack's section block holds 3,000; the announcement adds its header


def policy(event: DomainEvent, settings: WorkspaceSettings) -> list[EffectSpec]:
    # The announcements channel comes after the incident channel's effects: same lane, so
    # the channel it links to exists by then.
    return _incident_channel(event, settings) + slack_channels.broadcast(event, settings)


def _incident_channel(event: DomainEvent, settings: WorkspaceSettings) -> list[EffectSpec]:
    if event.incident is None:
        return []
    key = event_key(event)
    channels = settings.auto_create_channel
    if isinstance(event, Declared):
        return list(OPEN_CHANNEL) if channels and settings.create_channel_on == "open" else []
    if isinstance(event, StatusChanged):
        specs = []
        if (channels and settings.create_channel_on == "investigating"
                and event.new == Status.INVESTIGATING):
            specs += OPEN_CHANNEL
        specs.append(announce(event, key, old=event.old.value, new=event.new.value,
                              move=event.move.value if event.move else None,
                              reason=event.reason, root_cause=event.root_cause))
        if event.new == Status.RESOLVED and settings.auto_archive:
            specs.append(slack_channels.archive(key, settings))
        return specs
    if isinstance(event, SeverityChanged):
        return [announce(event, key, old=event.old.value, new=event.new.value)]
    if isinstance(event, CommanderChanged):
        specs = [announce(event, key, commander=event.new_name, commander_id=event.new_id)]
        if event.joined:
            specs.append(EffectSpec(fx.SLACK_INVITE, key, {"member_ids": [event.new_id]}))
        return specs
    if isinstance(event, PageProblem):
        return [announce(event, key, reason=event.reason, member=event.member)]
    if isinstance(event, ResponderAdded):
        return [EffectSpec(fx.SLACK_INVITE, key, {"member_ids": [event.member_id]})]
    if isinstance(event, ActionItemOverdue):
        # One reminder per item per overdue day: the job asking again records nothing.
        return [EffectSpec(fx.SLACK_REMIND_OWNER, f"item-{event.item_id}-day-{event.days}",
                           {"item_id": event.item_id, "owner_id": event.owner_id,
                            "due_on": event.due_on, "days": event.days})]
    if isinstance(event, UpdatePosted):
        # What one announcement can hold; the timeline keeps the whole update.
        return [announce(event, key, update=event.words[:UPDATE_CHARS])]
    if isinstance(event, PostmortemStatusChanged) and event.new == "published":
        return [announce(event, key, postmortem_status=event.new)]
    return slack_insight.policy(event, settings)


def announce(event: DomainEvent, key: str, **facts: object) -> EffectSpec:
    return EffectSpec(fx.SLACK_ANNOUNCE, key, {"event": event.name, "actor": event.actor,
                                               "event_id": event.event_id, **facts})

