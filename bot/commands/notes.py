"""Writing on the incident: log (timeline entry), action (action item)."""

import re
from datetime import date

from bot import render
from bot.commands.base import Call, Sub
from bot.commands.parse import UsageError, Words, mention
from services import action_items, timeline

LOG = "log [KEY] <text>"
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
    Sub("action", ACTION, "add an action item, optionally with an owner and a due date",
        action),
]
