"""Domain events of storms, changes, cause links and reminders (see core/events.py).

Kept beside core/events.py so the incident events stay one screen; they follow the same
contract: facts only, one class per change, a timeline label and an audit action each.
"""

from dataclasses import dataclass, field

from core.events import DomainEvent


class InsightLabel:
    STORM = "storm_joined"
    STORM_ACK = "storm_acknowledged"
    CAUSE_LINKED = "cause_linked"
    CAUSE_UNLINKED = "cause_unlinked"
    REMINDER_SNOOZED = "reminder_snoozed"


@dataclass(frozen=True, kw_only=True)
class StormJoined(DomainEvent):
    """An incident became a member of a storm (at detection, or later)."""

    label = InsightLabel.STORM
    audit = "storm.member_added"

    storm_id: int
    reason: str
    members: int  # the storm's size once this incident is in
    created: bool = False  # this pass created the storm


@dataclass(frozen=True, kw_only=True)
class StormAcknowledged(DomainEvent):
    """Acknowledge all: recorded on each member, the acknowledger now commands it."""

    label = InsightLabel.STORM_ACK
    audit = "storm.acknowledged"

    storm_id: int
    commander_id: int
    commander_name: str
    moved_to_investigating: bool


@dataclass(frozen=True, kw_only=True)
class StormResolved(DomainEvent):
    """No incident: the workspace's storm ended, by hand or after an hour with no member."""

    audit = "storm.resolved"

    storm_id: int
    automatic: bool


@dataclass(frozen=True, kw_only=True)
class ChangeRecorded(DomainEvent):
    """No incident: CI/CD, the CLI or Slack recorded a change (CHG-NNNN)."""

    audit = "change.recorded"

    change_id: int
    number: int
    assets: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True, kw_only=True)
class ChangeMatched(DomainEvent):
    """A newly recorded change is a suggested cause of this open incident (core/cause.py).
    Effects only: no timeline entry, which would silence the incident's update reminder."""

    audit = "change.matched"

    change_id: int
    number: int


@dataclass(frozen=True, kw_only=True)
class CauseLinked(DomainEvent):
    label = InsightLabel.CAUSE_LINKED
    audit = "incident.cause_linked"

    change_id: int
    number: int
    previous_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class CauseUnlinked(DomainEvent):
    label = InsightLabel.CAUSE_UNLINKED
    audit = "incident.cause_unlinked"

    change_id: int
    number: int


@dataclass(frozen=True, kw_only=True)
class ReminderSnoozed(DomainEvent):
    label = InsightLabel.REMINDER_SNOOZED
    audit = "reminder.snoozed"

    minutes: int


@dataclass(frozen=True, kw_only=True)
class ReminderDue(DomainEvent):
    """A nudge is due in the incident channel. Recorded as an effect only (no timeline entry:
    a nudge is not an update, or it would silence the next one)."""

    audit = "reminder.due"

    reminder: str  # core.reminders: stale, no_commander, mitigated
    key: str
    quiet_seconds: int
