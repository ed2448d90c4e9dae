"""What a policy asks for: an effect kind, a repeat-proof key, and structured facts."""

from dataclasses import dataclass, field
from typing import Any

from core.events import Declared, DomainEvent, SeverityChanged
from core.validation import WorkspaceSettings


@dataclass(frozen=True)
class EffectSpec:
    kind: str  # "<integration>.<verb>", from core.effects
    key: str  # the same key twice is the same effect: recorded once
    facts: dict[str, Any] = field(default_factory=dict)  # ids, statuses, names; never prose
    # Recorded for the workspace, not the event's incident: one effect for a change that
    # several incidents report at once (a storm's detection, recorded on every member).
    workspace_wide: bool = False


def event_key(event: DomainEvent) -> str:
    """Per-change key: the timeline entry's id when written, else the event's name."""
    return str(event.event_id) if event.event_id is not None else event.name


def page_key(event: DomainEvent, settings: WorkspaceSettings) -> str | None:
    """The key of the page this event triggers, or None: declared at or above the paging
    severity, or escalated into it. De-escalating never un-pages anyone."""
    threshold = settings.page_severity.rank
    if event.incident is None:
        return None
    if isinstance(event, Declared) and crossed(event.incident.severity.rank, None, threshold):
        return "declared"
    if isinstance(event, SeverityChanged) and crossed(event.new.rank, event.old.rank,
                                                      threshold):
        return f"severity-{event_key(event)}"
    return None


def crossed(new_rank: int, old_rank: int | None, threshold_rank: int) -> bool:
    """True when a severity moved into the range at or above a threshold (rank 1 = p1)."""
    return new_rank <= threshold_rank and (old_rank is None or old_rank > threshold_rank)
