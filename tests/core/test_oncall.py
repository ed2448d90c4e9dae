"""Who is on call: rotations in local time across DST changes, and overrides."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import InvalidInput
from core.oncall import (
    Override,
    Rotation,
    Schedule,
    parse_duration,
    parse_handoff,
    parse_length,
    parse_timezone,
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def weekly_berlin(members: tuple[int, ...] = (1, 2, 3)) -> Schedule:
    # Mondays 09:00 Berlin, starting Monday 2026-03-23 (DST begins Sunday 2026-03-29).
    return Schedule(Rotation(members, "Europe/Berlin", time(9, 0), 7, date(2026, 3, 23)))


def test_weekly_handoff_stays_at_nine_local_across_spring_forward() -> None:
    schedule = weekly_berlin()
    assert schedule.on_call(utc(2026, 3, 23, 8, 0)) == 1  # 09:00 CET
    assert schedule.on_call(utc(2026, 3, 23, 7, 59)) is None  # before the rotation starts
    # The next Monday is in summer time: 09:00 CEST is 07:00 UTC, not 08:00.
    assert schedule.on_call(utc(2026, 3, 30, 6, 59)) == 1
    assert schedule.on_call(utc(2026, 3, 30, 7, 0)) == 2
    slot = schedule.slot(utc(2026, 3, 25, 12, 0))
    assert slot is not None and slot.member_id == 1
    assert slot.starts_at == utc(2026, 3, 23, 8, 0) and slot.ends_at == utc(2026, 3, 30, 7, 0)
    nxt = schedule.next_slot(utc(2026, 3, 25, 12, 0))
    assert nxt is not None and nxt.member_id == 2 and nxt.starts_at == utc(2026, 3, 30, 7, 0)


def test_daily_new_york_fall_back_shift_lasts_25_hours() -> None:
    # 2026-11-01 02:00 EDT clocks go back to 01:00 EST.
    schedule = Schedule(Rotation((7, 8), "America/New_York", time(8, 0), 1, date(2026, 10, 30)))
    slot = schedule.slot(utc(2026, 10, 31, 20, 0))  # Saturday afternoon
    assert slot is not None and slot.member_id == 8
    assert slot.starts_at == utc(2026, 10, 31, 12, 0)  # 08:00 EDT
    assert slot.ends_at == utc(2026, 11, 1, 13, 0)  # 08:00 EST
    assert slot.ends_at - slot.starts_at == timedelta(hours=25)


def test_handoff_inside_the_spring_forward_gap_happens_an_hour_late() -> None:
    # 02:30 does not exist in New York on 2026-03-08: the handoff is at 03:30 EDT.
    schedule = Schedule(Rotation((1, 2), "America/New_York", time(2, 30), 1, date(2026, 3, 7)))
    assert schedule.on_call(utc(2026, 3, 8, 7, 29)) == 1
    assert schedule.on_call(utc(2026, 3, 8, 7, 30)) == 2  # 03:30 EDT
    # and the day after it is 02:30 EDT again
    assert schedule.on_call(utc(2026, 3, 9, 6, 30)) == 1


def test_handoff_inside_the_repeated_hour_happens_the_first_time() -> None:
    schedule = Schedule(Rotation((1, 2), "Europe/Berlin", time(2, 30), 1, date(2026, 10, 24)))
    # 2026-10-25 02:30 happens at 00:30 UTC (CEST) and again at 01:30 UTC (CET).
    assert schedule.on_call(utc(2026, 10, 25, 0, 29)) == 1
    assert schedule.on_call(utc(2026, 10, 25, 0, 30)) == 2
    assert schedule.on_call(utc(2026, 10, 25, 1, 45)) == 2  # not handed back the second time


def test_override_wins_inside_its_range_and_hands_back() -> None:
    base = weekly_berlin()
    cover = Override(9, utc(2026, 3, 24, 10, 0), utc(2026, 3, 24, 12, 0))
    schedule = Schedule(base.rotation, (cover,))
    assert schedule.on_call(utc(2026, 3, 24, 9, 59)) == 1
    assert schedule.on_call(utc(2026, 3, 24, 10, 0)) == 9
    assert schedule.on_call(utc(2026, 3, 24, 12, 0)) == 1
    slot = schedule.slot(utc(2026, 3, 24, 11, 0))
    assert slot is not None and slot.override and slot.ends_at == utc(2026, 3, 24, 12, 0)
    nxt = schedule.next_slot(utc(2026, 3, 24, 11, 0))
    assert nxt is not None and nxt.member_id == 1 and nxt.starts_at == utc(2026, 3, 24, 12, 0)
    back = schedule.slot(utc(2026, 3, 24, 13, 0))
    assert back is not None and back.starts_at == utc(2026, 3, 24, 12, 0)


def test_later_override_wins_and_schedule_without_members_has_only_overrides() -> None:
    empty = Rotation((), "UTC", time(9, 0), 7, date(2026, 1, 5))
    first = Override(1, utc(2026, 2, 1), utc(2026, 2, 3))
    second = Override(2, utc(2026, 2, 2), utc(2026, 2, 4))
    schedule = Schedule(empty, (first, second))
    assert schedule.on_call(utc(2026, 1, 31)) is None
    assert schedule.on_call(utc(2026, 2, 1, 12)) == 1
    assert schedule.on_call(utc(2026, 2, 2, 12)) == 2
    assert schedule.on_call(utc(2026, 2, 4)) is None
    assert schedule.slot(utc(2026, 2, 5)) is None
    nxt = schedule.next_slot(utc(2026, 1, 31))
    assert nxt is not None and nxt.member_id == 1


def test_next_skips_shifts_an_override_covers() -> None:
    rotation = Rotation((1, 2), "UTC", time(9, 0), 1, date(2026, 1, 1))
    # Member 1 takes every shift for ten days, member 2's included.
    schedule = Schedule(rotation, (Override(1, utc(2026, 1, 1, 9), utc(2026, 1, 11, 9)),))
    nxt = schedule.next_slot(utc(2026, 1, 1, 10))
    assert nxt is not None and nxt.member_id == 2 and nxt.starts_at == utc(2026, 1, 12, 9)


ZONES = st.sampled_from(["Europe/Berlin", "America/New_York", "Australia/Lord_Howe",
                         "Asia/Kolkata", "UTC", "America/St_Johns"])
INSTANTS = st.datetimes(min_value=datetime(2026, 6, 2), max_value=datetime(2028, 12, 31),
                        timezones=st.just(UTC))


@st.composite
def rotations(draw: st.DrawFn) -> Rotation:
    members = tuple(draw(st.lists(st.integers(1, 6), min_size=1, max_size=5)))
    return Rotation(members, draw(ZONES), time(draw(st.integers(0, 23)),
                                               draw(st.sampled_from([0, 15, 30, 59]))),
                    draw(st.sampled_from([1, 2, 3, 7, 14])),
                    draw(st.dates(date(2025, 12, 1), date(2026, 6, 1))))


@settings(max_examples=300, deadline=None)
@given(rotations(), INSTANTS)
def test_always_exactly_one_member_on_call_after_the_start(rotation: Rotation,
                                                          at: datetime) -> None:
    schedule = Schedule(rotation)
    shift = rotation.shift_at(at)
    assert shift is not None
    assert rotation.boundary(shift) <= at < rotation.boundary(shift + 1)
    assert schedule.on_call(at) == rotation.member_of(shift)
    slot = schedule.slot(at)
    assert slot is not None and slot.starts_at <= at
    assert slot.ends_at is None or at < slot.ends_at
    # Every shift lasts its length in wall-clock days, give or take one DST jump.
    length = rotation.boundary(shift + 1) - rotation.boundary(shift)
    assert abs(length - timedelta(days=rotation.length_days)) <= timedelta(hours=1)


@settings(max_examples=300, deadline=None)
@given(rotations(), INSTANTS, st.integers(100, 120),
       st.timedeltas(timedelta(minutes=1), timedelta(days=20)), INSTANTS)
def test_an_override_wins_inside_its_range_only(rotation: Rotation, starts: datetime,
                                                member: int, length: timedelta,
                                                at: datetime) -> None:
    override = Override(member, starts, starts + length)
    plain, covered = Schedule(rotation), Schedule(rotation, (override,))
    if override.covers(at):
        assert covered.on_call(at) == member
    else:
        assert covered.on_call(at) == plain.on_call(at)
    nxt = covered.next_slot(at)
    current = covered.on_call(at)
    assert nxt is None or (nxt.member_id != current and nxt.starts_at > at)


def test_parsing_what_people_type() -> None:
    assert parse_timezone("Europe/Berlin") == "Europe/Berlin"
    assert parse_handoff("9:05") == time(9, 5)
    assert parse_length("weekly") == 7 and parse_length("3d") == 3 and parse_length("2") == 2
    assert parse_duration("1h30m") == timedelta(minutes=90)
    assert parse_duration("2 h") == timedelta(hours=2)
    for bad, parser in [("Mars/Olympus", parse_timezone), ("", parse_timezone),
                        ("../etc/passwd", parse_timezone), ("25:00", parse_handoff),
                        ("noon", parse_handoff), ("0", parse_length), ("fortnight", parse_length),
                        ("2x", parse_duration), ("0m", parse_duration), ("100d", parse_duration),
                        ("", parse_duration)]:
        with pytest.raises(InvalidInput):
            parser(bad)  # type: ignore[operator]


@settings(deadline=None)  # a loaded 2-core machine took 312 ms once: a property, not a timing
@given(st.text(max_size=60))
def test_any_text_is_parsed_or_refused_clearly(text: str) -> None:
    for parser in (parse_timezone, parse_handoff, parse_length, parse_duration):
        try:
            parser(text)  # type: ignore[operator]
        except InvalidInput as error:
            assert error.message
