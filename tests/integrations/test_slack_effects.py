"""Slack effects end to end: services record them, the real OutboxWorker delivers them through
the real slack_sdk WebClient to the sandbox Slack on loopback, on SQLite and PostgreSQL."""

import random
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse
from sqlmodel import col, select

from core import effects as fx
from core.fsm import Move
from core.permissions import Role
from integrations.outbox import Effect, OutboxWorker, RetryAfter
from integrations.slack.blocks import (
    ACTION_ADD_RESPONDERS,
    ACTION_INVESTIGATE,
    ACTION_MITIGATE,
    ACTION_POSTMORTEM,
    ACTION_REOPEN,
    ACTION_RESOLVE,
    ClosingFacts,
    IncidentCard,
    announcement,
    closing_summary,
    situation_report,
    topic,
)
from integrations.slack.client import build_client
from integrations.slack.effects import SlackEffects, handlers
from integrations.slack.errors import SlackUnavailable, translate
from services import incidents, queries, responders, workspaces
from store.models import Incident, IntegrationLog, Outbox, TimelineEvent
from store.types import utcnow
from tests.conftest import World
from vigilo.sandbox.slack_api import DEFAULT_BOT_TOKEN, GARBAGE, FakeSlack
from vigilo.sandbox.slack_model import BOT_USER_ID

BASE = "https://vigilo.example.com"


class Clock:
    def __init__(self) -> None:
        self.now = utcnow() + timedelta(seconds=5)  # effects recorded just now are due

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    def catch_up(self) -> None:
        """Keep what was recorded just now due, however long a loaded machine took to record it."""
        self.now = max(self.now, utcnow() + timedelta(seconds=5))


class Rig:
    def __init__(self, world: World, fake: FakeSlack) -> None:
        self.world, self.db, self.fake = world, world.db, fake
        self.client = build_client(DEFAULT_BOT_TOKEN, fake.base_url, connection_retries=0)
        self.clock = Clock()
        self.slack = SlackEffects(self.db, self.client, BASE)
        self.worker = self.new_worker()

    def drain(self) -> None:
        """Deliver what is due now, however long this machine took to record it."""
        self.clock.catch_up()
        self.worker.drain()

    def new_worker(self) -> OutboxWorker:
        return OutboxWorker(self.db, handlers(self.db, self.client, BASE), clock=self.clock,
                            rng=random.Random(7))

    def declare(self, title: str = "Checkout is down", **kw: Any) -> Incident:
        incident = incidents.declare(self.db, self.world.actor(), title=title, **kw)
        self.clock.catch_up()
        return incident

    def move(self, incident: Incident, move: Move, **kw: Any) -> Incident:
        moved = incidents.transition(self.db, self.world.actor(), incident.number, move, **kw)
        self.clock.catch_up()
        return moved

    def incident(self, number: int = 1) -> Incident:
        return queries.get_detail(self.db, self.world.ws_id, number).incident

    def rows(self, kind: str) -> list[Outbox]:
        with self.db.read() as session:
            return list(session.exec(select(Outbox).where(Outbox.kind == kind)
                                     .order_by(col(Outbox.id))))

    def events(self, label: str, number: int = 1) -> list[TimelineEvent]:
        detail = queries.get_detail(self.db, self.world.ws_id, number)
        return [e for e in detail.timeline if e.label == label]

    def channel(self, number: int = 1) -> Any:
        incident = self.incident(number)
        assert incident.slack_channel_id, "no channel recorded"
        return self.fake.channels[incident.slack_channel_id]

    def messages(self, number: int = 1) -> list[Any]:
        return self.fake.messages(self.channel(number).id)


def actions(message: Any) -> list[tuple[str, str]]:
    return [(e["action_id"], e["value"]) for b in message.blocks if b["type"] == "actions"
            for e in b["elements"]]


