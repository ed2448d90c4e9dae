"""Domain events: what a use case changed, as facts, and who caused it.

Policies (core/policies/) turn an event into the side effects each integration needs. An event
knows its source so a change that came from an integration is never pushed back to it.
"""

from dataclasses import dataclass, field
from enum import StrEnum
from typing import ClassVar

from core.effects import Label
from core.fsm import Move, Status
from core.severity import Severity


class Source(StrEnum):
    """Where the actor acted from (services.actor.Actor.source)."""

    SLACK = "slack"
    WEB = "web"
    API = "api"
    CLI = "cli"
    PAGERDUTY = "pagerduty"
    TWILIO = "twilio"
    SCHEDULER = "scheduler"
    VIGILO = "vigilo"


@dataclass(frozen=True)
class IncidentFacts:
    """What a policy may know of an incident: no prose, nothing an adapter must not show."""

    id: int
    workspace_id: int
    number: int
    title: str
    severity: Severity
    status: Status
    services: tuple[str, ...] = ()
    auto_publish_to_status: bool = True
    commander_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class DomainEvent:
    workspace_id: int
    source: str
    incident: IncidentFacts | None = None
    actor: str | None = None  # display name at the time, for the adapters' own wording
    event_id: int | None = None  # the timeline entry that records it, once written

    # One vocabulary: the timeline label and the audit action each change is recorded as.
    label: ClassVar[str] = Label.NOTE
    audit: ClassVar[str] = "incident.note"

    @property
    def timeline_label(self) -> str:
        return self.label

    @property
    def audit_action(self) -> str:
        return self.audit

    @property
    def name(self) -> str:
        """snake_case of the class: `StatusChanged` → `status_changed`."""
        out = []
        for i, char in enumerate(type(self).__name__):
            if char.isupper() and i:
                out.append("_")
            out.append(char.lower())
        return "".join(out)


@dataclass(frozen=True, kw_only=True)
class Declared(DomainEvent):
    label = Label.CREATED
    audit = "incident.declared"


@dataclass(frozen=True, kw_only=True)
class StatusChanged(DomainEvent):
    old: Status
    new: Status
    move: Move | None = None  # None when an admin forced the status
    reason: str | None = None  # the forced move's reason
    root_cause: str | None = None  # typed at resolve

    @property
    def forced(self) -> bool:
        return self.move is None

    @property
    def timeline_label(self) -> str:
        return Label.STATUS if self.move else Label.FORCED

    @property
    def audit_action(self) -> str:
        return f"incident.{self.move.value}" if self.move else "incident.forced"

@dataclass(frozen=True, kw_only=True)
class SeverityChanged(DomainEvent):
    label = Label.SEVERITY
    audit = "incident.severity"

    old: Severity
    new: Severity


@dataclass(frozen=True, kw_only=True)
class CommanderChanged(DomainEvent):
    label = Label.COMMANDER
    audit = "commander.changed"

    old_id: int | None
    new_id: int
    new_name: str
    joined: bool = False  # the new commander was not on the incident before


@dataclass(frozen=True, kw_only=True)
class ResponderAdded(DomainEvent):
    label = Label.RESPONDER_ADDED
    audit = "responder.added"

    member_id: int
    member_name: str
    role: str


@dataclass(frozen=True, kw_only=True)
class ResponderRemoved(DomainEvent):
    label = Label.RESPONDER_REMOVED
    audit = "responder.removed"

    member_id: int
    member_name: str


@dataclass(frozen=True, kw_only=True)
class ResponderRoleChanged(DomainEvent):
    label = Label.RESPONDER_ROLE
    audit = "responder.demoted"

    member_id: int
    member_name: str
    old: str
    new: str


@dataclass(frozen=True, kw_only=True)
class RootCauseSet(DomainEvent):
    label = Label.ROOT_CAUSE
    audit = "incident.root_cause"

    text: str


@dataclass(frozen=True, kw_only=True)
class FieldsEdited(DomainEvent):
    label = Label.FIELDS
    audit = "incident.edited"

    fields: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True, kw_only=True)
class PostmortemOpened(DomainEvent):
    label = Label.POSTMORTEM
    audit = "postmortem.opened"

    timeline_events: int = 0


@dataclass(frozen=True, kw_only=True)
class PostmortemUnlinked(DomainEvent):
    label = Label.POSTMORTEM_UNLINKED
    audit = "postmortem.unlinked"


@dataclass(frozen=True, kw_only=True)
class ActionItemAdded(DomainEvent):
    label = Label.ACTION_ADDED
    audit = "action_item.added"

    item_id: int
    owner_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class ActionItemDone(DomainEvent):
    label = Label.ACTION_DONE
    audit = "action_item.completed"

    item_id: int


@dataclass(frozen=True, kw_only=True)
class PageProblem(DomainEvent):
    """An SMS page did not reach someone (or could not be sent): the commander must know."""

    label = "page_failed"
    audit = "page.failed"

    reason: str  # why, in the operator's words ("no phone number", "Twilio: undelivered")
    member: str | None = None  # who was to be paged, when known


@dataclass(frozen=True, kw_only=True)
class PageStatus(DomainEvent):
    """Twilio reported an SMS page's progress (sent, delivered)."""

    label = "page_status"
    audit = "page.status"

    member: str
    status: str


@dataclass(frozen=True, kw_only=True)
class StatusPagePosted(DomainEvent):
    """Someone published, updated or withdrew the incident on the public status page."""

    label = "status_page"
    audit = "statuspage.posted"

    action: str  # publish, update, withdraw
    public_status: str


@dataclass(frozen=True, kw_only=True)
class PostmortemStatusChanged(DomainEvent):
    """draft → in_review → published (or back to draft)."""

    label = Label.POSTMORTEM_STATUS

    old: str
    new: str

    @property
    def audit_action(self) -> str:
        return f"postmortem.{self.new}"


@dataclass(frozen=True, kw_only=True)
class ActionItemReopened(DomainEvent):
    label = Label.ACTION_REOPENED
    audit = "action_item.reopened"

    item_id: int


@dataclass(frozen=True, kw_only=True)
class ActionItemAssigned(DomainEvent):
    label = Label.ACTION_ASSIGNED
    audit = "action_item.assigned"

    item_id: int
    owner_id: int | None


@dataclass(frozen=True, kw_only=True)
class PostmortemDraftRequested(DomainEvent):
    """Someone asked for a (new) AI first draft of the postmortem."""

    label = Label.POSTMORTEM_DRAFT
    audit = "postmortem.draft_requested"


@dataclass(frozen=True, kw_only=True)
class ActionItemOverdue(DomainEvent):
    """An open action item is past its due date: its owner gets a reminder. An effect only,
    like every reminder: nothing changed on the incident."""

    audit = "action_item.overdue"

    item_id: int
    owner_id: int
    due_on: str  # YYYY-MM-DD
    days: int


@dataclass(frozen=True, kw_only=True)
class UpdatePosted(DomainEvent):
    """Someone posted a status update (the Post update form, `/vigilo update`): what is
    known, tried and next. The incident channel hears it in the person's own words."""

    label = Label.UPDATE
    audit = "incident.update"

    words: str


@dataclass(frozen=True, kw_only=True)
class NoteAdded(DomainEvent):
    """Someone wrote a note on the timeline (`/vigilo log`, the timeline editor), or a note
    came in from an integration (a PagerDuty annotation: its source is "pagerduty", so the
    mirror rule never sends it back). Its words stay on the timeline entry (`event_id`)."""

    label = Label.NOTE
    audit = "incident.note"
