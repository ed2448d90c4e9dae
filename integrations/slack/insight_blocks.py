"""Slack messages for reminders, storms, cause suggestions and runbooks.

Button action ids live here so bot/ listens for exactly what integrations/ posts.
"""

from typing import Any

from core.durations import duration_text
from core.reminders import MITIGATED, NO_COMMANDER, STALE
from integrations.slack.blocks import (
    Block,
    IncidentCard,
    Message,
    button,
    clip,
    context,
    escape,
    next_move_blocks,
    section,
)

ACTION_SNOOZE = "reminder_snooze"
ACTION_POST_UPDATE = "reminder_post_update"
ACTION_STORM_ACK = "storm_ack"
ACTION_STORM_RESOLVE = "storm_resolve"
ACTION_LINK_CHANGE = "cause_link"  # value: "INC-0042 CHG-0012"
MAX_TEXT = 3000


def nudge_text(reminder: str, quiet_seconds: int, card: IncidentCard) -> str:
    quiet = duration_text(quiet_seconds)
    if reminder == STALE:
        return (f"⏰ No update on {card.key} for {quiet}. Post what you know so far, even "
                "if it is \"still investigating\".")
    if reminder == NO_COMMANDER:
        return (f"🧭 {card.key} has no commander. Someone take command: "
                "`/vigilo commander @you`.")
    if reminder == MITIGATED:
        return (f"✅ {card.key} has been mitigated for {quiet}. Resolve it once the cause "
                "is fixed.")
    return f"⏰ A reminder about {card.key}."


def nudge(card: IncidentCard, facts: dict[str, Any]) -> Message:
    reminder = str(facts.get("reminder") or "")
    text = nudge_text(reminder, int(facts.get("quiet_seconds") or 0), card)
    blocks: list[Block] = [section(escape(text)),
                           context(f"{card.key} · {card.severity_text} · {card.status_text} · "
                                   f"<{card.url}|incident page>")]
    if reminder == STALE:
        blocks.append({"type": "actions", "elements": [
            button(ACTION_POST_UPDATE, "Post update", card.key, style="primary"),
            button(ACTION_SNOOZE, "Snooze 30 min", card.key)]})
    elif reminder == MITIGATED:
        blocks.extend(next_move_blocks(card.status, card.key))
    return clip(escape(text), MAX_TEXT), blocks


def storm_buttons(storm_id: int) -> Block:
    return {"type": "actions", "elements": [
        button(ACTION_STORM_ACK, "Acknowledge all", str(storm_id), style="primary"),
        button(ACTION_STORM_RESOLVE, "Resolve storm", str(storm_id))]}
