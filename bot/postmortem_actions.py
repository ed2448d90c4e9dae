"""Buttons on the postmortem message: Edit a section, move its status."""

from typing import Any

from slack_bolt import Ack, App, Respond

from bot import render
from bot.actions import Click, Work
from bot.modals import postmortem as pm_modals
from bot.people import People
from bot.postmortem_blocks import ACTION_PM_EDIT, ACTION_PM_MOVE, postmortem_message
from bot.runtime import Bot
from core.errors import InvalidInput
from core.postmortem import PmMove, parse_section
from services import postmortems
from services.actor import Actor
from services.postmortem_view import get_postmortem
from services.slack_team import WorkspaceRef


def _split(click: Click) -> tuple[str, str]:
    key, _, rest = click.key.partition(" ")
    if not key or not rest:
        raise InvalidInput("That button is out of date; run /vigilo postmortem again.")
    return key, rest


def edit(click: Click, workspace: WorkspaceRef, actor: Actor) -> None:
    key, section = _split(click)
    pm_modals.open_section(click.bot, workspace, actor, click.trigger_id, key,
                           parse_section(section), click.meta)


def move(click: Click, workspace: WorkspaceRef, actor: Actor) -> render.Reply:
    key, word = _split(click)
    try:
        step = PmMove(word)
    except ValueError:
        raise InvalidInput("That button is out of date; run /vigilo postmortem again.") from None
    done = postmortems.move(click.bot.db, actor, key, step)
    view = get_postmortem(click.bot.db, workspace.id, key)
    text, blocks = postmortem_message(view, click.bot.incident_url(workspace, key))
    note = f"✅ The postmortem of {key} is now *{done.status.replace('_', ' ')}*."
    return render.Reply(note, [render.section(note), *blocks], replace=True)


def register(app: App, bot: Bot, people: People) -> None:
    def clicked(work: Work) -> Any:
        def on_click(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
            ack()
            bot.later(Click(bot, people, body, respond).run, work)

        on_click.__name__ = f"on_pm_{work.__name__}"
        return on_click

    app.action(ACTION_PM_EDIT)(clicked(edit))
    app.action(ACTION_PM_MOVE)(clicked(move))
