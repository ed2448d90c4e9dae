"""Socket Mode keeps the inbox's promise: commands, clicks, forms and channel messages that
arrive over the websocket are stored before they are acked, once per delivery, and replayed
after a crash like HTTP ones. The real slack_sdk Socket Mode client talks to a loopback
websocket fake (vigilo/sandbox/slack_socket.py)."""

import json
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl

import pytest
from sqlalchemy import update
from sqlmodel import col, select

from core.permissions import Role
from services import incidents, queries
from store.inbox_models import DISPATCH, DONE, MESSAGE, PENDING, InboxRow
from store.models import Incident
from store.types import utcnow
from tests.conftest import World
from vigilo.app import Vigilo, build
from vigilo.sandbox.signing import message_event, slash_command
from vigilo.sandbox.slack_api import FakeSlack
from vigilo.sandbox.slack_model import TEAM_ID
from vigilo.sandbox.slack_socket import FakeSocketMode
from vigilo.settings import Settings

TOKEN = "xoxb-test"


class SocketRig:
    def __init__(self, world: World, fake: FakeSlack, socket: FakeSocketMode) -> None:
        self.world, self.fake, self.socket = world, fake, socket
        for role, member in world.members.items():
            fake.add_user(member.slack_user_id, role.value, member.display_name)
        settings = Settings(slack_bot_token=TOKEN, slack_app_token=socket.app_token,
                            slack_api_url=fake.base_url, base_url="http://vigilo.test",
                            workspace="acme")
        self.vigilo: Vigilo = build(settings, db=world.db, run_worker=False)
        self.vigilo.start()  # links the team and opens the Socket Mode connection
        assert self.vigilo.slack is not None
        self.bot = self.vigilo.slack.bot
        self.bot.channel_wait = 0.0
        assert socket.wait_connected(10), "the Socket Mode client never connected"

    def command(self, text: str, name: str) -> tuple[str, list[InboxRow]]:
        """Send `/vigilo <text>` over the socket; the envelope id and the inbox rows as they
        were the moment its ack arrived."""
        body, _ = slash_command(text, user_id=self.world.members[Role.ENGINEER].slack_user_id,
                                user_name="eng", channel_id="CGENERAL",
                                response_url=self.fake.response_url(name),
                                trigger_id=f"trigger-{name}")
        envelope = self.socket.send("slash_commands", dict(parse_qsl(body.decode())))
        self.socket.wait_ack(envelope)
        return envelope, rows(self.world)


def rows(world: World) -> list[InboxRow]:
    with world.db.read() as session:
        return list(session.exec(select(InboxRow).order_by(col(InboxRow.id))))


@pytest.fixture(name="rig")
def rig_fixture(world: World) -> Iterator[SocketRig]:
    with FakeSlack(TOKEN) as fake, FakeSocketMode() as socket:
        fake.socket_mode = socket
        rig = SocketRig(world, fake, socket)
        try:
            yield rig
        finally:
            rig.vigilo.stop()


def test_a_command_is_stored_before_its_ack_then_carried_out_and_settled(
        rig: SocketRig) -> None:
    _, at_ack = rig.command("new p2 Payments API 500s", "first")
    [row] = at_ack  # in the database when Slack got its ack
    assert (row.source, row.kind, row.content_type) == ("slack", DISPATCH, "application/json")
    assert json.loads(row.body)["text"] == "new p2 Payments API 500s"
    assert rig.bot.wait_idle(10)
    replies = rig.fake.responses("first")
    assert len(replies) == 1 and "Declared" in replies[0]["text"]
    assert rows(rig.world)[0].status == DONE


def test_a_command_left_by_a_crash_is_replayed_from_the_inbox_once(rig: SocketRig) -> None:
    rig.command("new p2 Payments API 500s", "crashed")
    assert rig.bot.wait_idle(10)
    # As a replica that crashed before settling leaves it: pending, its lease run out.
    with rig.world.db.transaction() as session:
        session.execute(update(InboxRow).values(status=PENDING, locked_until=utcnow()
                                                - timedelta(seconds=1)))
    assert rig.vigilo.slack is not None
    rig.vigilo.slack.inbox.step()  # or the app's own worker: either way it runs once more
    assert rig.bot.wait_idle(10)
    deadline = time.monotonic() + 10
    while len(rig.fake.responses("crashed")) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(rig.fake.responses("crashed")) == 2  # answered again through response_url
    with rig.world.db.read() as session:
        assert len(session.exec(select(Incident)).all()) == 1  # idempotent by trigger id
    assert rows(rig.world)[0].status == DONE


def test_a_redelivered_command_envelope_is_stored_and_carried_out_once(
        rig: SocketRig) -> None:
    envelope, _ = rig.command("new p3 Search is slow", "twice")
    body, _ = slash_command("new p3 Search is slow",
                            user_id=rig.world.members[Role.ENGINEER].slack_user_id,
                            user_name="eng", channel_id="CGENERAL",
                            response_url=rig.fake.response_url("twice"),
                            trigger_id="trigger-twice")
    again = rig.socket.send("slash_commands", dict(parse_qsl(body.decode())),
                            retry_attempt=1, envelope_id=envelope + "-again")
    rig.socket.wait_ack(again)
    assert rig.bot.wait_idle(10)
    assert len(rows(rig.world)) == 1 and len(rig.fake.responses("twice")) == 1


def test_channel_messages_are_stored_acked_and_captured_once(rig: SocketRig) -> None:
    incidents.declare(rig.world.db, rig.world.actor(), title="Checkout is down")
    rig.vigilo.worker.drain()
    channel = queries.get_detail(rig.world.db, rig.world.ws_id, 1).incident.slack_channel_id
    assert channel
    event = message_event(channel, rig.world.members[Role.ENGINEER].slack_user_id,
                          "db failover started", "1700000000.000100")
    payload: dict[str, Any] = {"type": "event_callback", "team_id": TEAM_ID,
                               "event_id": "EvSock1", "event": event}
    for attempt in (0, 1):  # Slack's redelivery keeps the event id
        envelope = rig.socket.send("events_api", payload, retry_attempt=attempt)
        assert rig.socket.wait_ack(envelope) == {}
    assert rig.vigilo.slack is not None
    rig.vigilo.slack.inbox.notify()
    assert rig.vigilo.slack.inbox.wait_idle(10)
    messages = [r for r in rows(rig.world) if r.kind == MESSAGE]
    assert [(r.delivery_key, r.status) for r in messages] == [
        (f"event:{TEAM_ID}:EvSock1", DONE)]
    detail = queries.get_detail(rig.world.db, rig.world.ws_id, 1)
    assert [e.text for e in detail.timeline if e.label == "message"] == ["db failover started"]


def test_an_envelope_of_a_shape_slack_never_sends_is_acked_and_stores_nothing(
        rig: SocketRig) -> None:
    envelope = rig.socket.send("interactive", {"type": "view_submission", "view": None})
    assert rig.socket.wait_ack(envelope) == {}
    assert rows(rig.world) == []
