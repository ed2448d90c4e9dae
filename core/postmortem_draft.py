"""The first draft of a postmortem, written from the incident's own record.

No model is needed: what happened when (the lifecycle entries), who did what (who wrote on
the timeline, and how much), and the root cause typed at resolve. People accept or edit it;
an AI draft, when configured, replaces the suggestion for the sections it covers.
"""

from dataclasses import dataclass, field
from datetime import datetime

from core.postmortem import Milestone, Section, impact_lines, span_text, when_text


@dataclass(frozen=True)
class KeyEvent:
    at: datetime
    actor: str | None
    label: str
    text: str


@dataclass(frozen=True)
class DraftFacts:
    key: str
    title: str
    severity: str
    severity_label: str
    services: tuple[str, ...]
    description: str
    root_cause: str | None
    stones: tuple[Milestone, ...]
    key_events: tuple[KeyEvent, ...]  # lifecycle entries, oldest first
    actors: tuple[tuple[str, int], ...]  # (person, entries written), busiest first
    commander: str | None = None
    change: str | None = None  # the linked causing change's title
    event_total: int = 0
    notes: tuple[KeyEvent, ...] = ()  # what people wrote (notes, channel messages), latest
    extra: dict[str, str] = field(default_factory=dict)


MAX_KEY_EVENTS = 12
MAX_ACTORS = 8


def deterministic_draft(facts: DraftFacts) -> dict[Section, str]:
    return {Section.SUMMARY: _summary(facts), Section.IMPACT: _impact(facts),
            Section.ROOT_CAUSE: _root_cause(facts),
            Section.CONTRIBUTING: _contributing(facts), Section.LESSONS: ""}


def _summary(facts: DraftFacts) -> str:
    detected = facts.stones[0].at
    resolved = facts.stones[-1].at
    lines = [f"{facts.key} ({facts.severity.upper()}, {facts.severity_label}): {facts.title}."]
    if facts.services:
        lines.append(f"Affected services: {', '.join(facts.services)}.")
    if detected is not None and resolved is not None:
        lines.append(f"Detected {when_text(detected)}, resolved {when_text(resolved)} "
                     f"({span_text(resolved - detected)} in all).")
    if facts.commander:
        lines.append(f"Commander: {facts.commander}.")
    if facts.description:
        lines.append("")
        lines.append(facts.description)
    if facts.key_events:
        lines.append("")
        lines.append("What happened when:")
        shown = facts.key_events[:MAX_KEY_EVENTS]
        lines += [f"- {e.at:%H:%M} UTC: {e.text}" for e in shown]
        if len(facts.key_events) > len(shown):
            lines.append(f"- …and {len(facts.key_events) - len(shown)} more lifecycle "
                         "entries on the timeline")
    if facts.actors:
        lines.append("")
        people = ", ".join(f"{name} ({count})" for name, count in facts.actors[:MAX_ACTORS])
        lines.append(f"Who wrote on the timeline ({facts.event_total} entries): {people}.")
    return "\n".join(lines)


def _impact(facts: DraftFacts) -> str:
    return "\n".join(impact_lines(list(facts.stones)))


def _root_cause(facts: DraftFacts) -> str:
    parts = []
    if facts.root_cause:
        parts.append(facts.root_cause)
    if facts.change:
        parts.append(f"Linked change: {facts.change}.")
    return "\n\n".join(parts)


def _contributing(facts: DraftFacts) -> str:
    lines = []
    acknowledged = facts.stones[1]
    if acknowledged.since_previous is not None:
        lines.append(f"- Time to acknowledge: {span_text(acknowledged.since_previous)}.")
    mitigated = facts.stones[2]
    if mitigated.since_previous is not None:
        lines.append(f"- Time from acknowledgement to mitigation: "
                     f"{span_text(mitigated.since_previous)}.")
    severity_changes = [e for e in facts.key_events if e.label == "severity_changed"]
    if severity_changes:
        lines.append(f"- The severity changed {len(severity_changes)} time(s) during the "
                     "response.")
    return "\n".join(lines)
