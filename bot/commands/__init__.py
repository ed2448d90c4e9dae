"""`/vigilo`: one slash command, with subcommands. One module per group of subcommands.

The listener acks at once (an empty ack shows nothing) and the subcommand runs afterwards
on `bot.jobs`; its reply goes to the person alone through the command's response_url.
"""

import difflib
import logging
import re
from typing import Any

from slack_bolt import Ack, App, Respond

from bot import render
from bot.commands import (
    access,
    action_items,
    insight,
    integrations,
    lifecycle,
    notes,
    oncall,
    postmortem,
    reading,
    responders,
    settings,
    statuspage,
    timeline,
)
from bot.commands.base import Call, Sub, listing, table
from bot.commands.parse import UsageError, parse
from bot.people import People
from bot.runtime import Bot
from core.errors import DomainError, NotFound

log = logging.getLogger(__name__)

COMMAND = re.compile(r"^/vigilo[\w-]*$")  # /vigilo, and /vigilo-dev for a second install


def _help() -> render.Reply:
    return render.Reply(render.help_text(listing(SUBS)))


SUBS: list[Sub] = [
    *lifecycle.SUBS[:1], *reading.SUBS, *lifecycle.SUBS[1:], *postmortem.SUBS,
    *responders.SUBS, *notes.SUBS, *timeline.SUBS, *action_items.SUBS,
    *access.SUBS, *oncall.SUBS, *statuspage.SUBS, *integrations.SUBS,
    *settings.SUBS,
    Sub("help", "help", "this list", lambda call: _help()),
]
SUBS = insight.extend(SUBS)  # storm, link, unlink, stats before help; `cause suggest`
TABLE = table(SUBS)
NAMES = set(TABLE)


def register(app: App, bot: Bot, people: People) -> None:
    def on_vigilo(ack: Ack, command: dict[str, Any], respond: Respond) -> None:
        ack()
        bot.later(run, bot, people, command, respond)

    app.command(COMMAND)(on_vigilo)


def run(bot: Bot, people: People, payload: dict[str, Any], respond: Respond) -> None:
    def send(reply: render.Reply) -> None:
        try:
            respond(**reply.kwargs())
        except Exception:  # Slack is away: the change (if any) is recorded, the reply is lost
            log.exception("could not reply to /vigilo %s", str(payload.get("text"))[:40])

    def deliver(reply: render.Reply | render.Later) -> None:
        if not isinstance(reply, render.Reply):
            reply = built(reply)
        send(reply)
        bot.follow_up(reply, send)

    def built(later: render.Later) -> render.Reply:
        try:
            return later()
        except Exception:  # the change is recorded; only the words about it failed
            log.exception("/vigilo %s: building the reply failed", str(payload.get("text"))[:40])
            return render.unsaid()

    reply = answer(bot, people, payload)
    if reply is not None:
        bot.reply_later(deliver, reply)


def answer(bot: Bot, people: People, payload: dict[str, Any]
           ) -> render.Reply | render.Later | None:
    """The reply to one invocation; every failure becomes a specific message."""
    try:
        workspace = bot.workspace(payload.get("team_id"))
        if workspace is None:
            raise NotFound("This Slack workspace is not connected to Vigilo.")
        command = parse(str(payload.get("text") or ""), NAMES)
        if command.sub in ("", "help"):
            return _help()
        sub = TABLE.get(command.sub)
        if sub is None:
            near = difflib.get_close_matches(command.sub, sorted(NAMES), n=2, cutoff=0.75)
            return render.usage_error(
                f"I don't know the subcommand '{render.echo(command.sub)}'.", None, near)
        user_id = str(payload.get("user_id") or "")
        call = Call(bot, people, workspace, people.actor(workspace, user_id), command, user_id,
                    str(payload.get("channel_id") or ""), str(payload.get("trigger_id") or ""),
                    str(payload.get("response_url") or ""))
        reply = sub.run(call)
        bot.notify()
        return reply
    except UsageError as error:
        return render.usage_error(error.message, error.usage)
    except DomainError as error:
        return render.error(error)
    except Exception:
        log.exception("/vigilo %s failed", str(payload.get("text") or "")[:40])
        return render.failure()

