"""On-call schedules in the store: rotation order, overrides, permissions, tenancy."""

from datetime import UTC, date, datetime

import pytest

from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.permissions import Role
from services import oncall, workspaces
from services.actor import Actor
from tests.conftest import World


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def weekly(world: World) -> None:
    admin = world.actor(Role.ADMIN)
    oncall.create_schedule(world.db, admin, "primary", "Europe/Berlin", "09:00", "weekly",
                           date(2026, 3, 23))
    for member in world.members_extra:
        oncall.add_to_rotation(world.db, admin, None, member.slack_user_id)


def test_rotation_in_order_with_now_and_next_across_dst(world: World) -> None:
    weekly(world)
    [view] = oncall.show(world.db, world.ws_id, at=at(2026, 3, 25, 12))
    assert [p.name for p in view.rotation] == ["Eng 0", "Eng 1", "Eng 2"]
    assert view.now is not None and view.now.person.name == "Eng 0"
    assert view.next is not None and view.next.person.name == "Eng 1"
    assert view.next.starts_at == at(2026, 3, 30, 7)  # 09:00 CEST
    [later] = oncall.show(world.db, world.ws_id, "primary", at=at(2026, 4, 14, 8))
    assert later.now is not None and later.now.person.name == "Eng 0"  # came round again
    assert later.to_json()["now"]["slack_user_id"] == "UENG0"  # type: ignore[index]


def test_override_for_yourself_and_by_an_admin(world: World) -> None:
    weekly(world)
    engineer = world.actor(Role.ENGINEER)
    view = oncall.override(world.db, engineer, None, None, at(2026, 3, 25, 10),
                           at(2026, 3, 25, 12))
    [during] = oncall.show(world.db, world.ws_id, at=at(2026, 3, 25, 11))
    assert during.now is not None and during.now.person.name == "Engineer"
    assert during.now.override and during.next is not None
    assert during.next.person.name == "Eng 0" and during.next.starts_at == at(2026, 3, 25, 12)
    assert view.name == "primary"
    with pytest.raises(PermissionDenied, match="yourself"):
        oncall.override(world.db, engineer, None, "UENG1", at(2026, 3, 26), at(2026, 3, 27))
    oncall.override(world.db, world.actor(Role.ADMIN), None, "UENG2", at(2026, 3, 26),
                    at(2026, 3, 27))
    [taken] = oncall.show(world.db, world.ws_id, at=at(2026, 3, 26, 1))
    assert taken.now is not None and taken.now.person.name == "Eng 2"
    with pytest.raises(PermissionDenied):
        oncall.override(world.db, world.actor(Role.VIEWER), None, None, at(2026, 3, 26),
                        at(2026, 3, 27))
    with pytest.raises(InvalidInput, match="end after"):
        oncall.override(world.db, engineer, None, None, at(2026, 3, 26), at(2026, 3, 26))


def test_who_to_page_names_empty_schedules(world: World) -> None:
    weekly(world)
    admin = world.actor(Role.ADMIN)
    oncall.create_schedule(world.db, admin, "db-team", "UTC", "08:00", "daily",
                           date(2026, 1, 1))
    people, empty = oncall.on_call_now(world.db, world.ws_id, at(2026, 3, 25, 12))
    assert [(s, p.slack_user_id) for s, p in people] == [("primary", "UENG0")]
    assert empty == ["db-team"]
    with pytest.raises(InvalidInput, match="Which schedule"):
        oncall.add_to_rotation(world.db, admin, None, "UENG0")
    oncall.add_to_rotation(world.db, admin, "db-team", "UENG0")
    people, empty = oncall.on_call_now(world.db, world.ws_id, at(2026, 3, 25, 12))
    assert len(people) == 1 and empty == []  # the same person on two schedules: paged once
    oncall.remove_from_rotation(world.db, admin, "db-team", "UENG0")
    with pytest.raises(NotFound):
        oncall.remove_from_rotation(world.db, admin, "db-team", "UENG0")


