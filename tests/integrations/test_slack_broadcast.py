"""The announcements channel end to end: services record, the real OutboxWorker delivers
through the real slack_sdk client to the sandbox Slack, on SQLite and PostgreSQL."""

from datetime import timedelta
from typing import Any

from core import effects as fx
from core.fsm import Move
from core.permissions import Role
from core.postmortem import PmMove, Section
from services import incidents, integration_log, postmortems, responders, storms
from store.types import utcnow
from tests.integrations.test_slack_effects import Rig, set_setting
from vigilo.sandbox.slack_model import BOT_USER_ID


def announced(rig: Rig, name: str = "incidents") -> list[Any]:
    channel = rig.fake.channel_by_name(name)
    assert channel is not None
    return rig.fake.messages(channel.id)


def with_channel(rig: Rig, *, bot_member: bool = True, ref: str = "#incidents",
                 severity: str | None = None) -> str:
    channel = rig.fake.add_channel("incidents", bot_member=bot_member)
    set_setting(rig.world, "announce_channel", channel if ref == "id" else ref)
    if severity:
        set_setting(rig.world, "announce_severity", severity)
    return channel


def test_one_message_per_incident_updated_in_place_as_it_moves(rig: Rig) -> None:
    with_channel(rig)
    incident = rig.declare("Checkout is down", severity="p1")
    rig.drain()
    [card] = announced(rig)
    text = card.full_text
    for expected in ("INC-0001", "Checkout is down", "P1 (critical)", "Open",
                     "<@UENGINEER>", f"<#{rig.incident().slack_channel_id}>",
                     "https://vigilo.example.com/ws/acme/incidents/INC-0001"):
        assert expected in text
    rig.move(incident, Move.INVESTIGATE)
    incidents.change_severity(rig.db, rig.world.actor(), 1, "p2")
    helper = rig.world.members_extra[0]
    responders.add_responder(rig.db, rig.world.actor(), 1, helper.id or 0)
    responders.promote(rig.db, rig.world.actor(), 1, helper.id or 0)
    incidents.edit_incident(rig.db, rig.world.actor(Role.ADMIN), 1, title="Checkout is slow")
    rig.move(incident, Move.RESOLVE)
    rig.drain()
    [card] = announced(rig)  # still one message, now current
    text = card.full_text
    assert card.edited
    for expected in ("Checkout is slow", "P2 (high)", "Resolved", f"<@{helper.slack_user_id}>"):
        assert expected in text
    assert "Checkout is down" not in text and "Open" not in text
    posts = [c for c in rig.fake.calls_to("chat.postMessage")
             if c.params.get("channel") == "#incidents"]
    assert len(posts) == 1
    assert {r.status for r in rig.rows(fx.SLACK_BROADCAST)} == {"done"}


def test_below_the_threshold_nothing_until_raised_into_range(rig: Rig) -> None:
    with_channel(rig, severity="p1")
    incident = rig.declare("Search is slow", severity="p3")
    rig.move(incident, Move.INVESTIGATE)
    rig.drain()
    assert announced(rig) == []
    assert [r.status for r in rig.rows(fx.SLACK_BROADCAST)] == ["skipped"]  # the move
    incidents.change_severity(rig.db, rig.world.actor(), 1, "p1")
    rig.drain()
    [card] = announced(rig)
    assert "P1 (critical)" in card.full_text and "Investigating" in card.full_text
    incidents.change_severity(rig.db, rig.world.actor(), 1, "p3")  # out of range: still kept
    rig.drain()
    [card] = announced(rig)
    assert "P3 (medium)" in card.full_text


def test_no_setting_no_broadcast(rig: Rig) -> None:
    rig.fake.add_channel("incidents")
    rig.declare("Checkout is down", severity="p1")
    rig.drain()
    assert announced(rig) == [] and rig.rows(fx.SLACK_BROADCAST) == []


def test_a_lost_post_answer_is_adopted_not_posted_twice(rig: Rig) -> None:
    channel = with_channel(rig, ref="id")
    rig.fake.lose_next_answer("chat.postMessage", channel=channel)
    rig.declare("Checkout is down", severity="p1")
    rig.drain()
    [row] = rig.rows(fx.SLACK_BROADCAST)
    assert row.status == "pending" and "HTTP 500" in (row.last_error or "")
    assert len(rig.fake.messages(channel)) == 1  # Slack did post it
    rig.clock.advance(120)
    rig.drain()
    [card] = rig.fake.messages(channel)
    [row] = rig.rows(fx.SLACK_BROADCAST)
    assert row.status == "done" and row.payload["progress"]["adopted"] is True
    rig.move(rig.incident(), Move.INVESTIGATE)
    rig.drain()
    [card] = rig.fake.messages(channel)
    assert card.edited and "Investigating" in card.full_text


def test_a_lost_answer_by_channel_name_is_adopted_once_the_id_is_known(rig: Rig) -> None:
    with_channel(rig)
    rig.declare("First", severity="p1")
    rig.drain()
    channel = rig.fake.channel_by_name("incidents")
    assert channel is not None
    rig.fake.lose_next_answer("chat.postMessage", channel="#incidents")
    rig.declare("Second", severity="p1")
    rig.drain()
    rig.clock.advance(120)
    rig.drain()
    assert [m.full_text.count("INC-0002") > 0 for m in announced(rig)] == [False, True]


