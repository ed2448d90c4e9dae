"""Clicks inside the timeline editor's modal: page, add, and each entry's menu. Every click
redraws the modal in place; what went wrong shows at its top, and nothing else changes."""

import logging
from typing import Any

from slack_bolt import Ack, App

from bot.modals import timeline as tl
from bot.modals.base import Block, Meta
from bot.people import People
from bot.runtime import Bot
from core.errors import DomainError, InvalidInput, NotFound
from core.permissions import Action
from services import slack_team, timeline_editor
from services.actor import Actor
from services.records import authorize
from services.slack_team import WorkspaceRef

log = logging.getLogger(__name__)
_DONE = {"delete": "Deleted the entry (the audit trail keeps it).",
         "hide": "Hidden from the postmortem; it stays on the timeline.",
         "show": "Shown in the postmortem again."}


def _value(body: dict[str, Any]) -> str:
    action = (body.get("actions") or [{}])[0]
    chosen = action.get("selected_option") or {}
    return str(chosen.get("value") or action.get("value") or "")


def _redraw(bot: Bot, workspace: WorkspaceRef, actor: Actor, meta: Meta, value: str,
            action_id: str) -> Block:
    words = value.split()
    if action_id == tl.ACTION_PAGE and len(words) == 2 and words[1].isdigit():
        return tl.list_view(timeline_editor.page(bot.db, workspace.id, words[0],
                                                 int(words[1])), meta)
    if action_id == tl.ACTION_ADD and len(words) == 1:
        authorize(actor, Action.POST_UPDATE, slack_team.find_incident(bot.db, workspace.id,
                                                                       words[0]))
        return tl.ADD.view(Meta(words[0], meta.response_url, meta.channel), tl.AddForm())
    if action_id == tl.ACTION_ENTRY and len(words) == 3 and words[2].isdigit():
        verb, key, event_id = words[0], words[1], int(words[2])
        page = int(meta.item) if meta.item and meta.item.isdigit() else 1
        if verb == "edit":
            authorize(actor, Action.EDIT_TIMELINE,
                      slack_team.find_incident(bot.db, workspace.id, key))
            entry = timeline_editor.entry(bot.db, workspace.id, key, event_id)
            if not entry.editable:
                raise InvalidInput("Recorded changes cannot be rewritten; hide them from the "
                                   "postmortem instead.")
            if len(entry.text) > tl.SLACK_INPUT:
                raise InvalidInput(f"That entry is {len(entry.text):,} characters, more than "
                                   "a Slack input holds; it can only be deleted and "
                                   "written again in parts.")
            return tl.EDIT.view(Meta(key, meta.response_url, meta.channel, str(event_id)),
                                tl.EntryForm(entry.text))
        if verb == "delete":
            timeline_editor.delete(bot.db, actor, key, event_id)
        elif verb in ("hide", "show"):
            timeline_editor.hide(bot.db, actor, key, event_id, verb == "hide")
        else:
            raise NotFound("That menu is out of date; run /vigilo timeline again.")
        return tl.list_view(timeline_editor.page(bot.db, workspace.id, key, page), meta,
                            f"✅ {_DONE[verb]}")
    raise NotFound("That button is out of date; run /vigilo timeline again.")


def register(app: App, bot: Bot, people: People) -> None:
    def on_click(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        bot.later(_click, bot, people, body)

    for action_id in (tl.ACTION_PAGE, tl.ACTION_ADD, tl.ACTION_ENTRY):
        app.action(action_id)(on_click)


def _click(bot: Bot, people: People, body: dict[str, Any]) -> None:
    view = body.get("view") or {}
    view_id = str(view.get("id") or "")
    meta = Meta.load(view.get("private_metadata"))
    action_id = str(((body.get("actions") or [{}])[0]).get("action_id") or "")
    team_id = (body.get("team") or {}).get("id") or view.get("team_id")
    user_id = str((body.get("user") or {}).get("id") or "")
    workspace = bot.workspace(team_id)
    if workspace is None:
        return  # nothing to show it in: the modal belongs to no workspace we serve
    new: Block | None
    try:
        actor = people.actor(workspace, user_id)
        new = _redraw(bot, workspace, actor, meta, _value(body), action_id)
        bot.notify()
    except DomainError as error:
        new = _refusal(bot, workspace, meta, error.message)
    except Exception:
        log.exception("timeline editor click %s failed", action_id)
        new = _refusal(bot, workspace, meta, "Something went wrong on Vigilo's side and "
                                             "nothing was changed. Try again.")
    if new is None:
        return
    try:
        bot.client.views_update(view_id=view_id, view=new)
    except Exception:
        log.exception("could not redraw the timeline editor %s", view_id)


def _refusal(bot: Bot, workspace: WorkspaceRef, meta: Meta, why: str) -> Block | None:
    """The list again, as it is now, with the reason on top."""
    if not meta.key:
        return None
    page = int(meta.item) if meta.item and meta.item.isdigit() else 1
    try:
        return tl.list_view(timeline_editor.page(bot.db, workspace.id, meta.key, page), meta,
                            error=why)
    except DomainError:
        return None
