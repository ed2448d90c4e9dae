"""Declaring and moving incidents: new, investigate, mitigate, resolve, reopen, postmortem,
force, severity, cause, edit."""

import re

from bot import modals, render
from bot.commands.base import Call, Handler, Sub
from bot.commands.parse import UsageError
from bot.modals.new_incident import declared_reply
from core.fsm import Move, move_name, parse_status
from services import incidents

_SEVERITY_WORD = re.compile(r"^(?:p|sev)[1-4]$", re.IGNORECASE)

NEW = "new [p1|p2|p3|p4] <title>"


def new(call: Call) -> render.Reply | render.Later | None:
    """`new` opens the form; `new p1 Checkout is down` declares at once (the 3 a.m. path)."""
    if not call.rest and not call.command.key:
        modals.open_new(call.bot, call.actor, call.user_id, call.trigger_id, call.meta)
        return None
    words = call.rest
    severity = None
    first = words.first()
    if first is not None and _SEVERITY_WORD.match(first):
        severity, words = first, words.after_first()
    if not words:
        raise UsageError("Give the incident a title, or run `/vigilo new` alone for the form.",
                         NEW)
    # One declaration per invocation, even if the request reaches us twice.
    incident = incidents.declare(call.bot.db, call.actor, title=call.text(words),
                                 severity=severity,
                                 idempotency_key=f"slack:{call.trigger_id}" if call.trigger_id
                                 else None)
    # Built on a reply thread: in a burst, the job threads go on to the next declaration.
    return lambda: declared_reply(call.bot, call.workspace, incident)


def _move(move: Move, usage: str) -> Handler:
    def run(call: Call) -> render.Reply:
        if call.rest:
            raise UsageError(f"`{move_name(move)}` takes no text after the key "
                             f"(got '{render.echo(call.rest.text)}').", usage)
        key = call.key(usage)
        incident = incidents.transition(call.bot.db, call.actor, key, move)
        return render.done(f"{key} is now *{render.status_text(incident.status)}*.")

    return run


RESOLVE = "resolve [KEY] [root cause]"


def resolve(call: Call) -> render.Reply:
    key = call.key(RESOLVE)
    cause = call.text() if call.rest else None
    incident = incidents.transition(call.bot.db, call.actor, key, Move.RESOLVE,
                                    root_cause=cause)
    tail = " Root cause recorded." if cause else " Add the root cause with `/vigilo cause`."
    return render.done(f"{key} is now *{render.status_text(incident.status)}*.{tail}")


FORCE = "force [KEY] <status> <reason>"


def force(call: Call) -> render.Reply:
    key = call.key(FORCE)
    word = call.rest.first()
    if word is None:
        raise UsageError("Say which status to force, and why.", FORCE)
    status = parse_status(word)
    reason = call.rest.after_first()
    if not reason:
        raise UsageError("A forced status needs a reason; it goes on the audit trail.", FORCE)
    incident = incidents.force_status(call.bot.db, call.actor, key, status, call.text(reason))
    return render.done(f"{key} forced to *{render.status_text(incident.status)}*.")


SEVERITY = "severity [KEY] <p1|p2|p3|p4>"


def severity(call: Call) -> render.Reply:
    key = call.key(SEVERITY)
    word = call.rest.first()
    if word is None or call.rest.after_first():
        raise UsageError(f"Give one severity: {render.severity_list()}.", SEVERITY)
    incident = incidents.change_severity(call.bot.db, call.actor, key, word)
    return render.done(f"{key} is now {render.chip(incident.severity)}.")


CAUSE = "cause [KEY] <text>"


def cause(call: Call) -> render.Reply:
    key = call.key(CAUSE)
    if not call.rest:
        raise UsageError("Say what the root cause is.", CAUSE)
    incidents.set_root_cause(call.bot.db, call.actor, key, call.text())
    return render.done(f"Root cause of {key} recorded.")


EDIT = "edit [KEY]"


def edit(call: Call) -> None:
    key = call.key(EDIT)
    modals.open_edit(call.bot, call.workspace, call.actor, call.trigger_id, key, call.meta)


SUBS = [
    Sub("new", NEW, "declare an incident (alone: open the form)", new, ("declare",)),
    Sub("investigate", "investigate [KEY]", "start investigating",
        _move(Move.INVESTIGATE, "investigate [KEY]")),
    Sub("mitigate", "mitigate [KEY]", "mark mitigated: the impact has stopped",
        _move(Move.MITIGATE, "mitigate [KEY]")),
    Sub("resolve", RESOLVE, "resolve, optionally with the root cause", resolve),
    Sub("reopen", "reopen [KEY]", "reopen a resolved incident", _move(Move.REOPEN,
                                                                       "reopen [KEY]")),
    Sub("force", FORCE, "admins: force a status, with a reason", force),
    Sub("severity", SEVERITY, "change the severity", severity, ("sev",)),
    Sub("cause", CAUSE, "record the root cause", cause, ("rootcause", "root-cause")),
    Sub("edit", EDIT, "edit title, description, services, detected at", edit),
]