def test_bot_not_in_a_channel_given_by_name_says_whom_to_invite(rig: Rig) -> None:
    with_channel(rig, bot_member=False)
    rig.declare("Checkout is down", severity="p1")
    rig.drain()
    [row] = rig.rows(fx.SLACK_BROADCAST)
    assert row.status == "dead"
    assert "invite @Vigilo to #incidents" in (row.last_error or "")
    states = {s.name: s for s in integration_log.states(
        rig.db, rig.world.actor(Role.ADMIN), [("slack", None)])}
    last = states["slack"].last_error
    assert last is not None and "invite @Vigilo to #incidents" in last.detail
    assert not rig.fake.calls_to("conversations.join")  # a name alone cannot be joined


def test_a_public_channel_given_by_id_is_joined(rig: Rig) -> None:
    channel = with_channel(rig, bot_member=False, ref="id")
    rig.declare("Checkout is down", severity="p1")
    rig.drain()
    assert [c.error for c in rig.fake.calls_to("conversations.join")] == [None]
    assert BOT_USER_ID in rig.fake.channels[channel].members
    assert len(rig.fake.messages(channel)) == 1


def test_a_private_channel_the_bot_is_not_in_needs_an_invite(rig: Rig) -> None:
    channel = rig.fake.add_channel("war-room", is_private=True, bot_member=False)
    set_setting(rig.world, "announce_channel", channel)
    rig.declare("Checkout is down", severity="p1")
    rig.drain()
    [row] = rig.rows(fx.SLACK_BROADCAST)
    assert row.status == "dead" and f"invite @Vigilo to {channel}" in (row.last_error or "")


def test_missing_and_archived_channels_are_explained(rig: Rig) -> None:
    set_setting(rig.world, "announce_channel", "#nowhere")
    rig.declare("One", severity="p1")
    rig.drain()
    [row] = rig.rows(fx.SLACK_BROADCAST)
    assert row.status == "dead" and "#nowhere does not exist" in (row.last_error or "")
    channel = with_channel(rig)
    rig.fake.state.channels[channel].archived = True
    rig.declare("Two", severity="p1")
    rig.drain()
    row = rig.rows(fx.SLACK_BROADCAST)[-1]
    assert row.status == "dead" and "#incidents is archived" in (row.last_error or "")
    # The incident channel itself is not held up by the announcements channel.
    assert rig.rows(fx.SLACK_CREATE_CHANNEL)[-1].status == "done"


def test_a_published_postmortem_is_posted_there(rig: Rig) -> None:
    with_channel(rig)
    incident = rig.declare("Checkout is down", severity="p1")
    rig.move(incident, Move.INVESTIGATE)
    rig.move(incident, Move.RESOLVE, root_cause="bad deploy")
    rig.move(incident, Move.OPEN_POST_MORTEM)
    actor = rig.world.actor()
    postmortems.move(rig.db, actor, 1, PmMove.REVIEW)
    for section in (Section.SUMMARY, Section.IMPACT, Section.ROOT_CAUSE):
        postmortems.edit_section(rig.db, actor, 1, section, f"{section.value} text")
    rig.drain()
    assert len(announced(rig)) == 1  # review is quiet
    postmortems.move(rig.db, actor, 1, PmMove.PUBLISH)
    rig.drain()
    card, post = announced(rig)
    assert "Postmortem published for INC-0001" in post.text
    assert "incidents/INC-0001?tab=postmortem" in post.full_text
    assert "Post-mortem" in card.full_text


def test_a_storm_is_posted_there_once(rig: Rig) -> None:
    with_channel(rig, severity="p1")
    for n in range(3):
        incidents.declare(rig.db, rig.world.actor(), title=f"api {n}", services=["api"],
                          severity="p3", detected_at=utcnow() - timedelta(minutes=3))
    storms.detect(rig.db, utcnow())
    storms.detect(rig.db, utcnow())  # the job again: nothing more
    rig.drain()
    [post] = announced(rig)  # no incident cards: all three are p3
    assert "Possible incident storm #1: 3 related incidents (service api)" in post.text
    assert "/ws/acme/storms/1" in post.full_text
    [row] = rig.rows(fx.SLACK_BROADCAST)
    assert row.incident_id is None and row.status == "done"


def test_updates_to_a_deleted_channel_say_so_and_a_deleted_card_is_left_alone(
        rig: Rig) -> None:
    channel = with_channel(rig)
    rig.declare("Checkout is down", severity="p1")
    rig.drain()
    [card] = announced(rig)
    rig.fake.state.messages[channel].clear()  # someone deleted the card
    rig.move(rig.incident(), Move.INVESTIGATE)
    rig.drain()
    row = rig.rows(fx.SLACK_BROADCAST)[-1]
    assert row.status == "done" and announced(rig) == []
    del rig.fake.state.channels[channel]  # someone deleted the announcements channel
    rig.move(rig.incident(), Move.MITIGATE)
    rig.drain()
    row = rig.rows(fx.SLACK_BROADCAST)[-1]
    assert row.status == "dead" and "#incidents does not exist" in (row.last_error or "")
