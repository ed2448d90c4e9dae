"""On-call schedules: create, rotate, override, and who is on call now and next."""

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Executable, bindparam
from sqlalchemy import select as core_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from core import oncall
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.permissions import Action, Role
from services.actor import Actor
from services.records import audit, authorize, is_unique_violation
from store.db import Database
from store.models import Member
from store.oncall_models import OncallMember, OncallOverride, OncallSchedule
from store.types import pk, utcnow

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
DEFAULT_NAME = "primary"


@dataclass(frozen=True)
class Person:
    member_id: int
    name: str
    slack_user_id: str
    phone: str | None


@dataclass(frozen=True)
class SlotView:
    person: Person
    starts_at: datetime
    ends_at: datetime | None
    override: bool


@dataclass(frozen=True)
class ScheduleView:
    name: str
    timezone: str
    handoff: str
    length_days: int
    start_date: date
    rotation: tuple[Person, ...]
    now: SlotView | None
    next: SlotView | None

    def to_json(self) -> dict[str, object]:
        def slot(s: SlotView | None) -> dict[str, object] | None:
            if s is None:
                return None
            return {"slack_user_id": s.person.slack_user_id, "name": s.person.name,
                    "starts_at": s.starts_at.isoformat(),
                    "ends_at": s.ends_at.isoformat() if s.ends_at else None,
                    "override": s.override}
        return {"name": self.name, "timezone": self.timezone, "handoff": self.handoff,
                "length_days": self.length_days, "start_date": self.start_date.isoformat(),
                "rotation": [p.slack_user_id for p in self.rotation],
                "now": slot(self.now), "next": slot(self.next)}


def clean_name(name: str | None) -> str:
    value = (name or DEFAULT_NAME).strip().lower()
    if not _NAME.match(value):
        raise InvalidInput(f"'{name}' is not a schedule name: use up to 64 lowercase letters, "
                           "digits, '-' and '_'.", field="schedule")
    return value


def create_schedule(db: Database, actor: Actor, name: str | None, timezone: str,
                    handoff: str = "09:00", length: str = "weekly",
                    start: date | None = None) -> ScheduleView:
    authorize(actor, Action.ADMINISTER)
    row = OncallSchedule(workspace_id=actor.workspace_id, name=clean_name(name),
                         timezone=oncall.parse_timezone(timezone),
                         handoff=oncall.parse_handoff(handoff).strftime("%H:%M"),
                         length_days=oncall.parse_length(length), start_date=start or date.min)
    if start is None:  # today in the schedule's own timezone
        row.start_date = oncall.local_date(row.timezone, utcnow())
    try:
        with db.transaction() as session:
            session.add(row)
            session.flush()
            audit(session, actor, "oncall.created", schedule=row.name, timezone=row.timezone,
                  handoff=row.handoff, length_days=row.length_days)
    except IntegrityError as error:
        if is_unique_violation(error):
            raise Conflict(f"There is already an on-call schedule '{row.name}'.",
                           field="schedule") from None
        raise
    return show(db, actor.workspace_id, row.name)[0]


def add_to_rotation(db: Database, actor: Actor, name: str | None,
                    slack_user_id: str) -> ScheduleView:
    """Append a member to the end of the rotation."""
    authorize(actor, Action.ADMINISTER)
    with db.transaction() as session:
        schedule = _schedule(session, actor.workspace_id, name, for_update=True)
        member = _member(session, actor.workspace_id, slack_user_id)
        last = session.exec(select(func.max(OncallMember.position)).where(
            OncallMember.schedule_id == schedule.id)).first()
        session.add(OncallMember(schedule_id=pk(schedule), member_id=pk(member),
                                 position=(last if last is not None else -1) + 1))
        audit(session, actor, "oncall.member_added", schedule=schedule.name,
              member=member.slack_user_id)
        schedule_name = schedule.name
    return show(db, actor.workspace_id, schedule_name)[0]


