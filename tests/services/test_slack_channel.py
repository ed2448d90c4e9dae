"""The Slack adapter's read models and writes (services/slack_channel.py)."""

import dataclasses

import pytest
from sqlmodel import select

from core.effects import Label
from core.permissions import Role
from services import incidents, responders, slack_channel, slack_team
from services.actor import Actor
from store.models import TimelineEvent
from tests.conftest import World


def test_the_view_puts_the_commander_first_and_is_frozen(world: World) -> None:
    declarer, commander = world.actor(Role.ENGINEER), world.members[Role.ADMIN]
    incident = incidents.declare(world.db, declarer, title="Checkout down",
                                 severity="p2", services=["checkout"],
                                 commander_id=commander.id)
    view = slack_channel.incident_view(world.db, incident.id or 0)
    assert (view.number, view.title, view.severity, view.status) == (1, "Checkout down",
                                                                     "p2", "open")
    assert view.workspace_slug == "acme" and view.services == ("checkout",)
    assert view.commander == slack_channel.Person("Admin", "UADMIN")
    assert [p.slack_user_id for p in view.people] == ["UADMIN", "UENGINEER"]
    assert view.channel_id is None and view.settings.auto_create_channel and view.memo == {}
    with pytest.raises(dataclasses.FrozenInstanceError):
        view.title = "changed"  # type: ignore[misc]
    with pytest.raises(slack_channel.IncidentGone):
        slack_channel.incident_view(world.db, 987654)


def test_the_view_of_an_incident_nobody_is_on_has_no_people(world: World) -> None:
    # Declared from the console: no member commands it, and the people's rows come back empty.
    incident = incidents.declare(world.db, Actor.operator(world.ws_id), title="Disk full")
    view = slack_channel.incident_view(world.db, incident.id or 0)
    assert view.commander is None and view.people == () and view.title == "Disk full"


def test_the_view_lists_everyone_once_each_in_the_order_they_joined(world: World) -> None:
    commander, later = world.members[Role.ADMIN], world.members[Role.VIEWER]
    incident = incidents.declare(world.db, world.actor(), title="Checkout down",
                                 commander_id=commander.id)
    responders.add_responder(world.db, world.actor(), incident.number, later.id or 0)
    view = slack_channel.incident_view(world.db, incident.id or 0)
    assert [p.slack_user_id for p in view.people] == ["UADMIN", "UENGINEER", "UVIEWER"]


def test_a_channel_is_recorded_once_and_the_loser_learns_the_winner(world: World) -> None:
    incident = incidents.declare(world.db, world.actor(), title="Checkout down")
    incident_id = incident.id or 0
    assert slack_channel.store_channel(world.db, incident_id, "C1", "inc-0001-a") == (
        "C1", "inc-0001-a", True)
    assert slack_channel.store_channel(world.db, incident_id, "C2", "inc-0001-a-2") == (
        "C1", "inc-0001-a", False)
    assert slack_channel.channel_claimed(world.db, "C1")
    assert not slack_channel.channel_claimed(world.db, "C2")
    assert slack_channel.channel_memo(world.db, incident_id) == {"name": "inc-0001-a"}
    slack_channel.remember(world.db, "C1", sitrep_ts="1.2")
    assert slack_channel.channel_memo(world.db, incident_id)["sitrep_ts"] == "1.2"
    view = slack_channel.incident_view(world.db, incident_id)
    assert (view.channel_id, view.channel_name) == ("C1", "inc-0001-a")
    assert view.memo == slack_channel.channel_memo(world.db, incident_id)  # read with it
    counts = slack_channel.closing_counts(world.db, incident_id)
    assert counts.timeline_events == 2  # declared, channel created (once)
    with world.db.read() as session:
        entry = session.exec(select(TimelineEvent).where(
            TimelineEvent.label == Label.CHANNEL_CREATED)).one()
    assert (entry.incident_id, entry.source, entry.text) == (
        incident_id, "vigilo", "Slack channel #inc-0001-a created")
    assert entry.payload == {"channel_id": "C1", "channel_name": "inc-0001-a"}
    assert entry.at.tzinfo is not None and not entry.editable
    slack_channel.add_event(world.db, incident_id, Label.CHANNEL_ARCHIVED, "archived", "k")
    slack_channel.add_event(world.db, incident_id, Label.CHANNEL_ARCHIVED, "archived", "k")
    assert slack_channel.closing_counts(world.db, incident_id).timeline_events == 3


def test_progress_is_kept_on_the_effect(world: World) -> None:
    incident = incidents.declare(world.db, world.actor(), title="Checkout down")
    found = slack_channel.channel_effect(world.db, incident.id or 0)
    assert found is not None and found.status == "pending" and found.last_error is None
    assert slack_channel.progress(world.db, found.id) == {}
    slack_channel.mark_progress(world.db, found.id, ts="1.1")
    slack_channel.mark_progress(world.db, found.id, summary_ts="2.2")
    assert slack_channel.progress(world.db, found.id) == {"ts": "1.1", "summary_ts": "2.2"}
    assert slack_channel.progress(world.db, 987654) == {}
    assert slack_channel.slack_ids(world.db, world.ws_id, []) == []
    assert slack_channel.slack_ids(world.db, world.ws_id,
                                   [world.members[Role.OWNER].id or 0]) == ["UOWNER"]


def test_the_channels_made_so_far_of_many_incidents_in_one_query(world: World) -> None:
    first = incidents.declare(world.db, world.actor(), title="One")
    incidents.declare(world.db, world.actor(), title="Two")
    slack_channel.store_channel(world.db, first.id or 0, "C1", "inc-0001-one")
    keys = [(world.ws_id, 1), (world.ws_id, 2), (world.ws_id, 3), (world.ws_id + 99, 1)]
    assert slack_team.incident_channels(world.db, keys) == {(world.ws_id, 1): "C1"}
