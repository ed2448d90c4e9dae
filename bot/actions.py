"""Buttons on the messages Vigilo posts (and the home tab's Declare button).

Each button's value is the incident key; a click goes through the same service call, so the
same permission and FSM checks, as the matching command. What the clicker may not do comes
back to them alone.
"""

import logging
import re
from typing import Any

from slack_bolt import Ack, App, Respond

from bot import modals, render
from bot.modals.base import Meta
from bot.people import People
from bot.runtime import Bot
from core.errors import DomainError, NotFound
from integrations.slack_blocks import (
    ACTION_ADD_RESPONDERS,
    ACTION_MOVES,
    ACTION_RESOLVE,
)
from services import incidents

log = logging.getLogger(__name__)

HOME_DECLARE = "home_declare"
LINK = re.compile(r"^link_")  # URL buttons: Slack still reports the click, we only ack
# Resolve asks for the root cause first, in its modal.
_MOVES = {action: move for action, move in ACTION_MOVES.items() if action != ACTION_RESOLVE}


class Click:
    """One button click, after ack."""

    def __init__(self, bot: Bot, people: People, body: dict[str, Any],
                 respond: Respond | None) -> None:
        self.bot = bot
        self.people = people
        self.body = body
        self.respond = respond
        self.user_id = str((body.get("user") or {}).get("id") or "")
        self.team_id = ((body.get("team") or {}).get("id")
                        or (body.get("user") or {}).get("team_id"))
        actions = body.get("actions") or [{}]
        self.key = str(actions[0].get("value") or "")
        self.channel = str((body.get("channel") or {}).get("id") or "")
        self.meta = Meta(None, body.get("response_url") or None, self.channel or None)

    def run(self, work: Any) -> None:
        try:
            workspace = self.bot.workspace(self.team_id)
            if workspace is None:
                raise NotFound("This Slack workspace is not connected to Vigilo.")
            reply = work(workspace, self.people.actor(workspace, self.user_id))
            self.bot.notify()
        except DomainError as error:
            reply = render.error(error)
        except Exception:
            log.exception("button %s failed", self.body.get("actions"))
            reply = render.failure()
        if reply is not None:
            self.tell(reply)

    def tell(self, reply: render.Reply) -> None:
        """Only the clicker sees it: the message's response_url, else a direct message."""
        try:
            if self.respond is not None and self.body.get("response_url"):
                self.respond(**reply.kwargs())
            else:
                kwargs = reply.kwargs()
                self.bot.client.chat_postMessage(channel=self.user_id, text=kwargs["text"])
        except Exception:
            log.exception("could not answer a click by %s", self.user_id)


def register(app: App, bot: Bot, people: People) -> None:
    def later(body: dict[str, Any], respond: Respond | None, work: Any) -> None:
        bot.later(Click(bot, people, body, respond).run, work)

    def on_move(ack: Ack, body: dict[str, Any], action: dict[str, Any],
                respond: Respond) -> None:
        ack()
        move = _MOVES[str(action.get("action_id"))]
        key = str(action.get("value") or "")

        def work(workspace: Any, actor: Any) -> render.Reply:
            incident = incidents.transition(bot.db, actor, key, move)
            return render.done(f"{key} is now *{render.status_text(incident.status)}*.")

        later(body, respond, work)

    def on_resolve(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        click = Click(bot, people, body, respond)
        bot.later(click.run, lambda ws, actor: modals.open_resolve(
            bot, ws, actor, str(body.get("trigger_id") or ""), click.key, click.meta))

    def on_add_responders(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        click = Click(bot, people, body, respond)
        bot.later(click.run, lambda ws, actor: modals.open_add_responders(
            bot, ws, actor, str(body.get("trigger_id") or ""), click.key, click.meta))

    def on_declare(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        click = Click(bot, people, body, respond)
        bot.later(click.run, lambda ws, actor: modals.open_new(
            bot, actor, click.user_id, str(body.get("trigger_id") or ""), click.meta))

    def on_link(ack: Ack) -> None:
        ack()

    app.action(re.compile("^(" + "|".join(map(re.escape, _MOVES)) + ")$"))(on_move)
    app.action(ACTION_RESOLVE)(on_resolve)
    app.action(ACTION_ADD_RESPONDERS)(on_add_responders)
    app.action(HOME_DECLARE)(on_declare)
    app.action(LINK)(on_link)
