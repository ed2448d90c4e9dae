"""How the announcements channel reads: one card per incident, storm and postmortem posts.

The incident's card is rewritten in place as the incident moves, so it carries no buttons
(the incident channel is where people act) and says everything at a glance: severity,
status, commander, title, its channel and its page.
"""

from core.durations import duration_text
from core.fsm import CLOSED_STATUSES
from core.storms import describe_key
from integrations.slack.blocks import (
    MAX_FIELD,
    SEVERITY_MARKS,
    Block,
    IncidentCard,
    Message,
    clip,
    context,
    escape,
    mrkdwn,
    section,
)

# What the bot stamps on its posts (chat.postMessage `metadata`): a retry whose answer was
# lost finds the post by it in conversations.history instead of posting again.
EVENT_TYPE = "vigilo_announcement"


def incident_card(card: IncidentCard, channel_id: str | None) -> Message:
    mark = "✅" if card.status in CLOSED_STATUSES else SEVERITY_MARKS.get(card.severity, "")
    where = f"<#{channel_id}>" if channel_id else "_no channel yet_"
    fields = [mrkdwn(f"*Status*\n{card.status_text}", MAX_FIELD),
              mrkdwn(f"*Severity*\n{card.severity_text}", MAX_FIELD),
              mrkdwn(f"*Commander*\n{card.commander_mention}", MAX_FIELD),
              mrkdwn(f"*Channel*\n{where}", MAX_FIELD)]
    blocks: list[Block] = [
        section(f"{mark} *<{card.url}|{card.key}>*: {escape(card.title)}".strip()),
        {"type": "section", "fields": fields},
        context(f"Kept up to date as {card.key} moves · <{card.url}|incident page>"),
    ]
    text = (f"{card.key} {card.severity.upper()} · {card.status_text}: {escape(card.title)}"
            f" · commander {card.commander or 'nobody yet'}")
    return clip(text, 3000), blocks


def postmortem_post(card: IncidentCard, actor: str | None) -> Message:
    link = f"{card.url}?tab=postmortem"
    who = escape(actor) if actor else "Someone"
    text = f"📘 Postmortem published for {card.key}: {escape(card.title)}"
    blocks: list[Block] = [
        section(f"📘 {who} published the postmortem of *<{card.url}|{card.key}>*: "
                f"{escape(card.title)}"),
        context(f"<{link}|Read the postmortem> · {card.severity_text}"),
    ]
    return clip(text, 3000), blocks


def storm_post(storm_id: int, reason: str, members: int, url: str) -> Message:
    why = escape(describe_key(reason))
    text = f"⚡ Possible incident storm #{storm_id}: {members} related incidents ({why})"
    blocks: list[Block] = [
        section(f"⚡ *Possible incident storm <{url}|#{storm_id}>*: {members} related "
                f"incidents ({why})."),
        context("In any member's channel, `/vigilo storm ack` makes you commander of all of "
                f"them · <{url}|see the storm>"),
    ]
    return clip(text, 3000), blocks


def archive_heads_up(delay_minutes: int) -> str:
    # "24 h" reads better than "1 d" for a day's wait: hours up to two days.
    hours, rest = divmod(delay_minutes, 60)
    wait = (f"{hours} h" if hours and not rest and delay_minutes < 2880
            else duration_text(delay_minutes * 60))
    return f"This channel will be archived in {wait}. Reopen the incident to keep it."
