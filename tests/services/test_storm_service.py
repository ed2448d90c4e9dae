"""Storm detection, joining, Acknowledge all and resolving, on SQLite and PostgreSQL."""

from datetime import timedelta

import pytest
from sqlmodel import select

from core.errors import InvalidInput, NotFound, PermissionDenied
from core.fsm import Move, Status
from core.permissions import Role
from services import incidents, storm_views, storms, workspaces
from services.actor import Actor
from services.queries import get_detail
from store.insight_models import IncidentStorm, IncidentStormMember
from store.models import Outbox, TimelineEvent
from store.types import utcnow
from tests.conftest import World


def declare(world: World, title: str, minutes_ago: float, *services: str) -> str:
    incident = incidents.declare(world.db, world.actor(), title=title, services=list(services),
                                 detected_at=utcnow() - timedelta(minutes=minutes_ago))
    return f"INC-{incident.number:04d}"


def test_detect_creates_one_storm_later_ones_join_and_a_rerun_changes_nothing(
        world: World) -> None:
    now = utcnow()
    for n in range(3):
        declare(world, f"checkout {n}", 20 - n, "checkout")
    declare(world, "search", 5, "search")
    first = storms.detect(world.db, now)
    assert (first.created, first.joined) == (1, 3)
    assert storms.detect(world.db, now) == storms.PassResult()  # idempotent
    late = declare(world, "checkout again", 0, "Checkout")
    assert storms.detect(world.db, utcnow()) == storms.PassResult(0, 1)
    [view] = storm_views.open_storms(world.db, world.ws_id)
    assert view.reason == "service:checkout" and len(view.members) == 4
    assert view.members[-1].key == late
    assert view.banner == "4 related incidents in the last 30 minutes — possible storm."
    assert view.common_of("service") == ["checkout"]
    assert view.to_json()["common"] == {"services": ["checkout"], "tags": [],
                                                  "assets": []}
    with world.db.read() as session:
        entries = session.exec(select(TimelineEvent).where(
            TimelineEvent.label == "storm_joined")).all()
        announced = session.exec(select(Outbox).where(Outbox.kind == "slack.announce")).all()
    assert len(entries) == 4
    assert sum(o.payload.get("event") == "storm_joined" for o in announced) == 4


def test_auto_resolve_after_an_hour_quiet_and_twice_is_once(world: World) -> None:
    for n in range(3):
        declare(world, f"db {n}", 10, "db")
    now = utcnow()
    storms.detect(world.db, now)
    assert storms.auto_resolve(world.db, now + timedelta(minutes=30)) == 0
    assert storms.auto_resolve(world.db, now + timedelta(hours=1)) == 1
    assert storms.auto_resolve(world.db, now + timedelta(hours=1)) == 0
    assert storm_views.open_storms(world.db, world.ws_id) == []


def test_acknowledge_all_commands_every_member_and_moves_open_ones(world: World) -> None:
    keys = [declare(world, f"api {n}", 5, "api") for n in range(3)]
    incidents.transition(world.db, world.actor(), keys[0], Move.INVESTIGATE)
    storms.detect(world.db, utcnow())
    storm_id = storm_views.open_storms(world.db, world.ws_id)[0].id
    me = world.actor_for(0)
    result = storms.acknowledge_all(world.db, me, storm_id, utcnow())
    assert result.commanded == tuple(keys)
    assert result.investigating == tuple(keys[1:])
    for key in keys:
        incident = get_detail(world.db, world.ws_id, key).incident
        assert incident.commander_id == me.member_id
        assert incident.status == Status.INVESTIGATING
    # Again: already commander and investigating, nothing moves.
    again = storms.acknowledge_all(world.db, me, storm_id, utcnow())
    assert again.investigating == ()


def test_resolve_by_hand_is_for_admins_and_other_workspaces_see_nothing(world: World) -> None:
    for n in range(3):
        declare(world, f"dns {n}", 3, "dns")
    storms.detect(world.db, utcnow())
    storm_id = storm_views.open_storms(world.db, world.ws_id)[0].id
    with pytest.raises(PermissionDenied):
        storms.resolve(world.db, world.actor(Role.ENGINEER), storm_id, utcnow())
    ws2 = workspaces.create_workspace(world.db, "other", "Other")
    outsider = Actor(ws2.id or 0, None, "op", Role.OWNER, "cli")
    with pytest.raises(NotFound):
        storms.resolve(world.db, outsider, storm_id, utcnow())
    with pytest.raises(NotFound):
        storm_views.get_storm(world.db, ws2.id or 0, storm_id)
    storms.resolve(world.db, world.actor(Role.ADMIN), storm_id, utcnow())
    with pytest.raises(InvalidInput):
        storms.resolve(world.db, world.actor(Role.ADMIN), storm_id, utcnow())
    with world.db.read() as session:
        storm = session.get(IncidentStorm, storm_id)
        assert storm is not None and storm.status == "resolved"
        assert len(session.exec(select(IncidentStormMember)).all()) == 3
