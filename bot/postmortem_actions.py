"""Buttons on the postmortem and action-item messages: Edit a section, move the
postmortem's status, mark an action item done or reopen it."""

from typing import Any

from slack_bolt import Ack, App, Respond

from bot import render
from bot.actions import Click, Work
from bot.commands import postmortem as pm_commands
from bot.modals import assign_item
from bot.modals import postmortem as pm_modals
from bot.modals.base import Meta
from bot.modals.flow import open_view
from bot.people import People
from bot.postmortem_blocks import (
    ACTION_ITEM_ASSIGN,
    ACTION_ITEM_DONE,
    ACTION_ITEM_REOPEN,
    ACTION_PM_DRAFT_AI,
    ACTION_PM_EDIT,
    ACTION_PM_MOVE,
    postmortem_message,
)
from bot.runtime import Bot
from core.errors import InvalidInput
from core.numbers import is_digits
from core.permissions import Action
from core.postmortem import PmMove, parse_section
from integrations.slack.blocks import ACTION_POSTMORTEM
from services import action_items, postmortems
from services.actor import Actor
from services.postmortem_view import get_postmortem
from services.records import authorize
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


def open_postmortem(click: Click, workspace: WorkspaceRef, actor: Actor) -> render.Reply:
    return pm_commands.open_or_show(click.bot, workspace, actor, click.key,
                                    click.bot.incident_url(workspace, click.key))


def _item(click: Click) -> int:
    if not is_digits(click.key):
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


def item_assign(click: Click, workspace: WorkspaceRef, actor: Actor) -> None:
    number = _item(click)
    authorize(actor, Action.POST_UPDATE)  # refused before the form, not after
    item = action_items.item_view(click.bot.db, actor, number)
    meta = Meta(item.key, click.meta.response_url, click.meta.channel, str(number))
    open_view(click.bot, click.trigger_id,
              assign_item.ASSIGN.view(meta, assign_item.AssignForm(item.owner_slack_id,
                                                                   item.text)))


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
    app.action(ACTION_POSTMORTEM)(clicked(open_postmortem))
    app.action(ACTION_ITEM_DONE)(clicked(item_done))
    app.action(ACTION_ITEM_REOPEN)(clicked(item_reopen))
    app.action(ACTION_ITEM_ASSIGN)(clicked(item_assign))
