"""Block Kit for the messages Vigilo posts: situation report, announcements, closing summary.

The buttons are a contract with the Bolt listeners in bot/: each `action_id` below names one
next move, and every button's `value` is the incident key ("INC-0042"). Which buttons appear
follows the FSM, so a message never offers a move the services would refuse.
"""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from core.durations import duration_text
from core.fsm import ACTIVE_STATUSES, Move, Status, allowed_moves

ACTION_INVESTIGATE = "inc_investigate"
ACTION_MITIGATE = "inc_mitigate"
ACTION_RESOLVE = "inc_resolve"
ACTION_ADD_RESPONDERS = "inc_add_responders"
ACTION_POSTMORTEM = "inc_postmortem"
ACTION_REOPEN = "inc_reopen"
ACTION_ITEM_DONE = "item_done"  # value: an action item's number

NEXT_MOVES_BLOCK_ID = "inc_next_moves"

Block = dict[str, Any]

# action_id and button label for each FSM move.
MOVE_BUTTONS: dict[Move, tuple[str, str]] = {
    Move.INVESTIGATE: (ACTION_INVESTIGATE, "Start investigating"),
    Move.MITIGATE: (ACTION_MITIGATE, "Mark mitigated"),
    Move.RESOLVE: (ACTION_RESOLVE, "Resolve"),
    Move.OPEN_POST_MORTEM: (ACTION_POSTMORTEM, "Open postmortem"),
    Move.REOPEN: (ACTION_REOPEN, "Reopen"),
}
ACTION_MOVES: dict[str, Move] = {action: move for move, (action, _) in MOVE_BUTTONS.items()}


def button(action_id: str, label: str, key: str, *, style: str | None = None) -> Block:
    out: Block = {"type": "button", "action_id": action_id, "value": key,
                  "text": {"type": "plain_text", "text": label, "emoji": True}}
    if style:
        out["style"] = style
    return out


def next_move_buttons(status: str, key: str) -> Block:
    """An `actions` block with the moves the FSM allows from `status`, plus Add responders
    while the incident is active. `elements` is empty for a status with no next move (Slack
    refuses an empty actions block: use `next_move_blocks` to get [] instead)."""
    current = Status(status)
    elements: list[Block] = []
    for move in allowed_moves(current):
        action_id, label = MOVE_BUTTONS[move]
        elements.append(button(action_id, label, key, style=None if elements else "primary"))
    if current in ACTIVE_STATUSES:
        elements.append(button(ACTION_ADD_RESPONDERS, "Add responders", key))
    return {"type": "actions", "block_id": NEXT_MOVES_BLOCK_ID, "elements": elements}


def next_move_blocks(status: str, key: str) -> list[Block]:
    block = next_move_buttons(status, key)
    return [block] if block["elements"] else []


# --- messages --------------------------------------------------------------------------------

SEVERITY_MARKS = {"p1": "🔴", "p2": "🟠", "p3": "🟡", "p4": "🔵"}
SEVERITY_LABELS = {"p1": "critical", "p2": "high", "p3": "medium", "p4": "low"}
STATUS_LABELS = {"open": "Open", "investigating": "Investigating", "mitigated": "Mitigated",
                 "resolved": "Resolved", "post_mortem": "Post-mortem"}
MAX_HEADER = 150
MAX_SECTION = 3000
MAX_FIELD = 2000
MAX_TOPIC = 250


