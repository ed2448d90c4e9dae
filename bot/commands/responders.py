"""Who works the incident: commander, add, remove, promote, demote."""

from collections.abc import Callable

from bot import modals, render
from bot.commands.base import Call, Handler, Sub
from bot.commands.parse import UsageError
from core.permissions import parse_responder_role
from services import responders
from services.actor import Actor
from store.db import Database

ADD = "add [KEY] @user [responder|observer]"


def add(call: Call) -> render.Reply | None:
    """`add @bob observer`; `add` alone opens the Add responders form (several people)."""
    key = call.key(ADD)
    if not call.rest:
        modals.open_add_responders(call.bot, call.workspace, call.actor, call.trigger_id, key,
                                   call.meta)
        return None
    role_words = call.rest.after_first()
    if role_words.after_first():
        raise UsageError("Add one person at a time, optionally with a role (or run `/vigilo "
                         "add` alone for the form).", ADD)
    role = parse_responder_role(role_words.first())
    member = call.member(call.rest.first(), ADD)
    responders.add_responder(call.bot.db, call.actor, key, member.id or 0, role)
    return render.done(f"Added <@{member.slack_user_id}> to {key} as {role.value}.")


COMMANDER = "commander [KEY] @user"
PROMOTE = "promote [KEY] @user"
REMOVE = "remove [KEY] @user"
DEMOTE = "demote [KEY] @user"


def _one_person(usage: str, act: Callable[[Database, Actor, str, int], object],
                said: str) -> Handler:
    """`<sub> [KEY] @user`: one person, one service call, one confirmation."""
    def run(call: Call) -> render.Reply:
        key = call.key(usage)
        _nothing_after(call, usage)
        member = call.member(call.rest.first(), usage)
        act(call.bot.db, call.actor, key, member.id or 0)
        return render.done(said.format(user=f"<@{member.slack_user_id}>", key=key))

    return run


_PROMOTED = "{user} now commands {key}."


def _nothing_after(call: Call, usage: str) -> None:
    if call.rest.after_first():
        raise UsageError("Name one person, with nothing after them.", usage)


SUBS = [
    Sub("commander", COMMANDER, "make someone the incident commander",
        _one_person(COMMANDER, responders.promote, _PROMOTED)),
    Sub("add", ADD, "add a responder or observer (alone: the form)", add),
    Sub("remove", REMOVE, "take someone off the incident",
        _one_person(REMOVE, responders.remove_responder, "Removed {user} from {key}.")),
    Sub("promote", PROMOTE, "promote a responder to commander",
        _one_person(PROMOTE, responders.promote, _PROMOTED)),
    Sub("demote", DEMOTE, "make a responder an observer",
        _one_person(DEMOTE, responders.demote, "{user} is now an observer on {key}.")),
]
