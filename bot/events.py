"""Channel messages → timeline. Over HTTP, /slack/events stores message events in the inbox
and acks them without Bolt (bot.app); the inbox worker turns them into SlackMessages. In
Socket Mode they come through Bolt, and the listener stores them before Bolt acks.

What is kept is decided by `services.inbox_capture.to_message`. A redelivery
(X-Slack-Retry-Num) has the event id of the first delivery, so the inbox stores it once.
"""

import json
import logging
from typing import Any

from slack_bolt import App, BoltRequest

from bot.inbox import incoming
from bot.runtime import Bot
from services.inbox_capture import to_message
from services.inbox_writer import InboxWriter

log = logging.getLogger(__name__)

STORE_WAIT = 10.0  # seconds; past it Bolt gives Slack no ack, and Slack delivers it again


def register(app: App, bot: Bot, writer: InboxWriter) -> None:
    def on_message(body: dict[str, Any], event: dict[str, Any], request: BoltRequest) -> None:
        if to_message(event) is None:
            return
        row = incoming(request.raw_body or json.dumps(body), body, "application/json")
        if row is not None:
            writer.submit(row).result(STORE_WAIT)

    app.event("message")(on_message)
