"""Reading incidents: list, show."""

from bot import render
from bot.commands.base import Call, Sub
from bot.commands.parse import UsageError
from core.fsm import ACTIVE_STATUSES
from integrations.slack.blocks import escape, next_move_blocks
from services import queries
from services.queries import IncidentDetail
from store.types import utcnow

LIST = "list [open|all|mine]"
SHOW = "show [KEY]"
LIST_LIMIT = 20
SHOW_EVENTS = 5


def list_incidents(call: Call) -> render.Reply:
    which = (call.rest.first() or "open").lower()
    if which not in ("open", "all", "mine") or call.rest.after_first():
        raise UsageError(f"List which incidents: open, all or mine (not "
                         f"'{render.echo(call.rest.text)}').", LIST)
    statuses = None if which == "all" else list(ACTIVE_STATUSES)
    member = call.actor.member_id if which == "mine" else None
    found = queries.list_incidents(call.bot.db, call.workspace.id, statuses=statuses,
                                   member_id=member, limit=LIST_LIMIT + 1)
    label = {"open": "Open incidents", "all": "All incidents",
             "mine": "Open incidents you are on"}[which]
    if not found:
        return render.Reply(f"{label}: none. 🎉")
    now = utcnow()
    lines = [render.incident_line(s.incident, s.key, call.url(s.key), s.commander, now)
             for s in found[:LIST_LIMIT]]
    if len(found) > LIST_LIMIT:
        lines.append(f"…and more: <{call.bot.list_url(call.workspace)}|the full list>")
    return render.Reply(f"*{label}*\n" + "\n".join(lines))


def show(call: Call) -> render.Reply:
    key = call.key(SHOW)
    if call.rest:
        raise UsageError("`show` takes only a key.", SHOW)
    # Only the latest few events: the first read counts them, the second fetches those.
    detail = queries.get_detail(call.bot.db, call.workspace.id, key, timeline_limit=0)
    if detail.timeline_total:
        detail = queries.get_detail(call.bot.db, call.workspace.id, key,
                                    timeline_offset=max(detail.timeline_total - SHOW_EVENTS, 0),
                                    timeline_limit=SHOW_EVENTS)
    text = summary(detail, call.url(key))
    return render.Reply(text, [render.section(text),
                               *next_move_blocks(detail.incident.status, key)])


def summary(detail: IncidentDetail, url: str) -> str:
    i = detail.incident
    people = ", ".join(f"{escape(r.name)} ({r.role})" for r in detail.responders) or "nobody"
    lines = [f"{render.chip(i.severity)} *<{url}|{detail.key}>* {escape(i.title)}",
             f"*Status:* {render.status_text(i.status)} · *Declared:* {render.age(i.created_at)} · "
             f"*Channel:* {render.channel_link(i.slack_channel_id)}",
             f"*Commander:* {escape(detail.commander or 'nobody')} · *People:* {people}"]
    if i.services:
        lines.append(f"*Services:* {escape(', '.join(i.services))}")
    if i.root_cause:
        lines.append(f"*Root cause:* {render.echo(i.root_cause)}")
    open_items = [a for a in detail.action_items if a.done_at is None]
    if open_items:
        lines.append(f"*Open action items:* {len(open_items)}")
    if detail.timeline:
        lines.append("*Latest on the timeline:*")
        lines += [f"• {e.at:%H:%M} {escape(e.actor or 'Vigilo')}: {render.echo(e.text)}"
                  for e in detail.timeline[-SHOW_EVENTS:]]
    return "\n".join(lines)


SUBS = [
    Sub("list", LIST, "incidents: open (default), all, or the ones you are on", list_incidents,
        ("ls",)),
    Sub("show", SHOW, "one incident: status, people, latest timeline", show, ("status",)),
]