def remove_from_rotation(db: Database, actor: Actor, name: str | None,
                         slack_user_id: str) -> ScheduleView:
    authorize(actor, Action.ADMINISTER)
    with db.transaction() as session:
        schedule = _schedule(session, actor.workspace_id, name, for_update=True)
        member = _member(session, actor.workspace_id, slack_user_id)
        rows = list(session.exec(select(OncallMember).where(
            OncallMember.schedule_id == schedule.id, OncallMember.member_id == member.id)))
        if not rows:
            raise NotFound(f"{member.display_name} is not in the '{schedule.name}' rotation.",
                           field="member")
        for row in rows:
            session.delete(row)
        audit(session, actor, "oncall.member_removed", schedule=schedule.name,
              member=member.slack_user_id)
        schedule_name = schedule.name
    return show(db, actor.workspace_id, schedule_name)[0]


def override(db: Database, actor: Actor, name: str | None, slack_user_id: str | None,
             starts_at: datetime, ends_at: datetime) -> ScheduleView:
    """Put someone (yourself, unless you are an admin) on call for a time range."""
    oncall.check_override(starts_at, ends_at)
    with db.transaction() as session:
        schedule = _schedule(session, actor.workspace_id, name)
        if slack_user_id is None:
            if actor.member_id is None:
                raise InvalidInput("Say who takes the override.", field="member")
            member = session.get(Member, actor.member_id)
            assert member is not None
        else:
            member = _member(session, actor.workspace_id, slack_user_id)
        if member.id == actor.member_id:
            authorize(actor, Action.POST_UPDATE)  # any responder may take the pager
        elif Role(actor.role) not in (Role.ADMIN, Role.OWNER):
            raise PermissionDenied("You can put yourself on call; only workspace admins can "
                                   "put someone else on call.")
        session.add(OncallOverride(schedule_id=pk(schedule), member_id=pk(member),
                                   starts_at=starts_at, ends_at=ends_at,
                                   created_by_id=actor.member_id))
        audit(session, actor, "oncall.override", schedule=schedule.name,
              member=member.slack_user_id, starts_at=starts_at, ends_at=ends_at)
        schedule_name = schedule.name
    return show(db, actor.workspace_id, schedule_name)[0]


def show(db: Database, workspace_id: int, name: str | None = None,
         at: datetime | None = None) -> list[ScheduleView]:
    """Every schedule (or the named one) with who is on call at `at` and who is next."""
    moment = at or utcnow()
    with db.read() as session:
        rows: list[Any]
        if name is not None:
            rows = [_schedule(session, workspace_id, name)]
        else:
            # Columns, not ORM rows: every page asks, and loading entities cost more than
            # the statement did.
            rows = list(session.execute(_schedules_query(), {"workspace_id": workspace_id}))
        return _views(session, rows, moment)


def on_call_now(db: Database, workspace_id: int,
                at: datetime | None = None) -> tuple[list[tuple[str, Person]], list[str]]:
    """Who to page: (schedule, person) for each schedule with someone on call, and the
    names of schedules with no current slot. One person on several schedules appears once."""
    people: list[tuple[str, Person]] = []
    empty: list[str] = []
    seen: set[int] = set()
    for view in show(db, workspace_id, at=at):
        if view.now is None:
            empty.append(view.name)
        elif view.now.person.member_id not in seen:
            seen.add(view.now.person.member_id)
            people.append((view.name, view.now.person))
    return people, empty


# -- inside a transaction -------------------------------------------------------------------
def _schedule(session: Session, workspace_id: int, name: str | None, *,
              for_update: bool = False) -> OncallSchedule:
    query = select(OncallSchedule).where(OncallSchedule.workspace_id == workspace_id)
    if name is not None:
        query = query.where(OncallSchedule.name == clean_name(name))
    if for_update:
        query = query.with_for_update()
    rows = list(session.exec(query.order_by(OncallSchedule.name).limit(2)))
    if name is None and len(rows) > 1:
        names = session.exec(select(OncallSchedule.name).where(
            OncallSchedule.workspace_id == workspace_id).order_by(OncallSchedule.name))
        raise InvalidInput(f"Which schedule? This workspace has {', '.join(names)}.",
                           field="schedule")
    if not rows:
        raise NotFound(f"No on-call schedule '{clean_name(name)}'." if name else
                       "This workspace has no on-call schedule yet: "
                       "`vigilo oncall create --timezone Europe/Berlin`.", field="schedule")
    return rows[0]


