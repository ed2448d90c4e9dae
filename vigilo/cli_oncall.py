"""`vigilo oncall ...`: schedules, rotations and overrides from the command line."""

import argparse
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from core import oncall as rules
from core.errors import InvalidInput
from services import oncall
from services.oncall import ScheduleView, SlotView
from store.db import Database
from store.types import utcnow
from vigilo.cli_base import Commands, context, emit
from vigilo.settings import Settings


def _ctx(args: argparse.Namespace, settings: Settings) -> tuple[Database, int, Any]:
    db, ws, actor = context(args, settings)
    return db, ws.id or 0, actor


def _emit(args: argparse.Namespace, views: list[ScheduleView], empty: str) -> int:
    emit(args, [v.to_json() for v in views],
         "\n".join(describe(v) for v in views) or empty)
    return 0


def describe(view: ScheduleView) -> str:
    """Several lines about one schedule, times in the schedule's own timezone."""
    length = {1: "daily", 7: "weekly", 14: "biweekly"}.get(view.length_days,
                                                           f"every {view.length_days} days")
    lines = [f"{view.name}: {length} handoff at {view.handoff} {view.timezone}, "
             f"from {view.start_date.isoformat()}",
             "  rotation: " + (", ".join(f"{p.name} ({p.slack_user_id})" for p in view.rotation)
                               or "nobody yet (vigilo oncall add SLACK_ID)"),
             "  now:  " + slot_text(view.now, view.timezone, "since", "nobody is on call"),
             "  next: " + slot_text(view.next, view.timezone, "from", "nobody")]
    return "\n".join(lines)


def slot_text(slot: SlotView | None, timezone: str, since: str, none: str) -> str:
    if slot is None:
        return none
    zone = ZoneInfo(timezone)
    phone = slot.person.phone or "no phone number"
    when = f"{since} {_local(slot.starts_at, zone)}"
    until = f" until {_local(slot.ends_at, zone)}" if slot.ends_at else ""
    extra = " (override)" if slot.override else ""
    return f"{slot.person.name} ({slot.person.slack_user_id}, {phone}) {when}{until}{extra}"


def _local(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%a %d %b %H:%M %Z")


def _when(text: str | None, what: str) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"--{what} takes an ISO 8601 time with its zone, like "
                           f"2026-03-29T09:00+02:00; got '{text}'.", field=what) from None
    if value.tzinfo is None:
        raise InvalidInput(f"--{what} needs a timezone (like +02:00 or Z).", field=what)
    return value


def cmd_create(args: argparse.Namespace, settings: Settings) -> int:
    db, _, actor = _ctx(args, settings)
    try:
        start = date.fromisoformat(args.start) if args.start else None
    except ValueError:
        raise InvalidInput(f"--start takes a date like 2026-03-23, not '{args.start}'.",
                           field="start") from None
    view = oncall.create_schedule(db, actor, args.name, args.timezone, args.handoff,
                                  args.length, start)
    return _emit(args, [view], "")


def cmd_add(args: argparse.Namespace, settings: Settings) -> int:
    db, _, actor = _ctx(args, settings)
    view = None
    for user in args.slack_user_ids:
        view = oncall.add_to_rotation(db, actor, args.schedule, user)
    assert view is not None
    return _emit(args, [view], "")


def cmd_remove(args: argparse.Namespace, settings: Settings) -> int:
    db, _, actor = _ctx(args, settings)
    return _emit(args, [oncall.remove_from_rotation(db, actor, args.schedule,
                                                    args.slack_user_id)], "")


def cmd_override(args: argparse.Namespace, settings: Settings) -> int:
    db, _, actor = _ctx(args, settings)
    starts = _when(args.starts, "from") or utcnow()
    ends = _when(args.ends, "until")
    if (ends is None) == (args.duration is None):
        raise InvalidInput("Give how long (--for 2h) or when it ends (--until TIME).",
                           field="duration")
    if ends is None:
        ends = starts + rules.parse_duration(args.duration)
    view = oncall.override(db, actor, args.schedule, args.slack_user_id, starts, ends)
    return _emit(args, [view], "")


def cmd_show(args: argparse.Namespace, settings: Settings) -> int:
    db, ws_id, _ = _ctx(args, settings)
    views = oncall.show(db, ws_id, args.name, _when(args.at, "at"))
    return _emit(args, views, "no on-call schedule yet: vigilo oncall create --timezone "
                 "Europe/Berlin")


def register(cli: Commands) -> None:
    cli.group("oncall", "on-call schedules: who is on call now and next")
    p = cli.add("oncall create", cmd_create, "create a schedule (admins)")
    p.add_argument("name", nargs="?", default=None, help="schedule name (default: primary)")
    p.add_argument("--timezone", required=True, help="IANA timezone of the handoffs")
    p.add_argument("--handoff", default="09:00", help="local handoff time, HH:MM")
    p.add_argument("--length", default="weekly", help="daily, weekly, biweekly or N days")
    p.add_argument("--start", default=None, help="local date of the first handoff "
                   "(default: today)")
    _acting(p)
    p = cli.add("oncall add", cmd_add, "add members to the end of the rotation (admins)")
    p.add_argument("slack_user_ids", nargs="+", metavar="SLACK_USER_ID")
    _acting(_schedule(p))
    p = cli.add("oncall remove", cmd_remove, "take a member out of the rotation (admins)")
    p.add_argument("slack_user_id")
    _acting(_schedule(p))
    p = cli.add("oncall override", cmd_override, "put someone on call for a while")
    p.add_argument("slack_user_id")
    p.add_argument("--for", dest="duration", default=None, help="how long: 2h, 90m, 1d")
    p.add_argument("--from", dest="starts", default=None, help="ISO time (default: now)")
    p.add_argument("--until", dest="ends", default=None, help="ISO time it ends")
    _acting(_schedule(p))
    p = cli.add("oncall show", cmd_show, "who is on call now and next")
    p.add_argument("name", nargs="?", default=None)
    p.add_argument("--at", default=None, help="ISO time to ask about (default: now)")


def _schedule(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p.add_argument("--schedule", default=None,
                   help="schedule name (needed when there are several)")
    return p


def _acting(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p.add_argument("--as", dest="as_member", default=None, help="act as this Slack user id")
    return p
