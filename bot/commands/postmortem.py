"""`/vigilo postmortem [KEY] [edit <section> | review | publish | draft]`.

Alone it opens the postmortem of a resolved incident (or shows the one already open), as a
message whose buttons edit each section and move its status.
"""

from bot import render
from bot.commands.base import Call, Sub
from bot.commands.parse import UsageError
from bot.modals import postmortem as pm_modals
from bot.postmortem_blocks import postmortem_message
from bot.runtime import Bot
from core.errors import InvalidInput
from core.fsm import Move, Status
from core.postmortem import PmMove, parse_section
from services import incidents, postmortems, slack_team
from services.actor import Actor
from services.postmortem_view import get_postmortem
from services.slack_team import WorkspaceRef

USAGE = "postmortem [KEY] [edit <section>|review|publish|draft|ai|unlink]"
_MOVES = {"review": PmMove.REVIEW, "publish": PmMove.PUBLISH, "draft": PmMove.BACK_TO_DRAFT}


def postmortem(call: Call) -> render.Reply | None:
    key = call.key(USAGE)
    word = (call.rest.first() or "").lower()
    if word == "edit":
        rest = call.rest.after_first()
        if not rest:
            return show(call, key, "Which section? Click its Edit button below, or name it: "
                        "summary, impact, root_cause, contributing_factors, lessons_learned.")
        section = parse_section(rest.text)
        pm_modals.open_section(call.bot, call.workspace, call.actor, call.trigger_id, key,
                               section, call.meta)
        return None
    if word == "unlink":
        if call.rest.after_first():
            raise UsageError("`postmortem unlink` takes nothing after it.", USAGE)
        postmortems.unlink(call.bot.db, call.actor, key)
        return render.done(f"Unlinked the postmortem of {key} (audited). `/vigilo postmortem "
                           f"{key}` starts a new one from the timeline.")
    if word == "ai":
        if call.rest.after_first():
            raise UsageError("`postmortem ai` takes nothing after it.", USAGE)
        return ask_ai(call, key)
    if word in _MOVES:
        if call.rest.after_first():
            raise UsageError(f"`postmortem {word}` takes nothing after it.", USAGE)
        done = postmortems.move(call.bot.db, call.actor, key, _MOVES[word])
        return show(call, key, f"The postmortem of {key} is now *{done.status.replace('_', ' ')}*.")
    if word:
        raise UsageError(f"I don't know `postmortem {render.echo(word)}`.", USAGE)
    return open_or_show(call.bot, call.workspace, call.actor, key, call.url(key))


def open_or_show(bot: Bot, workspace: WorkspaceRef, actor: Actor, key: str,
                 url: str) -> render.Reply:
    """Open the postmortem of a resolved incident, or show the one it has (the command and
    the Open postmortem button)."""
    incident = slack_team.find_incident(bot.db, workspace.id, key)
    if incident.status != Status.POST_MORTEM.value:
        incidents.transition(bot.db, actor, key, Move.OPEN_POST_MORTEM)
        note = (f"{key} is now *Post-mortem*: here is its postmortem, drafted from the "
                "incident's record.")
    elif not postmortems.exists(bot.db, incident.id or 0):
        postmortems.open_again(bot.db, actor, key)
        note = f"A new postmortem of {key}, drafted from the incident's record."
    else:
        note = None
    return message(bot, workspace, key, url, note)


def ask_ai(call: Call, key: str) -> render.Reply:
    if call.bot.ai_off:
        raise InvalidInput(f"AI drafts are off: {call.bot.ai_off}.")
    postmortems.request_ai_draft(call.bot.db, call.actor, key)
    return render.done(f"Asked the AI for a first draft of {key}'s postmortem; it shows up "
                       "as a draft in the sections nobody has written yet.")


def show(call: Call, key: str, note: str | None) -> render.Reply:
    return message(call.bot, call.workspace, key, call.url(key), note)


def message(bot: Bot, workspace: WorkspaceRef, key: str, url: str,
            note: str | None) -> render.Reply:
    view = get_postmortem(bot.db, workspace.id, key)
    text, blocks = postmortem_message(view, url, ai=bot.ai_off is None)
    if note:
        blocks = [render.section(f"✅ {note}"), *blocks]
        text = f"✅ {note}"
    return render.Reply(text, blocks)


SUBS = [Sub("postmortem", USAGE, "open the postmortem of a resolved incident; edit its "
            "sections, send it for review, publish it", postmortem, ("post-mortem", "pm"))]
