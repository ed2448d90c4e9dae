"""Buttons on the messages Vigilo posts (and the home tab's Declare button).

Each button's value is the incident key; a click goes through the same service call, so the
same permission and FSM checks, as the matching command. What the clicker may not do comes
back to them alone.
"""

import logging
import re
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond

from bot import modals, render
from bot.modals.base import Meta
from bot.people import People
from bot.runtime import Bot
from core.errors import DomainError, NotFound
from integrations.slack.blocks import (
    ACTION_ADD_RESPONDERS,
    ACTION_MOVES,
    ACTION_POSTMORTEM,
    ACTION_RESOLVE,
)
from services import incidents
from services.actor import Actor
from services.slack_team import WorkspaceRef

log = logging.getLogger(__name__)

HOME_DECLARE = "home_declare"
LINK = re.compile(r"^link_")  # URL buttons: Slack still reports the click, we only ack
# Resolve asks for the root cause first, in its modal.
# Open postmortem answers with the postmortem itself (bot/postmortem_actions.py).
_MOVES = {action: move for action, move in ACTION_MOVES.items()
          if action not in (ACTION_RESOLVE, ACTION_POSTMORTEM)}


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
        action = (body.get("actions") or [{}])[0]
        self.action_id = str(action.get("action_id") or "")
        self.key = str(action.get("value") or "")
        self.trigger_id = str(body.get("trigger_id") or "")
        channel = str((body.get("channel") or {}).get("id") or "")
        self.meta = Meta(None, body.get("response_url") or None, channel or None)

    def run(self, work: "Work") -> None:
        try:
            workspace = self.bot.workspace(self.team_id)
            if workspace is None:
                raise NotFound("This Slack workspace is not connected to Vigilo.")
            reply = work(self, workspace, self.people.actor(workspace, self.user_id))
            self.bot.notify()
        except DomainError as error:
            reply = render.error(error)
        except Exception:
            log.exception("button %s failed", self.action_id)
            reply = render.failure()
        if reply is not None:
            self.tell(reply)

    def tell(self, reply: render.Reply) -> None:
        """Only the clicker sees it: the message's response_url, else a direct message."""
        try:
            if self.respond is not None and self.meta.response_url:
                self.respond(**reply.kwargs())
            else:
                self.bot.client.chat_postMessage(channel=self.user_id,
                                                 text=reply.kwargs()["text"])
        except Exception:
            log.exception("could not answer a click by %s", self.user_id)


Work = Callable[[Click, WorkspaceRef, Actor], render.Reply | None]


def move(click: Click, workspace: WorkspaceRef, actor: Actor) -> render.Reply:
    incident = incidents.transition(click.bot.db, actor, click.key, _MOVES[click.action_id])
    return render.done(f"{click.key} is now *{render.status_text(incident.status)}*.")


def resolve(click: Click, workspace: WorkspaceRef, actor: Actor) -> None:
    modals.open_resolve(click.bot, workspace, actor, click.trigger_id, click.key, click.meta)


def add_responders(click: Click, workspace: WorkspaceRef, actor: Actor) -> None:
    modals.open_add_responders(click.bot, workspace, actor, click.trigger_id, click.key,
                               click.meta)


def declare(click: Click, workspace: WorkspaceRef, actor: Actor) -> None:
    modals.open_new(click.bot, actor, click.user_id, click.trigger_id, click.meta)


def register(app: App, bot: Bot, people: People) -> None:
    def clicked(work: Work) -> Callable[..., None]:
        def on_click(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
            ack()
            bot.later(Click(bot, people, body, respond).run, work)

        on_click.__name__ = f"on_{work.__name__}"
        return on_click

    def on_link(ack: Ack) -> None:
        ack()

    app.action(re.compile("^(" + "|".join(map(re.escape, _MOVES)) + ")$"))(clicked(move))
    app.action(ACTION_RESOLVE)(clicked(resolve))
    app.action(ACTION_ADD_RESPONDERS)(clicked(add_responders))
    app.action(HOME_DECLARE)(clicked(declare))
    app.action(LINK)(on_link)
