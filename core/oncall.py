"""Who is on call: rotations with a local handoff time, and overrides for a time range.

Shifts are counted in the rotation's own wall clock: the k-th handoff is at the handoff
time on local day `start + k * length_days`, so a weekly Monday 09:00 handoff stays at
09:00 Berlin time across DST. A handoff time that does not exist that day (spring forward)
happens as late as the gap is long (02:30 becomes 03:30); one that exists twice (fall back)
happens the first time. All times given and returned are aware UTC datetimes.
"""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from core.errors import InvalidInput
from core.numbers import is_digits

MAX_LENGTH_DAYS = 366
MAX_OVERRIDE = timedelta(days=90)
LENGTHS = {"daily": 1, "weekly": 7, "biweekly": 14}
_DURATION = re.compile(r"(\d+)\s*([wdhm])")
_UNIT = {"w": timedelta(weeks=1), "d": timedelta(days=1), "h": timedelta(hours=1),
         "m": timedelta(minutes=1)}


@dataclass(frozen=True)
class Override:
    member_id: int
    starts_at: datetime
    ends_at: datetime

    def covers(self, at: datetime) -> bool:
        return self.starts_at <= at < self.ends_at


@dataclass(frozen=True)
class Rotation:
    members: tuple[int, ...]  # member ids, in the order they take their shifts
    timezone: str
    handoff: time  # local wall-clock time of each handoff
    length_days: int
    start: date  # local day of the first handoff; before it nobody is on call

    def boundary(self, k: int) -> datetime:
        """The k-th handoff (0 is the rotation's start), in UTC."""
        zone = ZoneInfo(self.timezone)
        day = self.start + timedelta(days=k * self.length_days)
        # fold=0: an ambiguous wall time (fall back) is its first occurrence, and one in a
        # spring-forward gap is read with the old offset, i.e. as late as the gap is long.
        return datetime.combine(day, self.handoff, tzinfo=zone).astimezone(UTC)

    def shift_at(self, at: datetime) -> int | None:
        """The number of the shift running at `at`, None before the rotation starts."""
        if at < self.boundary(0):
            return None
        local_day = at.astimezone(ZoneInfo(self.timezone)).date()
        k = max(0, (local_day - self.start).days // self.length_days)
        while k > 0 and self.boundary(k) > at:
            k -= 1
        while self.boundary(k + 1) <= at:
            k += 1
        return k

    def member_of(self, shift: int) -> int:
        return self.members[shift % len(self.members)]


@dataclass(frozen=True)
class Slot:
    """One person on call from `starts_at` until `ends_at` (None: no end in sight)."""

    member_id: int
    starts_at: datetime
    ends_at: datetime | None
    override: bool


@dataclass(frozen=True)
class Schedule:
    rotation: Rotation
    overrides: tuple[Override, ...] = ()  # later ones win where they overlap

    def on_call(self, at: datetime) -> int | None:
        """The member on call at `at`, or None when the schedule has no slot then."""
        for override in reversed(self.overrides):
            if override.covers(at):
                return override.member_id
        if not self.rotation.members:
            return None
        shift = self.rotation.shift_at(at)
        return None if shift is None else self.rotation.member_of(shift)

    def _changes_after(self, at: datetime, limit: int) -> list[datetime]:
        """Instants after `at` where who is on call may change, earliest first."""
        points = {o.starts_at for o in self.overrides if o.starts_at > at}
        points |= {o.ends_at for o in self.overrides if o.ends_at > at}
        if self.rotation.members:
            shift = self.rotation.shift_at(at)
            first = 0 if shift is None else shift + 1
            points |= {self.rotation.boundary(k) for k in range(first, first + limit)}
        return sorted(points)

    def slot(self, at: datetime) -> Slot | None:
        """The slot running at `at`: who, since when and until when."""
        who = self.on_call(at)
        if who is None:
            return None
        ends = next((t for t in self._changes_after(at, self._horizon(at))
                     if self.on_call(t) != who), None)
        return Slot(who, self._since(at, who), ends,
                    any(o.covers(at) and o.member_id == who for o in self.overrides))

    def next_slot(self, at: datetime) -> Slot | None:
        """The slot of the next person to take over, None if nobody else ever does."""
        current = self.on_call(at)
        for t in self._changes_after(at, self._horizon(at)):
            who = self.on_call(t)
            if who is not None and who != current:
                return self.slot(t)
        return None

    def _horizon(self, at: datetime) -> int:
        """Rotation shifts to look ahead: every member comes round again even where
        overrides cover whole shifts."""
        covered = sum((o.ends_at - max(o.starts_at, at)).days // self.rotation.length_days + 1
                      for o in self.overrides if o.ends_at > at)
        return 2 * len(self.rotation.members) + covered + 1

    def _since(self, at: datetime, who: int) -> datetime:
        for override in reversed(self.overrides):
            if override.covers(at):
                return override.starts_at
        shift = self.rotation.shift_at(at)
        assert shift is not None
        start = self.rotation.boundary(shift)
        # An override that ended inside this shift handed it back mid-shift.
        ended = [o.ends_at for o in self.overrides if start < o.ends_at <= at]
        return max([start, *ended])


def local_date(timezone: str, at: datetime) -> date:
    return at.astimezone(ZoneInfo(timezone)).date()


# -- parsing what people type --------------------------------------------------------------
def parse_timezone(text: str) -> str:
    name = (text or "").strip()
    try:
        if name and name in available_timezones() | {"UTC"}:
            ZoneInfo(name)
            return name
    except (ZoneInfoNotFoundError, ValueError):
        pass
    raise InvalidInput(f"'{text}' is not an IANA timezone (like Europe/Berlin or "
                       "America/New_York).", field="timezone")


def parse_handoff(text: str) -> time:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", (text or "").strip())
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise InvalidInput(f"'{text}' is not a time of day: use HH:MM, like 09:00.",
                           field="handoff")
    return time(int(match.group(1)), int(match.group(2)))


def parse_length(text: str) -> int:
    """`daily`, `weekly`, `biweekly`, or a number of days (`3`, `3d`)."""
    value = (text or "").strip().lower()
    if value in LENGTHS:
        return LENGTHS[value]
    digits = value.removesuffix("d").removesuffix(" days").removesuffix("days")
    if is_digits(digits) and 1 <= int(digits) <= MAX_LENGTH_DAYS:
        return int(digits)
    raise InvalidInput(f"'{text}' is not a shift length: use daily, weekly, biweekly or a "
                       f"number of days from 1 to {MAX_LENGTH_DAYS}.", field="length")


def parse_duration(text: str) -> timedelta:
    """`2h`, `30m`, `1h30m`, `3d`, `1w`: how long an override lasts."""
    value = "".join((text or "").lower().split())
    if not value or _DURATION.sub("", value):
        raise InvalidInput(f"'{text}' is not a duration: use something like 2h, 90m, "
                           "1h30m or 3d.", field="duration")
    total = sum((int(n) * _UNIT[unit] for n, unit in _DURATION.findall(value)), timedelta())
    if total <= timedelta(0):
        raise InvalidInput("An override has to last at least a minute.", field="duration")
    if total > MAX_OVERRIDE:
        raise InvalidInput(f"An override lasts at most {MAX_OVERRIDE.days} days.",
                           field="duration")
    return total


def check_override(starts_at: datetime, ends_at: datetime) -> None:
    if ends_at <= starts_at:
        raise InvalidInput("An override has to end after it starts.", field="ends_at")
    if ends_at - starts_at > MAX_OVERRIDE:
        raise InvalidInput(f"An override lasts at most {MAX_OVERRIDE.days} days.",
                           field="ends_at")
