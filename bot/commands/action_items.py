"""`/vigilo actions [mine]`, and `actions done|reopen <n>`, `actions assign <n> @owner`:
open action items across every incident of the workspace, with Done buttons."""

from typing import Any

from bot import render
from bot.commands.base import Call, Sub
from bot.commands.parse import UsageError, mention
from bot.postmortem_blocks import item_blocks
from core.numbers import is_digits
from integrations.slack.blocks import clip, escape
from services import action_items
from services.action_items import OpenItem

USAGE = "actions [mine] | actions done|reopen <n> | actions assign <n> @owner"
SHOWN = 20  # two blocks per item, under a message's 50


def actions(call: Call) -> render.Reply:
    word = (call.rest.first() or "").lower()
    rest = call.rest.after_first()
    if word in ("", "mine", "all"):
        if rest:
            raise UsageError("`actions` takes `mine` or nothing.", USAGE)
        return listing(call, mine=word == "mine")
    if word in ("done", "reopen", "assign"):
        number = _number(rest.first(), word)
        if word == "assign":
            who = rest.after_first()
            if not who or who.after_first():
                raise UsageError("Assign to whom? One @-mention.", USAGE)
            owner = call.member(who.first(), USAGE) if mention(who.first()) else None
            if owner is None:
                raise UsageError("Name the new owner with an @-mention.", USAGE)
            action_items.assign(call.bot.db, call.actor, number, owner.id)
            return render.done(f"Action item #{number} is now <@{owner.slack_user_id}>'s.")
        if rest.after_first():
            raise UsageError(f"`actions {word}` takes only the item's number.", USAGE)
        action_items.set_done(call.bot.db, call.actor, number, word == "done")
        state = "done" if word == "done" else "open again"
        return render.done(f"Action item #{number} is {state}.")
    raise UsageError(f"I don't know `actions {render.echo(word)}`.", USAGE)


def _number(word: str | None, verb: str) -> int:
    text = (word or "").lstrip("#")
    if not is_digits(text):
        raise UsageError(f"Which item? Give its number: `/vigilo actions {verb} 12`.", USAGE)
    return int(text)


def listing(call: Call, *, mine: bool) -> render.Reply:
    items, total = action_items.open_items(call.bot.db, call.workspace.id,
                                           owner_id=call.actor.member_id if mine else None,
                                           limit=SHOWN)
    label = "Your open action items" if mine else "Open action items"
    if not items:
        return render.Reply(f"{label}: none. 🎉")
    head = f"*{label}* ({total})"
    blocks: list[dict[str, Any]] = [render.section(head)]
    for item in items:
        blocks += item_blocks(clip(line(call, item), 3000), item.id, False)
    if total > len(items):
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": (
            f"…and {total - len(items)} more, due later.")}]})
    return render.Reply(head + "\n" + "\n".join(line(call, i) for i in items), blocks)


def line(call: Call, item: OpenItem) -> str:
    owner = f"<@{item.owner_slack_id}>" if item.owner_slack_id else "no owner"
    due = f"due {item.due_on.isoformat()}" if item.due_on else "no due date"
    return (f"#{item.id} {escape(item.text)} · {owner} · {due} · "
            f"<{call.url(item.key)}|{item.key}>")


SUBS = [Sub("actions", USAGE, "open action items across incidents (mine: yours); mark them "
            "done, reopen, assign", actions, ("todo",))]
