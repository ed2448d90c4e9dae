"""Channel messages → timeline. Over HTTP, /slack/events stores message events in the inbox
and acks them without Bolt (bot.app); the inbox worker turns them into SlackMessages. In
Socket Mode they come through Bolt, and the listener stores them before Bolt acks.

Kept: what people write (plain messages, thread replies, broadcasts, file shares, /me), and
their edits and deletions. Ignored: bot messages (ours included), joins, leaves, topic
changes and every other system subtype. A redelivery (X-Slack-Retry-Num) is captured like
the first delivery; its dedupe key makes it add nothing.
"""

import json
import logging
from typing import Any

from slack_bolt import App, BoltRequest

from bot.inbox import InboxWriter, incoming
from bot.runtime import Bot
from services.slack_capture import DELETE, EDIT, POST, SlackMessage

log = logging.getLogger(__name__)

STORE_WAIT = 10.0  # seconds; past it Bolt gives Slack no ack, and Slack delivers it again
HUMAN_SUBTYPES = {None, "thread_broadcast", "file_share", "me_message"}


def to_message(event: dict[str, Any]) -> SlackMessage | None:
    """The timeline's view of a message event, or None when it is not a person's message."""
    channel = str(event.get("channel") or "")
    subtype = event.get("subtype")
    if not channel:
        return None
    if subtype == "message_changed":
        inner = event.get("message") or {}
        if not _by_a_person(inner) or not inner.get("ts"):
            return None
        return SlackMessage(EDIT, channel, str(inner["ts"]), str(inner["user"]),
                            str(inner.get("text") or ""), inner.get("thread_ts"),
                            tuple(inner.get("files") or ()))
    if subtype == "message_deleted":
        previous = event.get("previous_message") or {}
        ts = event.get("deleted_ts") or previous.get("ts")
        if not ts or (previous and not _by_a_person(previous)):
            return None
        return SlackMessage(DELETE, channel, str(ts))
    if not _by_a_person(event) or not event.get("ts"):
        return None
    return SlackMessage(POST, channel, str(event["ts"]), str(event["user"]),
                        str(event.get("text") or ""), event.get("thread_ts"),
                        tuple(event.get("files") or ()))


def _by_a_person(message: dict[str, Any]) -> bool:
    return (message.get("subtype") in HUMAN_SUBTYPES and not message.get("bot_id")
            and not message.get("bot_profile") and bool(message.get("user")))


def register(app: App, bot: Bot, writer: InboxWriter) -> None:
    def on_message(body: dict[str, Any], event: dict[str, Any], request: BoltRequest) -> None:
        if to_message(event) is None:
            return
        row = incoming(request.raw_body or json.dumps(body), body, "application/json")
        if row is not None:
            writer.submit(row).result(STORE_WAIT)

    app.event("message")(on_message)