@dataclass(frozen=True)
class IncidentCard:
    """What a message shows about an incident; plain values so any layer can build one."""

    key: str
    title: str
    severity: str
    status: str
    url: str
    commander: str | None = None
    commander_slack_id: str | None = None
    services: tuple[str, ...] = ()
    description: str = ""

    @property
    def severity_text(self) -> str:
        return f"{self.severity.upper()} ({SEVERITY_LABELS.get(self.severity, '?')})"

    @property
    def status_text(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def commander_mention(self) -> str:
        if self.commander_slack_id:
            return f"<@{self.commander_slack_id}>"
        return escape(self.commander) if self.commander else "_nobody yet_"


@dataclass(frozen=True)
class ClosingFacts:
    duration: timedelta
    root_cause: str | None
    timeline_events: int
    responders: int
    action_items: int
    open_action_items: int


Message = tuple[str, list[Block]]  # fallback text (notifications, screen readers), blocks


def escape(text: str) -> str:
    """Slack mrkdwn treats &, < and > as markup: what people typed must show as typed."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def mrkdwn(text: str, limit: int = MAX_SECTION) -> Block:
    return {"type": "mrkdwn", "text": clip(text, limit)}


def section(text: str) -> Block:
    return {"type": "section", "text": mrkdwn(text)}


def context(text: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(text)]}


def header(text: str) -> Block:
    return {"type": "header",
            "text": {"type": "plain_text", "text": clip(text, MAX_HEADER), "emoji": True}}


def topic(card: IncidentCard) -> str:
    commander = card.commander or "nobody yet"
    return clip(f"{card.key} · {card.severity_text} · {card.status_text} · "
                f"Commander: {commander}", MAX_TOPIC)


def situation_report(card: IncidentCard, extra: list[Block] | None = None) -> Message:
    """`extra`: blocks shown after the description (Probable cause and runbooks)."""
    mark = SEVERITY_MARKS.get(card.severity, "")
    fields = [mrkdwn(f"*Severity*\n{mark} {card.severity_text}", MAX_FIELD),
              mrkdwn(f"*Status*\n{card.status_text}", MAX_FIELD),
              mrkdwn(f"*Commander*\n{card.commander_mention}", MAX_FIELD),
              mrkdwn("*Services*\n" + (escape(", ".join(card.services)) or "_none tagged_"),
                     MAX_FIELD)]
    blocks: list[Block] = [
        header(f"{mark} {card.key}: {card.title}".strip()),  # the title once, in the header
        {"type": "section", "fields": fields},
    ]
    if card.description.strip():
        blocks.append(section(escape(card.description.strip())))
    blocks += extra or []
    blocks.append(context(f"Situation report · <{card.url}|Open {card.key} in Vigilo> · "
                          "messages in this channel go on the timeline"))
    blocks += next_move_blocks(card.status, card.key)
    text = f"{card.key} {card.severity.upper()} · {card.status_text}: {escape(card.title)}"
    return clip(text, MAX_SECTION), blocks


def announcement(card: IncidentCard, text: str) -> Message:
    blocks: list[Block] = [
        section(escape(text)),
        context(f"{card.key} · {card.severity_text} · {card.status_text} · "
                f"Commander: {card.commander_mention} · <{card.url}|incident page>"),
        *next_move_blocks(card.status, card.key),
    ]
    return clip(f"{card.key}: {escape(text)}", MAX_SECTION), blocks


def closing_summary(card: IncidentCard, facts: ClosingFacts) -> Message:
    items = (f"{facts.action_items} ({facts.open_action_items} open)"
             if facts.action_items else "none yet")
    fields = [mrkdwn(f"*Duration*\n{duration_text(facts.duration)}", MAX_FIELD),
              mrkdwn(f"*Severity*\n{card.severity_text}", MAX_FIELD),
              mrkdwn(f"*Responders*\n{facts.responders}", MAX_FIELD),
              mrkdwn(f"*Timeline events*\n{facts.timeline_events}", MAX_FIELD),
              mrkdwn(f"*Commander*\n{card.commander_mention}", MAX_FIELD),
              mrkdwn(f"*Action items*\n{items}", MAX_FIELD)]
    cause = (escape(facts.root_cause) if facts.root_cause
             else "_not recorded yet_ — add it with `/vigilo cause <text>`")
    blocks: list[Block] = [
        header(f"✅ {card.key} {card.status_text.lower()}: {card.title}"),
        {"type": "section", "fields": fields},
        section(f"*Root cause*\n{cause}"),
        context(f"This channel is archived now; the full record stays at "
                f"<{card.url}|{card.key} in Vigilo>."),
        *next_move_blocks(card.status, card.key),
    ]
    text = f"{card.key} {card.status_text.lower()} after {duration_text(facts.duration)}"
    return text, blocks
