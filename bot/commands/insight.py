"""Storms, Suggest cause, change links and stats: `/vigilo storm`, `cause suggest`, `link`,
`unlink`, `stats`. `extend(SUBS)` adds them and teaches `cause` its `suggest` word."""

from dataclasses import replace
from typing import Any

from bot import modals, render
from bot.commands.base import Call, Sub
from bot.commands.parse import UsageError
from core.change_keys import format_change_key
from core.durations import duration_text
from core.errors import InvalidInput
from core.keys import looks_like_key
from core.metrics import MEASURES, Figure
from core.numbers import is_digits
from core.severity import Severity
from integrations.slack.blocks import button
from integrations.slack.insight_blocks import ACTION_LINK_CHANGE, storm_buttons
from services import cause, change_requests, slack_team, stats, storm_views, storms
from store.types import pk, utcnow

STORM = "storm [ack|resolve] [ID]"
SUGGEST = "cause suggest [KEY]"
LINK = "link [KEY] [CHG-12]"
UNLINK = "unlink [KEY]"
STATS = "stats"
MAX_PICK = 10


def storm(call: Call) -> render.Reply:
    words = [w for w, _ in call.rest.tokens()]
    verb = words[0].lower() if words else ""
    if verb not in ("", "ack", "acknowledge", "resolve", "list"):
        raise UsageError(f"I don't know '{render.echo(verb)}' for storms.", STORM)
    if verb in ("", "list"):
        return _storm_list(call)
    storm_id = _storm_id(call, words[1] if len(words) > 1 else None)
    now = utcnow()
    if verb == "resolve":
        storms.resolve(call.bot.db, call.actor, storm_id, now)
        return render.done(f"Storm #{storm_id} resolved. The banner is gone.")
    result = storms.acknowledge_all(call.bot.db, call.actor, storm_id, now)
    moved = (f" Started investigating {', '.join(result.investigating)}."
             if result.investigating else "")
    return render.done(f"You now command {len(result.commanded)} incidents of storm "
                       f"#{storm_id}: {', '.join(result.commanded) or 'none open'}.{moved}")


def _storm_id(call: Call, word: str | None) -> int:
    if word is not None:
        text = word.lstrip("#")
        if not is_digits(text) or len(text) > 12:
            raise UsageError(f"'{render.echo(word)}' is not a storm number.", STORM)
        return int(text)
    implied = call.command.key or call.implied_key
    if implied is not None:
        incident = slack_team.find_incident(call.bot.db, call.workspace.id, implied)
        found = storm_views.storm_of_incident(call.bot.db, call.workspace.id, pk(incident))
        if found is not None:
            return found
    open_ = storm_views.open_storms(call.bot.db, call.workspace.id)
    if len(open_) == 1:
        return open_[0].id
    if not open_:
        raise InvalidInput("There is no open storm.", field="storm")
    raise UsageError("Several storms are open: say which, e.g. `/vigilo storm ack "
                     f"{open_[0].id}`.", STORM)


def _storm_list(call: Call) -> render.Reply:
    views = storm_views.open_storms(call.bot.db, call.workspace.id)
    if not views:
        return render.done("No open storm.")
    blocks: list[dict[str, Any]] = []
    for view in views[:MAX_PICK]:
        keys = ", ".join(m.key for m in view.members)
        blocks += [render.section(f"*Storm #{view.id}* ({view.reason_text}): {view.banner}\n"
                                  f"{keys}"), storm_buttons(view.id)]
    return render.Reply(f"{len(views)} open storm(s)", blocks)


