"""`/vigilo oncall`: who is on call now and next, and taking the pager yourself for a while."""

from datetime import datetime

from bot import render
from bot.commands.base import Call, Sub
from bot.commands.parse import UsageError
from core.oncall import parse_duration
from services import oncall
from services.oncall import ScheduleView, SlotView
from store.types import utcnow

ONCALL = "oncall [override <duration> [schedule]]"


def when(moment: datetime) -> str:
    """A time every reader sees in their own timezone."""
    stamp = int(moment.timestamp())
    fallback = moment.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{stamp}^{{date_short_pretty}} {{time}}|{fallback}>"


def slot_line(slot: SlotView | None, label: str) -> str:
    if slot is None:
        return f"{label}: nobody"
    until = f" until {when(slot.ends_at)}" if slot.ends_at else ""
    since = f" since {when(slot.starts_at)}" if label == "Now" else \
        f" from {when(slot.starts_at)}"
    extra = " (override)" if slot.override else ""
    phone = "" if slot.person.phone else " · _no phone number: SMS pages can't reach them_"
    return f"{label}: <@{slot.person.slack_user_id}>{since}{until}{extra}{phone}"


def schedule_text(view: ScheduleView) -> str:
    lines = [f"*{render.echo(view.name)}* ({view.timezone}, handoff {view.handoff})"]
    if not view.rotation and view.now is None:
        lines.append("Nobody is in the rotation yet.")
    lines.append(slot_line(view.now, "Now"))
    lines.append(slot_line(view.next, "Next"))
    return "\n".join(lines)


def show(call: Call) -> render.Reply:
    word = (call.rest.first() or "").lower()
    if word == "override":
        return take(call)
    if call.rest:
        raise UsageError("`oncall` shows who is on call; `oncall override 2h` puts you on "
                         "call for two hours.", ONCALL)
    views = oncall.show(call.bot.db, call.workspace.id)
    if not views:
        return render.Reply("No on-call schedule yet. An operator creates one with "
                            "`vigilo oncall create --timezone Europe/Berlin`.")
    text = "\n\n".join(schedule_text(view) for view in views)
    return render.Reply(text, [render.section(text)])


def take(call: Call) -> render.Reply:
    words = [word for word, _ in call.rest.after_first().tokens()]
    if not words or len(words) > 2:
        raise UsageError("Say for how long you take the pager, like `oncall override 2h`.",
                         ONCALL)
    length = parse_duration(words[0])
    starts = utcnow()
    view = oncall.override(call.bot.db, call.actor, words[1] if len(words) > 1 else None, None,
                           starts, starts + length)
    return render.done(f"You are on call for *{render.echo(view.name)}* until "
                       f"{when(starts + length)}.\n{slot_line(view.next, 'Next')}")


SUBS = [Sub("oncall", ONCALL, "who is on call now and next; override: take it yourself", show)]