def _member(session: Session, workspace_id: int, slack_user_id: str) -> Member:
    member = session.exec(select(Member).where(Member.workspace_id == workspace_id,
                                               Member.slack_user_id == slack_user_id)).first()
    if member is None:
        raise NotFound(f"No member {slack_user_id} in this workspace.", field="member")
    return member


def _rotation(row: Any, members: tuple[int, ...]) -> oncall.Rotation:
    return oncall.Rotation(members, row.timezone, oncall.parse_handoff(row.handoff),
                     row.length_days, row.start_date)


def _views(session: Session, rows: list[Any], at: datetime) -> list[ScheduleView]:
    """The schedules' views from two statements built once, however many there are: every
    page asks who is on call (was four ORM queries per schedule, then four statements).
    Each statement brings its people along. `rows` are OncallSchedule rows or their columns
    (`_schedules_query`)."""
    if not rows:
        return []
    ids = [pk(row) for row in rows]
    connection = session.connection()
    people: dict[int, Person] = {}
    rotations: dict[int, list[int]] = {i: [] for i in ids}
    for schedule_id, member_id, name, slack_id, phone in connection.execute(
            _rotation_query(), {"ids": ids}):
        rotations[schedule_id].append(member_id)
        people[member_id] = Person(member_id, name, slack_id, phone)
    # Overrides that end inside the current shift still tell when it was handed back.
    def since(row: Any) -> datetime:
        return at - timedelta(days=row.length_days, hours=2)

    overrides: dict[int, list[oncall.Override]] = {i: [] for i in ids}
    for schedule_id, member_id, starts, ends, name, slack_id, phone in connection.execute(
            _overrides_query(), {"ids": ids, "since": min(since(row) for row in rows)}):
        overrides[schedule_id].append(oncall.Override(member_id, starts, ends))
        people[member_id] = Person(member_id, name, slack_id, phone)
    slots = []
    for row in rows:
        members = tuple(rotations[pk(row)])
        schedule = oncall.Schedule(_rotation(row, members), tuple(
            o for o in overrides[pk(row)] if o.ends_at > since(row)))
        slots.append((row, members, schedule.slot(at), schedule.next_slot(at)))

    def view(slot: oncall.Slot | None) -> SlotView | None:
        if slot is None:
            return None
        return SlotView(people[slot.member_id], slot.starts_at, slot.ends_at, slot.override)

    return [ScheduleView(row.name, row.timezone, row.handoff, row.length_days, row.start_date,
                         tuple(people[m] for m in members), view(now), view(nxt))
            for row, members, now, nxt in slots]


def _person() -> tuple[Any, ...]:
    return col(Member.display_name), col(Member.slack_user_id), col(Member.phone)


@cache
def _rotation_query() -> Executable:
    return (core_select(col(OncallMember.schedule_id), col(OncallMember.member_id),
                        *_person())
            .join(Member, col(Member.id) == col(OncallMember.member_id))
            .where(col(OncallMember.schedule_id).in_(bindparam("ids", expanding=True)))
            .order_by(col(OncallMember.schedule_id), col(OncallMember.position)))


@cache
def _schedules_query() -> Executable:
    return (core_select(col(OncallSchedule.id), col(OncallSchedule.name),
                        col(OncallSchedule.timezone), col(OncallSchedule.handoff),
                        col(OncallSchedule.length_days), col(OncallSchedule.start_date))
            .where(col(OncallSchedule.workspace_id) == bindparam("workspace_id"))
            .order_by(col(OncallSchedule.name)))


@cache
def _overrides_query() -> Executable:
    return (core_select(col(OncallOverride.schedule_id), col(OncallOverride.member_id),
                        col(OncallOverride.starts_at), col(OncallOverride.ends_at),
                        *_person())
            .join(Member, col(Member.id) == col(OncallOverride.member_id))
            .where(col(OncallOverride.schedule_id).in_(bindparam("ids", expanding=True)),
                   col(OncallOverride.ends_at) > bindparam("since"))
            .order_by(col(OncallOverride.id)))
