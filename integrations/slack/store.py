"""The Slack handlers' view of an incident, built from `services.slack_channel`'s read
models; what they write goes through the same service, each call its own short transaction.

No transaction is held across a Slack call, and nothing here queries a table: the adapter
reads and writes through services, like every integration (docs/architecture.md).
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.effects import Label
from core.keys import format_key
from core.validation import WorkspaceSettings
from integrations.slack.blocks import ClosingFacts, IncidentCard
from services import situation, slack_channel
from services.slack_channel import (
    CHANNEL,
    SLACK,
    IncidentGone,
    add_event,
    channel_claimed,
    channel_memo,
    progress,
    remember,
    slack_ids,
    store_channel,
)
from store.db import Database
from store.types import utcnow

__all__ = ["CHANNEL", "SLACK", "IncidentGone", "Snapshot", "add_event", "channel_claimed",
           "channel_effect", "channel_memo", "closing_facts", "load", "mark", "progress",
           "remember", "slack_ids", "store_channel"]

CHANNEL_CREATED = Label.CHANNEL_CREATED
CHANNEL_ARCHIVED = Label.CHANNEL_ARCHIVED
CHANNEL_UNARCHIVED = Label.CHANNEL_UNARCHIVED
mark = slack_channel.mark_progress
channel_effect = slack_channel.channel_effect


@dataclass(frozen=True)
class Snapshot:
    """The incident as the handlers need it, with the card its messages are made from."""

    incident_id: int
    workspace_id: int
    key: str
    number: int
    title: str
    status: str
    settings: WorkspaceSettings
    card: IncidentCard
    channel_id: str | None
    channel_name: str | None
    memo: dict[str, Any]  # the channel's memo as read with the rest (channel_memo's)
    slack_user_ids: tuple[str, ...]  # commander first, then everyone else on the incident
    detected_at: datetime
    resolved_at: datetime | None
    root_cause: str | None
    caused_by_change_id: int | None

    @property
    def subject(self) -> situation.Subject:
        """What the situation report's insight is worked out from."""
        return situation.Subject(self.workspace_id, self.number, self.title,
                                 self.card.description, self.card.services,
                                 self.detected_at, self.caused_by_change_id,
                                 self.settings.cause_lookback_hours)

    @property
    def where(self) -> str:
        return f"#{self.channel_name}" if self.channel_name else (self.channel_id or "?")


def load(db: Database, incident_id: int, base_url: str) -> Snapshot:
    view = slack_channel.incident_view(db, incident_id)
    key = format_key(view.number)
    commander = view.commander
    card = IncidentCard(
        key=key, title=view.title, severity=view.severity, status=view.status,
        url=f"{base_url.rstrip('/')}/ws/{view.workspace_slug}/incidents/{key}",
        commander=commander.display_name if commander else None,
        commander_slack_id=commander.slack_user_id if commander else None,
        services=view.services, description=view.description)
    return Snapshot(
        incident_id=incident_id, workspace_id=view.workspace_id, key=key,
        number=view.number, title=view.title, status=view.status, settings=view.settings,
        card=card, channel_id=view.channel_id, channel_name=view.channel_name, memo=view.memo,
        slack_user_ids=tuple(dict.fromkeys(p.slack_user_id for p in view.people
                                           if p.slack_user_id)),
        detected_at=view.detected_at, resolved_at=view.resolved_at,
        root_cause=view.root_cause, caused_by_change_id=view.caused_by_change_id)


def closing_facts(db: Database, snap: Snapshot) -> ClosingFacts:
    counts = slack_channel.closing_counts(db, snap.incident_id)
    end = snap.resolved_at or utcnow()
    return ClosingFacts(duration=end - snap.detected_at, root_cause=snap.root_cause,
                        timeline_events=counts.timeline_events, responders=counts.responders,
                        action_items=counts.action_items,
                        open_action_items=counts.open_action_items)