def test_bad_input_and_permissions_change_nothing(world: World) -> None:
    admin = world.actor(Role.ADMIN)
    with pytest.raises(NotFound, match="No on-call schedule"):
        oncall.show(world.db, world.ws_id, "primary")
    with pytest.raises(InvalidInput, match="IANA"):
        oncall.create_schedule(world.db, admin, None, "Berlin")
    with pytest.raises(PermissionDenied):
        oncall.create_schedule(world.db, world.actor(Role.ENGINEER), None, "UTC")
    with pytest.raises(InvalidInput, match="schedule name"):
        oncall.create_schedule(world.db, admin, "Bad Name!", "UTC")
    assert oncall.show(world.db, world.ws_id) == []
    view = oncall.create_schedule(world.db, admin, None, "America/New_York", "8:30", "3")
    assert (view.name, view.handoff, view.length_days, view.now) == ("primary", "08:30", 3,
                                                                     None)
    with pytest.raises(Conflict):
        oncall.create_schedule(world.db, admin, "primary", "UTC")
    with pytest.raises(NotFound, match="UNOBODY"):
        oncall.add_to_rotation(world.db, admin, None, "UNOBODY")


def test_schedules_never_cross_workspaces(world: World) -> None:
    weekly(world)
    other = workspaces.create_workspace(world.db, "other")
    owner = Actor(other.id or 0, None, "operator", Role.OWNER, "cli")
    assert oncall.show(world.db, other.id or 0) == []
    oncall.create_schedule(world.db, owner, "primary", "UTC")
    with pytest.raises(NotFound):  # acme's member is not a member of "other"
        oncall.add_to_rotation(world.db, owner, None, "UENG0")
    [mine] = oncall.show(world.db, world.ws_id, at=at(2026, 3, 25))
    assert len(mine.rotation) == 3


def test_phone_numbers_are_validated_on_the_way_in(world: World) -> None:
    with pytest.raises(InvalidInput, match="country code"):
        workspaces.add_member(world.db, world.ws_id, "UPHONE1", "Pat", phone="555-1234")
    assert workspaces.find_member(world.db, world.ws_id, "UPHONE1") is None
    member = workspaces.add_member(world.db, world.ws_id, "UPHONE2", "Sam",
                                   phone="+49 151 1234 5678")
    assert member.phone == "+4915112345678"
    admin = world.actor(Role.ADMIN)
    with pytest.raises(InvalidInput):
        workspaces.set_member(world.db, admin, "UPHONE2", phone="call me")
    assert workspaces.set_member(world.db, admin, "UPHONE2", phone="+1 415 555 0123"
                                 ).phone == "+14155550123"
    assert workspaces.set_member(world.db, admin, "UPHONE2", phone="").phone is None


def test_several_schedules_keep_their_own_rotation_and_overrides(world: World) -> None:
    weekly(world)
    admin = world.actor(Role.ADMIN)
    oncall.create_schedule(world.db, admin, "db-team", "UTC", "08:00", "daily",
                           date(2026, 3, 20))
    for slack_id in ("UENG2", "UENG1"):
        oncall.add_to_rotation(world.db, admin, "db-team", slack_id)
    oncall.override(world.db, admin, "db-team", "UENG0", at(2026, 3, 25, 10),
                    at(2026, 3, 25, 12))
    db_team, primary = oncall.show(world.db, world.ws_id, at=at(2026, 3, 25, 11))
    assert [p.name for p in primary.rotation] == ["Eng 0", "Eng 1", "Eng 2"]
    assert [p.name for p in db_team.rotation] == ["Eng 2", "Eng 1"]
    assert primary.now is not None and not primary.now.override
    assert db_team.now is not None and db_team.now.override
    assert db_team.now.person.name == "Eng 0" and db_team.next is not None
    assert db_team.next.starts_at == at(2026, 3, 25, 12)  # handed back when it ends
    people, empty = oncall.on_call_now(world.db, world.ws_id, at(2026, 3, 25, 11))
    assert [(s, p.slack_user_id) for s, p in people] == [("db-team", "UENG0")] and not empty