def suggest(call: Call) -> render.Reply:
    key = call.key(SUGGEST)
    view = cause.suggest(call.bot.db, call.workspace.id, key)
    if not view.suggestions:
        linked = f" Linked: {view.linked}." if view.linked else ""
        return render.done(f"No recent change touched {key}'s services.{linked} Bind one by "
                           "hand with `/vigilo link CHG-12`.")
    blocks: list[dict[str, Any]] = [render.section(f"*Probable cause of {key}*")]
    for s in view.suggestions:
        ckey = format_change_key(s.number)
        line = f"*{ckey}* {render.echo(s.title)}\n{s.why}"
        block = render.section(line)
        if ckey != view.linked:
            block["accessory"] = button(ACTION_LINK_CHANGE, "Link", f"{key} {ckey}")
        else:
            line += " _(linked)_"
            block = render.section(line)
        blocks.append(block)
    return render.Reply(f"{len(view.suggestions)} suggestion(s) for {key}", blocks)


def link(call: Call) -> render.Reply | None:
    words = [w for w, _ in call.rest.tokens()]
    key = call.key(LINK)
    if not words:
        return _pick(call, key)
    incident, change = change_requests.link(call.bot.db, call.actor, key, words[0])
    return render.done(f"{format_change_key(change.number)} ({render.echo(change.title)}) is "
                       f"now the probable cause of {key}.")


def _pick(call: Call, key: str) -> render.Reply | None:
    """Pick a change: a modal searching the recent changes as you type."""
    if not change_requests.recent(call.bot.db, call.workspace.id, limit=1):
        return render.done("No change has been recorded yet (`/vigilo change new`, "
                           "`vigilo change add`, or `POST /ws/{slug}/changes/` from CI/CD).")
    modals.open_pick_change(call.bot, call.workspace, call.actor, call.trigger_id, key,
                            call.meta)
    return None


def unlink(call: Call) -> render.Reply:
    key = call.key(UNLINK)
    _, ckey = change_requests.unlink(call.bot.db, call.actor, key)
    return render.done(f"{ckey} is no longer linked to {key}.")


def _figure(fig: Figure) -> str:
    if not fig.count:
        return "—"
    return f"{duration_text(fig.median or 0)} / {duration_text(fig.p90 or 0)}"


def stats_reply(call: Call) -> render.Reply:
    figures = stats.workspace_stats(call.bot.db, call.workspace.id, utcnow())
    lines = ["*Response times* (median / p90; acknowledge · mitigate · resolve)"]
    for days in sorted(figures.figures):
        lines.append(f"*Last {days} days* — {figures.incidents[days]} incidents")
        for sev in [*(s.value for s in Severity), "all"]:
            row = figures.figures[days][sev]
            if not row["acknowledge"].count and not row["resolve"].count:
                continue
            lines.append(f"• {sev.upper() if sev != 'all' else 'All'}: "
                         + " · ".join(_figure(row[m]) for m in MEASURES))
    return render.Reply("\n".join(lines))


SUBS = [
    Sub("storm", STORM, "open storms; acknowledge all (you command every member); resolve",
        storm, ("storms",)),
    Sub("link", LINK, "link the change that caused the incident (alone: pick one)", link),
    Sub("unlink", UNLINK, "unlink the incident's change", unlink),
    Sub("stats", STATS, "time to acknowledge, mitigate and resolve (7/30/90 days)",
        stats_reply),
]


def extend(subs: list[Sub]) -> list[Sub]:
    """The shared table with these subcommands before `help`, and `cause suggest`."""
    out: list[Sub] = []
    for sub in subs:
        if sub.name == "cause":
            out.append(replace(sub, usage=f"{sub.usage} | {SUGGEST}",
                               run=_cause_or_suggest(sub)))
        elif sub.name == "help":
            out += [*SUBS, sub]
        else:
            out.append(sub)
    return out


def _cause_or_suggest(previous: Sub) -> Any:
    def run(call: Call) -> render.Reply | render.Later | None:
        first = call.rest.first()
        if first is None or first.lower() != "suggest":
            return previous.run(call)
        rest = call.rest.after_first()
        key = call.command.key
        word = rest.first()
        if key is None and word is not None and looks_like_key(word):
            key, rest = word, rest.after_first()
        return suggest(replace(call, command=replace(call.command, key=key, rest=rest)))
    return run
