"""Slack's own words for an announced change, from the structured facts a policy recorded."""

from typing import Any

from core.change_keys import format_change_key
from core.fsm import TRANSITIONS, Move
from core.severity import Severity
from core.storms import describe_key


def announcement_text(facts: dict[str, Any]) -> str:
    # Effects recorded before facts replaced prose carry their text: deliver them as written.
    if facts.get("text"):
        return str(facts["text"])
    actor = facts.get("actor") or "Someone"
    event = facts.get("event")
    if event == "status_changed":
        old, new = facts.get("old"), facts.get("new")
        if not facts.get("move"):
            return f"{actor} forced the status {old} → {new}: {facts.get('reason') or ''}"
        text = f"{actor}: {TRANSITIONS[Move(facts['move'])].verb} ({old} → {new})"
        if facts.get("root_cause"):
            text += f". Root cause: {facts['root_cause']}"
        return text
    if event == "severity_changed":
        new = Severity(facts["new"])
        return f"{actor} changed the severity {facts.get('old')} → {new.value} ({new.label})"
    if event == "commander_changed":
        return f"{actor} made {facts.get('commander')} the incident commander"
    if event == "page_problem":
        who = f" to {facts['member']}" if facts.get("member") else ""
        return (f":pager: Commander: the SMS page{who} did not go out: {facts.get('reason')}. "
                "Reach the on-call another way.")
    if event == "update_posted":
        return f"📣 Update from {actor}:\n{facts.get('update') or ''}"
    if event == "postmortem_status_changed":
        return (f"📘 {actor} published the postmortem: read it on the incident's Postmortem "
                "tab, or export it as Markdown from there")
    insight = insight_text(event, facts)
    if insight:
        return insight
    return f"{actor} updated the incident"


def insight_text(event: object, facts: dict[str, Any]) -> str | None:
    """Storms and cause links (core/policies/slack_insight.py)."""
    if event == "storm_joined":
        reason = describe_key(str(facts.get("reason") or ""))
        return (f"Possible storm: this incident is one of {facts.get('members')} related "
                f"incidents ({reason}). Storm #{facts.get('storm_id')}: "
                "`/vigilo storm ack` makes you commander of all of them.")
    if event in ("cause_linked", "cause_unlinked"):
        key = format_change_key(int(facts.get("change_number") or 0))
        verb = "linked" if event == "cause_linked" else "unlinked"
        return f"{facts.get('actor') or 'Someone'} {verb} {key} as the probable cause"
    return None