def mrkdwn_texts(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if node.get("type") == "mrkdwn":
            yield node["text"]
        for value in node.values():
            yield from mrkdwn_texts(value)
    elif isinstance(node, list):
        for item in node:
            yield from mrkdwn_texts(item)


def set_setting(world: World, key: str, value: str) -> None:
    workspaces.set_setting(world.db, world.actor(Role.ADMIN), key, value)


def test_handlers_cover_every_slack_effect(rig: Rig) -> None:
    assert set(handlers(rig.db, rig.client, BASE)) == {
        fx.SLACK_CREATE_CHANNEL, fx.SLACK_SETUP_CHANNEL, fx.SLACK_ANNOUNCE, fx.SLACK_INVITE,
        fx.SLACK_ARCHIVE, fx.SLACK_NUDGE, fx.SLACK_REMIND_OWNER, fx.SLACK_BROADCAST,
        fx.SLACK_ARCHIVE_LATER, fx.SLACK_REFRESH_REPORT}


def test_declare_creates_channel_invites_sets_topic_and_pins_the_sitrep(rig: Rig) -> None:
    helper = rig.world.members_extra[0]
    rig.declare("Checkout is down for EU customers", severity="p1",
                services=["cart-svc", "payments"], description="Carts time out at pay.",
                commander_id=helper.id)
    rig.worker.drain()
    incident = rig.incident()
    assert incident.slack_channel_name == "inc-0001-checkout-is-down-for-eu-customers"
    channel = rig.channel()
    assert channel.name == incident.slack_channel_name
    assert {helper.slack_user_id, "UENGINEER"} <= set(channel.members)
    assert channel.topic == f"INC-0001 · P1 (critical) · Open · Commander: {helper.display_name}"
    [sitrep] = rig.messages()
    assert rig.fake.pins(channel.id) == [sitrep.ts]
    text = sitrep.full_text
    for expected in ("INC-0001", "Checkout is down for EU customers", "P1 (critical)",
                     f"<@{helper.slack_user_id}>", "cart-svc, payments", "Carts time out",
                     f"{BASE}/ws/acme/incidents/INC-0001"):
        assert expected in text
    assert actions(sitrep) == [(ACTION_INVESTIGATE, "INC-0001"),
                               (ACTION_ADD_RESPONDERS, "INC-0001")]
    [event] = rig.events("channel_created")
    assert incident.slack_channel_name in event.text and event.source == "vigilo"
    with rig.db.read() as session:
        logs = list(session.exec(select(IntegrationLog).where(
            IntegrationLog.kind == fx.SLACK_CREATE_CHANNEL)))
    assert [log.ok for log in logs] == [True]
    assert f"created #{incident.slack_channel_name} ({channel.id})" in logs[0].detail


def test_taken_names_get_a_suffix(rig: Rig) -> None:
    rig.fake.add_channel("inc-0001-checkout-is-down")
    rig.fake.add_channel("inc-0001-checkout-is-down-2")
    rig.declare()
    rig.worker.drain()
    assert rig.incident().slack_channel_name == "inc-0001-checkout-is-down-3"
    assert [c.error for c in rig.fake.calls_to("conversations.create")] == [
        "name_taken", "name_taken", None]
    assert rig.rows(fx.SLACK_CREATE_CHANNEL)[0].status == "done"


def test_redelivery_after_success_changes_nothing(rig: Rig) -> None:
    rig.declare()
    for kind in (fx.SLACK_CREATE_CHANNEL, fx.SLACK_SETUP_CHANNEL):
        [effect] = [e for e in rig.worker.claim() if e.kind == kind]  # the lane's head
        assert rig.worker.deliver(effect) == "done"
        assert rig.worker.deliver(effect) == "done"  # e.g. the lease ran out mid-delivery
    assert len(rig.fake.calls_to("conversations.create")) == 1
    assert len(rig.messages()) == 1 and len(rig.fake.pins(rig.channel().id)) == 1
    assert len(rig.events("channel_created")) == 1
    # Slack announces every topic change in the channel: an unchanged topic is left alone
    assert len(rig.fake.calls_to("conversations.setTopic")) == 1


def test_the_channel_and_its_report_go_up_before_its_setup(rig: Rig) -> None:
    rig.declare()
    [create] = rig.worker.claim()  # the setup waits in the lane behind the creation
    assert create.kind == fx.SLACK_CREATE_CHANNEL
    assert rig.worker.deliver(create) == "done"
    [sitrep] = rig.messages()
    assert rig.fake.calls_to("conversations.setTopic") == [] and not rig.fake.pins(
        rig.channel().id)
    assert "UENGINEER" not in rig.channel().members
    [setup] = rig.worker.claim()
    assert setup.kind == fx.SLACK_SETUP_CHANNEL and rig.worker.deliver(setup) == "done"
    assert rig.fake.pins(rig.channel().id) == [sitrep.ts]
    assert rig.channel().topic.startswith("INC-0001") and "UENGINEER" in rig.channel().members


def test_a_creation_queued_before_setups_were_apart_sets_the_channel_up_itself(
        rig: Rig) -> None:
    rig.declare()
    with rig.db.transaction() as session:  # as an upgrade finds a creation still pending
        [setup] = session.exec(select(Outbox).where(Outbox.kind == fx.SLACK_SETUP_CHANNEL))
        session.delete(setup)
        [create] = session.exec(select(Outbox).where(Outbox.kind == fx.SLACK_CREATE_CHANNEL))
        create.payload = {"incident_id": create.incident_id}
    rig.drain()
    [sitrep] = rig.messages()
    assert rig.fake.pins(rig.channel().id) == [sitrep.ts]
    assert rig.channel().topic.startswith("INC-0001") and "UENGINEER" in rig.channel().members


def test_retry_after_a_partial_failure_finishes_without_repeating(rig: Rig) -> None:
    rig.declare()
    rig.fake.fail_next("pins.add", "internal_error", status=500, retry_after=None)
    rig.worker.drain()
    [row] = rig.rows(fx.SLACK_SETUP_CHANNEL)
    assert row.status == "pending" and "HTTP 500" in (row.last_error or "")
    rig.clock.advance(60)
    rig.worker.drain()
    assert rig.rows(fx.SLACK_SETUP_CHANNEL)[0].status == "done"
    assert len(rig.fake.calls_to("conversations.create")) == 1
    [sitrep] = rig.messages()
    assert rig.fake.pins(rig.channel().id) == [sitrep.ts]


def test_the_report_goes_up_before_the_topic_and_neither_is_repeated_by_a_retry(
        rig: Rig) -> None:
    rig.declare()
    rig.fake.fail_next("chat.postMessage", "internal_error", status=500, retry_after=None)
    rig.worker.drain()
    assert rig.rows(fx.SLACK_CREATE_CHANNEL)[0].status == "pending"
    assert rig.fake.calls_to("conversations.setTopic") == []  # the report comes first
    rig.fake.fail_next("conversations.setTopic", "internal_error", status=500,
                       retry_after=None)
    rig.clock.advance(60)
    rig.worker.drain()
    assert rig.rows(fx.SLACK_CREATE_CHANNEL)[0].status == "done"
    assert rig.rows(fx.SLACK_SETUP_CHANNEL)[0].status == "pending"
    rig.clock.advance(60)
    rig.worker.drain()
    assert rig.rows(fx.SLACK_SETUP_CHANNEL)[0].status == "done"
    [sitrep] = rig.messages()  # posted once, though the topic failed after it
    assert rig.fake.pins(rig.channel().id) == [sitrep.ts]
    # Slack shows every topic change in the channel: set once it took.
    assert [c.error for c in rig.fake.calls_to("conversations.setTopic")] == [
        "internal_error", None]


def test_two_workers_make_one_channel(rig: Rig) -> None:
    for i in range(4):
        rig.declare(f"Outage {i}")
    workers = [rig.new_worker(), rig.new_worker()]
    threads = [threading.Thread(target=w.drain) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    names = sorted(c.name for c in rig.fake.channels.values() if c.name.startswith("inc-"))
    assert names == [f"inc-{n:04d}-outage-{n - 1}" for n in range(1, 5)]
    assert all(len(rig.messages(n)) == 1 for n in range(1, 5))


def test_concurrent_deliveries_of_one_effect_leave_one_live_channel(rig: Rig) -> None:
    rig.declare()
    [effect] = [e for e in rig.worker.claim() if e.kind == fx.SLACK_CREATE_CHANNEL]
    rig.fake.latency = 0.2  # both deliveries are inside conversations.create at once
    # two workers deliver the same effect, as after a lease ran out mid-delivery
    threads = [threading.Thread(target=rig.new_worker().deliver, args=(effect,))
               for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    rig.fake.latency = 0
    rig.clock.advance(60)
    rig.worker.drain()  # the loser checks back: nothing left to do, nothing repeated
    assert rig.rows(fx.SLACK_CREATE_CHANNEL)[0].status == "done"
    live = [c for c in rig.fake.channels.values() if c.name.startswith("inc-") and not c.archived]
    assert [c.id for c in live] == [rig.incident().slack_channel_id]
    assert len(rig.events("channel_created")) == 1
    assert len(rig.messages()) == 1


def test_rate_limit_waits_exactly_retry_after(rig: Rig) -> None:
    rig.fake.fail_next("conversations.create", "ratelimited", status=429, retry_after=7)
    rig.declare()
    rig.worker.drain()
    [row] = rig.rows(fx.SLACK_CREATE_CHANNEL)
    assert row.status == "pending" and row.next_attempt_at == rig.clock.now + timedelta(
        seconds=7)
    assert "retry after 7s" in (row.last_error or "")
    assert rig.incident().slack_channel_id is None
    rig.clock.advance(6.5)
    assert rig.worker.drain() == 0
    rig.clock.advance(0.5)
    rig.worker.drain()
    assert rig.incident().slack_channel_name == "inc-0001-checkout-is-down"
    assert len(rig.fake.calls_to("conversations.create")) == 2


def test_missing_scope_is_dead_with_the_fix_and_the_incident_intact(rig: Rig) -> None:
    rig.fake.fail_next("conversations.create", "missing_scope", status=200, retry_after=None)
    rig.declare(severity="p3")
    rig.worker.drain()
    [row] = rig.rows(fx.SLACK_CREATE_CHANNEL)
    assert row.status == "dead"
    assert "channels:manage" in (row.last_error or "")
    assert "manifest.yml" in (row.last_error or "")
    with rig.db.read() as session:
        [log] = session.exec(select(IntegrationLog).where(
            IntegrationLog.kind == fx.SLACK_CREATE_CHANNEL)).all()
    assert not log.ok and "channels:manage" in log.detail
    rig.move(rig.incident(), Move.INVESTIGATE)  # the incident carries on without Slack
    rig.worker.drain()
    incident = rig.incident()
    assert (incident.status, incident.title) == ("investigating", "Checkout is down")
    [announce] = rig.rows(fx.SLACK_ANNOUNCE)
    assert announce.status == "dead" and "could not be created" in (announce.last_error or "")


def test_slack_down_is_retried_later_and_nothing_is_lost(rig: Rig) -> None:
    rig.fake.down = True
    incident = rig.declare()
    rig.move(incident, Move.INVESTIGATE)
    rig.worker.drain()
    [row] = rig.rows(fx.SLACK_CREATE_CHANNEL)
    assert row.status == "pending" and "HTTP 503" in (row.last_error or "")
    assert row.next_attempt_at > rig.clock.now
    assert rig.rows(fx.SLACK_ANNOUNCE)[0].attempts == 0  # waits behind the channel
    assert rig.incident().status == "investigating"
    rig.fake.down = False
    rig.clock.advance(3600)
    rig.worker.drain()
    sitrep, post = rig.messages()
    assert "open → investigating" in post.text
    assert actions(post)[0] == (ACTION_MITIGATE, "INC-0001")


def test_announcements_follow_the_channel_in_order(rig: Rig) -> None:
    incident = rig.declare()
    rig.move(incident, Move.INVESTIGATE)
    incidents.change_severity(rig.db, rig.world.actor(), 1, "p1")
    rig.move(incident, Move.MITIGATE)
    rig.worker.drain()
    sitrep, *posts = rig.messages()
    assert ["open → investigating" in posts[0].text, "p3 → p1" in posts[1].text,
            "investigating → mitigated" in posts[2].text] == [True] * 3
    # buttons offer the moves allowed now, not when the change happened, and only on the
    # latest announcement: superseded ones lose theirs
    assert actions(posts[-1]) == [(ACTION_RESOLVE, "INC-0001"),
                                  (ACTION_ADD_RESPONDERS, "INC-0001")]
    assert [actions(p) for p in posts[:-1]] == [[], []]
    assert rig.channel().topic.startswith("INC-0001 · P1 (critical) · Mitigated")
    # the pinned report is kept current
    assert sitrep.edited and "Mitigated" in sitrep.full_text
    assert actions(sitrep)[0] == (ACTION_RESOLVE, "INC-0001")


def test_commander_change_and_added_responders_reach_the_channel(rig: Rig) -> None:
    rig.declare()
    rig.worker.drain()
    new = rig.world.members_extra[1]
    actor = rig.world.actor()
    responders.add_responder(rig.db, actor, 1, new.id or 0)
    responders.promote(rig.db, actor, 1, new.id or 0)
    rig.worker.drain()
    assert new.slack_user_id in rig.channel().members
    assert rig.channel().topic.endswith(f"Commander: {new.display_name}")
    assert all(r.status == "done" for r in rig.rows(fx.SLACK_INVITE))


def test_unknown_slack_user_does_not_keep_the_others_out(rig: Rig) -> None:
    ghost = workspaces.add_member(rig.db, rig.world.ws_id, "UGHOST", "Ghost")
    other = rig.world.members_extra[2]
    rig.declare()
    actor = rig.world.actor()
    responders.add_responders(rig.db, actor, 1, [ghost.id or 0, other.id or 0])
    with rig.db.transaction() as session:  # both on the incident before the channel exists
        for row in session.exec(select(Outbox).where(Outbox.kind == fx.SLACK_INVITE)):
            session.delete(row)
    rig.worker.drain()
    members = rig.channel().members
    assert other.slack_user_id in members and "UGHOST" not in members
    assert rig.rows(fx.SLACK_CREATE_CHANNEL)[0].status == "done"


def test_bot_removed_from_channel_rejoins_once(rig: Rig) -> None:
    incident = rig.declare()
    rig.worker.drain()
    channel_id = rig.channel().id
    with rig.fake.state.lock:
        rig.fake.state.channels[channel_id].members.remove(BOT_USER_ID)
    rig.move(incident, Move.INVESTIGATE)
    rig.worker.drain()
    assert len(rig.fake.calls_to("conversations.join")) == 1
    assert "open → investigating" in rig.messages()[-1].text


def test_deleted_channel_and_revoked_token_say_what_to_fix(rig: Rig) -> None:
    incident = rig.declare()
    rig.worker.drain()
    rig.fake.fail_next("chat.postMessage", "channel_not_found", status=200, retry_after=None)
    rig.move(incident, Move.INVESTIGATE)
    rig.worker.drain()
    [row] = rig.rows(fx.SLACK_ANNOUNCE)
    assert row.status == "dead" and "no longer exists" in (row.last_error or "")
    bad = build_client("xoxb-revoked", rig.fake.base_url, connection_retries=0)
    worker = OutboxWorker(rig.db, handlers(rig.db, bad, BASE), clock=rig.clock)
    rig.declare("Second")
    worker.drain()
    second = rig.rows(fx.SLACK_CREATE_CHANNEL)[1]
    assert second.status == "dead" and "SLACK_BOT_TOKEN" in (second.last_error or "")


def test_resolve_posts_closing_summary_then_archives(rig: Rig) -> None:
    incident = rig.declare()
    rig.move(incident, Move.INVESTIGATE)
    rig.move(incident, Move.RESOLVE, root_cause="Bad deploy of cart-svc rolled back")
    rig.worker.drain()
    channel = rig.channel()
    assert channel.archived
    summary = rig.messages()[-1]
    assert "Bad deploy of cart-svc rolled back" in summary.full_text
    assert "Duration" in summary.full_text and "Timeline events" in summary.full_text
    assert actions(summary) == [(ACTION_POSTMORTEM, "INC-0001"), (ACTION_REOPEN, "INC-0001")]
    assert len(rig.events("channel_archived")) == 1
    assert rig.rows(fx.SLACK_ARCHIVE)[0].status == "done"
    rig.worker.deliver(Effect(rig.rows(fx.SLACK_ARCHIVE)[0].id or 0, fx.SLACK_ARCHIVE,
                              {"incident_id": incident.id}, 2, "again", rig.world.ws_id,
                              incident.id))
    assert len([m for m in rig.messages() if "Duration" in m.full_text]) == 1


def test_auto_archive_off_keeps_the_channel(rig: Rig) -> None:
    set_setting(rig.world, "auto_archive", "off")
    incident = rig.declare()
    rig.move(incident, Move.INVESTIGATE)
    rig.move(incident, Move.RESOLVE)
    rig.worker.drain()
    assert not rig.channel().archived
    assert rig.rows(fx.SLACK_ARCHIVE) == [] and not rig.fake.calls_to("conversations.archive")


def test_reopened_before_archive_keeps_the_channel_open(rig: Rig) -> None:
    incident = rig.declare()
    rig.move(incident, Move.INVESTIGATE)
    rig.move(incident, Move.RESOLVE)
    rig.move(incident, Move.REOPEN)
    rig.worker.drain()
    assert not rig.channel().archived
    assert rig.rows(fx.SLACK_ARCHIVE)[0].status == "skipped"
    assert "resolved → investigating" in rig.messages()[-1].text


def test_channel_created_only_when_investigating_starts(rig: Rig) -> None:
    set_setting(rig.world, "create_channel_on", "investigating")
    incident = rig.declare()
    incidents.change_severity(rig.db, rig.world.actor(), 1, "p2")
    rig.worker.drain()
    assert rig.incident().slack_channel_id is None
    assert not rig.fake.calls_to("conversations.create")
    assert rig.rows(fx.SLACK_ANNOUNCE)[0].status == "skipped"
    rig.move(incident, Move.INVESTIGATE)
    rig.worker.drain()
    sitrep, post = rig.messages()
    assert "Investigating" in sitrep.full_text and "P2 (high)" in sitrep.full_text
    assert "open → investigating" in post.text


def test_channels_off_settles_slack_effects_as_skipped(rig: Rig) -> None:
    set_setting(rig.world, "auto_create_channel", "off")
    rig.move(rig.declare(), Move.INVESTIGATE)
    rig.worker.drain()
    assert rig.rows(fx.SLACK_CREATE_CHANNEL) == []
    [row] = rig.rows(fx.SLACK_ANNOUNCE)
    assert row.status == "skipped" and "auto_create_channel" in (row.last_error or "")


@pytest.mark.parametrize("title, expected", [
    ("🔥🔥 прод упал", "inc-0001"),
    ("支付服务宕机 payments down", "inc-0001-payments-down"),
    ("Café crème <!channel> & <@U1> *bold*", "inc-0001-cafe-creme-channel-u1-bold"),
    ("x" * 200, "inc-0001-" + "x" * 71),
])
def test_any_title_makes_a_valid_channel(rig: Rig, title: str, expected: str) -> None:
    rig.declare(title, description="d" * 20_000)
    rig.worker.drain()
    assert rig.incident().slack_channel_name == expected
    [sitrep] = rig.messages()
    # what people type never pings anyone: escaped wherever Slack reads markup
    assert "<!channel>" not in sitrep.text + "".join(mrkdwn_texts(sitrep.blocks))
    assert rig.rows(fx.SLACK_CREATE_CHANNEL)[0].status == "done"


def test_builders_stay_inside_slack_limits_for_huge_input(fake: FakeSlack) -> None:
    card = IncidentCard(key="INC-0042", title="🔥支付" * 125, severity="p1", status="open",
                        url=f"{BASE}/ws/acme/incidents/INC-0042", commander="N" * 200,
                        services=tuple(f"svc-{i}" for i in range(50)), description="d" * 20_000)
    assert len(card.title) == 375 and len(topic(card)) <= 250
    client = build_client(DEFAULT_BOT_TOKEN, fake.base_url)
    channel = fake.add_channel("inc-0042")
    for text, blocks in (situation_report(card), announcement(card, "u" * 39_000),
                         closing_summary(card, ClosingFacts(timedelta(hours=26, minutes=3),
                                                            "r" * 5000, 3, 2, 1, 1))):
        client.chat_postMessage(channel=channel, text=text, blocks=blocks)  # Slack accepts
    assert len(fake.messages(channel)) == 3
    assert "1 d 2 h" in fake.messages(channel)[2].text


def test_a_5xx_with_retry_after_is_honoured() -> None:
    # The sandbox sends Retry-After only with 429s, so this answer is built by hand.
    answer = SlackResponse(client=None, http_verb="POST", api_url="x", req_args={},
                           data={"ok": False, "error": "service_unavailable"},
                           headers={"retry-after": "30"}, status_code=503)
    error = translate(SlackApiError("down", answer), "chat.postMessage")
    assert isinstance(error, RetryAfter) and error.seconds == 30
    no_header = SlackResponse(client=None, http_verb="POST", api_url="x", req_args={},
                              data={}, headers={}, status_code=502)
    assert isinstance(translate(SlackApiError("down", no_header), "chat.postMessage"),
                      SlackUnavailable)


def test_channel_archived_by_hand_settles_the_archive_effect(rig: Rig) -> None:
    incident = rig.declare()
    rig.worker.drain()
    rig.client.conversations_archive(channel=rig.channel().id)  # someone tidied up early
    rig.move(incident, Move.INVESTIGATE)
    rig.move(incident, Move.RESOLVE)
    rig.worker.drain()
    assert rig.rows(fx.SLACK_ARCHIVE)[0].status == "done"
    [announce, _] = rig.rows(fx.SLACK_ANNOUNCE)
    assert announce.status == "dead" and "archived" in (announce.last_error or "")
    assert rig.incident().status == "resolved"


def test_a_channel_whose_creation_answer_was_lost_is_adopted_not_doubled(rig: Rig) -> None:
    # Slack made it, but the answer never came back: the retry meets name_taken.
    made = rig.fake.add_channel("inc-0001-checkout-is-down", creator=BOT_USER_ID)
    rig.declare()
    rig.worker.drain()
    assert rig.incident().slack_channel_id == made
    assert rig.incident().slack_channel_name == "inc-0001-checkout-is-down"
    assert not [c for c in rig.fake.channels.values() if c.name.endswith("-2")]
    assert rig.fake.pins(made)  # the situation report went to the adopted channel
    # A person's channel of that name is not ours: the next name is used, as before.
    rig.fake.add_channel("inc-0002-db-is-down")
    rig.declare(title="DB is down")
    rig.worker.drain()
    assert rig.incident(2).slack_channel_name == "inc-0002-db-is-down-2"


def test_reopening_after_the_archive_unarchives_and_reinvites(rig: Rig) -> None:
    incident = rig.declare()
    rig.move(incident, Move.INVESTIGATE)
    rig.move(incident, Move.RESOLVE, root_cause="bad deploy")
    rig.worker.drain()
    assert rig.channel().archived
    channel = rig.channel().id
    rig.fake.state.channels[channel].members = [BOT_USER_ID]  # people left meanwhile
    rig.move(incident, Move.REOPEN)
    rig.worker.drain()
    assert not rig.channel().archived
    assert rig.world.members[Role.ENGINEER].slack_user_id in rig.channel().members
    assert "resolved → investigating" in rig.messages()[-1].text
    assert rig.events("channel_unarchived")
    assert not queries.get_detail(rig.db, rig.world.ws_id, 1).extra.get("channel_archived")


def test_superseded_announcements_lose_their_buttons(rig: Rig) -> None:
    incident = rig.declare()
    rig.move(incident, Move.INVESTIGATE)
    rig.worker.drain()
    rig.move(incident, Move.MITIGATE)
    rig.worker.drain()
    posted = [m for m in rig.messages() if "→" in m.text]
    older, latest = posted[-2], posted[-1]
    assert actions(older) == [] and "open → investigating" in older.text
    assert actions(latest) and "investigating → mitigated" in latest.text
    assert actions(rig.messages()[0])  # the pinned situation report keeps its controls


def test_the_channel_memo_lives_in_integration_state_not_the_timeline(rig: Rig) -> None:
    from services import integration_state

    rig.declare()
    rig.worker.drain()
    incident = rig.incident()
    link = integration_state.find(rig.db, "slack", incident.slack_channel_id or "")
    assert link is not None and (link.kind, link.incident_id) == ("channel", incident.id)
    pinned = rig.fake.pins(incident.slack_channel_id or "")
    assert link.state["name"] == incident.slack_channel_name
    assert link.state["sitrep_ts"] in pinned and link.state["topic"]
    # The JSON API serves the timeline: it names the channel, and carries no memo.
    created = rig.events("channel_created")
    assert [e.payload for e in created] == [{"channel_id": incident.slack_channel_id,
                                            "channel_name": incident.slack_channel_name}]


def test_answers_that_are_not_json_are_retried_and_leave_one_channel(rig: Rig) -> None:
    # Slack made the channel and posted, but each answer was a proxy's page, not JSON.
    rig.fake.fail_next("conversations.create", GARBAGE, status=200, retry_after=None)
    rig.fake.fail_next("chat.postMessage", GARBAGE, status=200, retry_after=None)
    rig.declare()
    rig.worker.drain()
    [row] = rig.rows(fx.SLACK_CREATE_CHANNEL)
    assert row.status == "pending" and row.last_error
    for _ in range(3):
        rig.clock.advance(3600)
        rig.worker.drain()
    assert [r.status for r in rig.rows(fx.SLACK_CREATE_CHANNEL)] == ["done"]
    assert [c.name for c in rig.fake.channels.values()] == ["inc-0001-checkout-is-down"]
    assert rig.incident().slack_channel_id in rig.fake.channels
