"""Buttons of storms, cause suggestions and reminders, on the same path as the commands:
one service call each, the same permission checks, the answer to the clicker alone."""

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond

from bot import render
from bot.actions import Click, Work
from bot.modals.post_update import open_post_update
from bot.people import People
from bot.runtime import Bot
from core.change_keys import format_change_key
from core.errors import InvalidInput
from core.numbers import is_digits
from integrations.slack.insight_blocks import (
    ACTION_LINK_CHANGE,
    ACTION_POST_UPDATE,
    ACTION_SNOOZE,
    ACTION_STORM_ACK,
    ACTION_STORM_RESOLVE,
)
from services import change_requests, reminders, storms
from services.actor import Actor
from services.slack_team import WorkspaceRef
from store.types import utcnow


def _storm_id(click: Click) -> int:
    if not is_digits(click.key) or len(click.key) > 12:
        raise InvalidInput("That button does not name a storm.", field="storm")
    return int(click.key)


def link_change(click: Click, workspace: WorkspaceRef, actor: Actor) -> render.Reply:
    parts = click.key.split()
    if len(parts) != 2:
        raise InvalidInput("That button does not name an incident and a change.")
    _, change = change_requests.link(click.bot.db, actor, parts[0], parts[1])
    return render.done(f"{format_change_key(change.number)} is now the probable cause of "
                       f"{parts[0]}.")


def storm_ack(click: Click, workspace: WorkspaceRef, actor: Actor) -> render.Reply:
    result = storms.acknowledge_all(click.bot.db, actor, _storm_id(click), utcnow())
    moved = (f" Started investigating {', '.join(result.investigating)}."
             if result.investigating else "")
    return render.done(f"You now command {', '.join(result.commanded) or 'no open member'} "
                       f"(storm #{click.key}).{moved}")


def storm_resolve(click: Click, workspace: WorkspaceRef, actor: Actor) -> render.Reply:
    storms.resolve(click.bot.db, actor, _storm_id(click), utcnow())
    return render.done(f"Storm #{click.key} resolved.")


def snooze(click: Click, workspace: WorkspaceRef, actor: Actor) -> render.Reply:
    until = reminders.snooze(click.bot.db, actor, click.key, utcnow())
    return render.done(f"No update reminders for {click.key} until {until:%H:%M} UTC.")


def post_update(click: Click, workspace: WorkspaceRef, actor: Actor) -> None:
    open_post_update(click.bot, workspace, actor, click.trigger_id, click.key, click.meta)


BUTTONS: dict[str, Work] = {
    ACTION_LINK_CHANGE: link_change, ACTION_STORM_ACK: storm_ack,
    ACTION_STORM_RESOLVE: storm_resolve, ACTION_SNOOZE: snooze,
    ACTION_POST_UPDATE: post_update,
}


def register(app: App, bot: Bot, people: People) -> None:
    def clicked(work: Work) -> Callable[..., None]:
        def on_click(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
            ack()
            bot.later(Click(bot, people, body, respond).run, work)

        on_click.__name__ = f"on_{work.__name__}"
        return on_click

    for action_id, work in BUTTONS.items():
        app.action(action_id)(clicked(work))
