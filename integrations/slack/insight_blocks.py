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
from services.situation import SituationInsight

ACTION_SNOOZE = "reminder_snooze"
ACTION_POST_UPDATE = "reminder_post_update"
ACTION_STORM_ACK = "storm_ack"
ACTION_STORM_RESOLVE = "storm_resolve"
ACTION_LINK_CHANGE = "cause_link"  # value: "INC-0042 CHG-0012"
MAX_TEXT = 3000
MAX_LINE = 300  # one suggested change or runbook in the pinned report


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


def url_text(url: str) -> str:
    """A URL safe inside Slack's <url|text>: its own <, > and | would end the link early."""
    return url.replace("<", "%3C").replace(">", "%3E").replace("|", "%7C")


def probable_cause(card: IncidentCard, insight: SituationInsight | None) -> list[Block]:
    """The situation report's Probable cause and runbooks: at most 2 + 3 blocks (the report
    stays far below Slack's 50), each suggested change with its why and a Link button."""
    if insight is None or insight.empty:
        return []
    blocks: list[Block] = []
    if insight.linked or insight.changes:
        head = "🧭 *Probable cause*"
        if insight.linked:
            head += (f"\n🔗 Linked: *{insight.linked}* "
                     f"{escape(clip(insight.linked_title or '', MAX_LINE))}")
        blocks.append(section(head))
    for change in insight.changes:
        if change.key == insight.linked:
            continue
        block = section(f"*{change.key}* {escape(clip(change.title, MAX_LINE))}\n"
                        f"_{escape(change.why)}_")
        block["accessory"] = button(ACTION_LINK_CHANGE, "Link", f"{card.key} {change.key}")
        blocks.append(block)
    if insight.runbooks:
        lines = [(f"• <{url_text(rb.link)}|{escape(clip(rb.title, MAX_LINE))}>" if rb.link
                  else f"• {escape(clip(rb.title, MAX_LINE))}") + f" — {escape(rb.why)}"
                 for rb in insight.runbooks]
        blocks.append(section("📖 *Runbooks that may help*\n" + "\n".join(lines)))
    return blocks
