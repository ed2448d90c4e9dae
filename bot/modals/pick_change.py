"""Pick a change: `/vigilo link` alone opens a modal whose external select searches the
workspace's recent changes as people type, and binds the one picked as the probable cause.

Slack asks for the options with a `block_suggestion` request while the modal is open. That is
a read: it is answered from the request itself, synchronously, and never stored in the
inbox as work (bot/inbox.py), since an answer given later reaches nobody.
"""

import logging
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App

from bot import render
from bot.modals.base import Block, FieldErrors, Meta, Values, banner, modal, plain
from bot.modals.flow import Finish, Submission
from bot.runtime import Bot
from core.change_keys import format_change_key
from integrations.slack.blocks import clip
from services import change_requests

log = logging.getLogger(__name__)

BLOCK = "change"
ACTION_PICK = "change_pick"  # the external select's action_id: Bolt's options listener key
MAX_OPTIONS = 50  # Slack shows at most 100; a search narrows past these
MAX_OPTION_TEXT = 75  # Slack's limit for an option's label
MAX_SEARCH = 100


@dataclass
class PickForm:
    change: str = ""  # CHG-0012
    label: str = ""


def option(key: str, title: str) -> Block:
    return {"text": plain(clip(f"{key} · {title}", MAX_OPTION_TEXT)), "value": key}


class PickChange:
    callback_id = "pick_change"
    title = "Pick a change"
    blocks: tuple[str, ...] = (BLOCK,)

    def view(self, meta: Meta, form: PickForm, error: str | None = None) -> Block:
        element: Block = {"type": "external_select", "action_id": ACTION_PICK,
                          "min_query_length": 0,
                          "placeholder": plain("Type a key (CHG-12) or words of the title")}
        if form.change:
            element["initial_option"] = option(form.change, form.label or form.change)
        blocks = [*banner(error),
                  {"type": "context", "elements": [
                      {"type": "mrkdwn", "text": f"The change that caused *{meta.key}*: "
                                                 "recent changes first."}]},
                  {"type": "input", "block_id": BLOCK, "label": plain("Change"),
                   "element": element}]
        return modal(self.callback_id, self.title, blocks, meta, submit="Link")

    def parse(self, values: Values) -> PickForm:
        chosen = ((values.get(BLOCK) or {}).get(ACTION_PICK) or {}).get("selected_option")
        if not isinstance(chosen, dict) or not chosen.get("value"):
            raise FieldErrors({BLOCK: "Pick a change from the list."})
        label = (chosen.get("text") or {}).get("text") if isinstance(chosen.get("text"),
                                                                     dict) else ""
        return PickForm(str(chosen["value"])[:20], str(label or ""))

    def users(self, form: PickForm) -> list[str]:
        return []

    def apply(self, sub: Submission, form: PickForm) -> Finish:
        _, change = change_requests.link(sub.bot.db, sub.actor, sub.meta.key or "",
                                         form.change)
        ckey = format_change_key(change.number)
        return lambda: render.done(f"{ckey} ({render.echo(change.title)}) is now the "
                                   f"probable cause of {sub.meta.key}.")


PICK = PickChange()


def suggestions(bot: Bot, team_id: str | None, typed: str) -> list[Block]:
    """The workspace's changes matching what was typed, newest first; none for a team that
    is not connected (Slack then shows "no results")."""
    workspace = bot.workspace(team_id)
    if workspace is None:
        return []
    rows = change_requests.recent(bot.db, workspace.id, limit=MAX_OPTIONS,
                                  search=" ".join(typed.split())[:MAX_SEARCH])
    return [option(format_change_key(r.number), r.title) for r in rows]


def register(app: App, bot: Bot) -> None:
    def on_suggest(ack: Ack, body: dict[str, Any]) -> None:
        team = body.get("team") if isinstance(body.get("team"), dict) else {}
        try:
            found = suggestions(bot, (team or {}).get("id") or body.get("team_id"),
                                str(body.get("value") or ""))
        except Exception:  # the database is away: an empty list, not a 500
            log.exception("change suggestions failed")
            found = []
        ack(options=found)

    app.options(ACTION_PICK)(on_suggest)
