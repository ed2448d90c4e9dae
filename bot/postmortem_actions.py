"""Buttons on the postmortem and action-item messages: Edit a section, move the
postmortem's status, mark an action item done or reopen it."""

from typing import Any

from slack_bolt import Ack, App, Respond

from bot import render
from bot.actions import Click, Work
from bot.modals import postmortem as pm_modals
from bot.people import People
from bot.postmortem_blocks import (
    ACTION_ITEM_DONE,
    ACTION_ITEM_REOPEN,
    ACTION_PM_DRAFT_AI,
    ACTION_PM_EDIT,
    ACTION_PM_MOVE,
    postmortem_message,
)
from bot.runtime import Bot
from core.errors import InvalidInput
from core.postmortem import PmMove, parse_section
from services import action_items, postmortems
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
    text, blocks = postmortem_message(view, click.bot.incident_url(workspace, key),
                                      ai=click.bot.ai_off is None)
    note = f"✅ The postmortem of {key} is now *{done.status.replace('_', ' ')}*."
    return render.Reply(note, [render.section(note), *blocks], replace=True)


def ai_draft(click: Click, workspace: WorkspaceRef, actor: Actor) -> render.Reply:
    if click.bot.ai_off:
        raise InvalidInput(f"AI drafts are off: {click.bot.ai_off}.")
    postmortems.request_ai_draft(click.bot.db, actor, click.key)
    return render.done(f"Asked the AI for a first draft of {click.key}'s postmortem.")


def _item(click: Click) -> int:
    if not click.key.isdigit():
        raise InvalidInput("That button is out of date; run /vigilo actions again.")
    return int(click.key)


def item_done(click: Click, workspace: WorkspaceRef, actor: Actor) -> render.Reply:
    number = _item(click)
    action_items.set_done(click.bot.db, actor, number, True)
    return render.done(f"Action item #{number} is done.")


def item_reopen(click: Click, workspace: WorkspaceRef, actor: Actor) -> render.Reply:
    number = _item(click)
    action_items.set_done(click.bot.db, actor, number, False)
    return render.done(f"Action item #{number} is open again.")


def register(app: App, bot: Bot, people: People) -> None:
    def clicked(work: Work) -> Any:
        def on_click(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
            ack()
            bot.later(Click(bot, people, body, respond).run, work)

        on_click.__name__ = f"on_pm_{work.__name__}"
        return on_click

    app.action(ACTION_PM_EDIT)(clicked(edit))
    app.action(ACTION_PM_MOVE)(clicked(move))
    app.action(ACTION_PM_DRAFT_AI)(clicked(ai_draft))
    app.action(ACTION_ITEM_DONE)(clicked(item_done))
    app.action(ACTION_ITEM_REOPEN)(clicked(item_reopen))
