"""Writing on the incident: log (timeline entry), update (a status update), action (action
item), change (record a change, in a modal)."""

import re
from datetime import date

from bot import render
from bot.commands.base import Call, Sub
from bot.commands.parse import UsageError, Words, mention
from bot.modals.new_change import open_new_change
from bot.modals.post_update import open_post_update, post
from services import action_items, timeline

LOG = "log [KEY] <text>"
UPDATE = "update [KEY] [text]"
CHANGE = "change [new]"
ACTION = "action [KEY] <text> [@owner] [due YYYY-MM-DD]"
_DUE = re.compile(r"\s+due\s+(\S+)\s*$", re.IGNORECASE)


def log(call: Call) -> render.Reply:
    key = call.key(LOG)
    if not call.rest:
        raise UsageError("Say what to put on the timeline.", LOG)
    # The trigger id is unique per invocation: a request that reaches us twice logs once.
    timeline.append_entry(call.bot.db, call.actor, key, call.text(), source="slack",
                          payload={"channel": call.channel_id},
                          dedupe_key=f"slack-command:{call.trigger_id}" if call.trigger_id
                          else None)
    return render.done(f"Logged on {key}'s timeline.")


def update(call: Call) -> render.Reply | None:
    """With text, the status update at once; alone, the Post update modal."""
    key = call.key(UPDATE)
    if not call.rest:
        open_post_update(call.bot, call.workspace, call.actor, call.trigger_id, key,
                         call.meta)
        return None
    post(call.bot, call.actor, key, call.text(),
         f"slack-command:{call.trigger_id}" if call.trigger_id else None, call.channel_id)
    return render.done(f"Update posted on {key}'s timeline; the update reminder starts "
                       "again from now.")


def change(call: Call) -> render.Reply | None:
    word = (call.rest.first() or "").lower()
    if word not in ("", "new", "add"):
        raise UsageError(f"I don't know '{render.echo(word)}' for changes.", CHANGE)
    open_new_change(call.bot, call.actor, call.trigger_id, call.meta)
    return None


def action(call: Call) -> render.Reply:
    key = call.key(ACTION)
    text = call.rest
    due = None
    found = _DUE.search(text.text)
    if found:
        due = due_date(found.group(1), ACTION)
        text = Words(text.text[:found.start()])
    words = text.tokens()
    owner = None
    if words and mention(words[-1][0]):
        owner = call.member(words[-1][0], ACTION)
        text = Words(text.text[: text.text.rfind(words[-1][0])].strip())
    if not text:
        raise UsageError("Say what needs doing.", ACTION)
    item = action_items.add_action_item(call.bot.db, call.actor, key, call.text(text),
                                        owner.id if owner else None, due)
    who = f" for <@{owner.slack_user_id}>" if owner else ""
    when = f", due {due.isoformat()}" if due else ""
    return render.done(f"Action item #{item.id} added to {key}{who}{when}.")


def due_date(word: str, usage: str) -> date:
    try:
        return date.fromisoformat(word)
    except ValueError:
        raise UsageError(f"'{render.echo(word)}' is not a date: write it YYYY-MM-DD "
                         "(like 2026-12-24).", usage) from None


SUBS = [
    Sub("log", LOG, "add an entry to the timeline", log, ("note",)),
    Sub("update", UPDATE, "post a status update (alone: in a form); resets the reminder",
        update),
    Sub("change", CHANGE, "record a change (deploy, flag flip) for Suggest cause", change,
        ("changes",)),
    Sub("action", ACTION, "add an action item, optionally with an owner and a due date",
        action),
]
