"""Probable cause and runbooks in the pinned situation report, redrawn when a matching change
arrives later: the real outbox worker and slack_sdk client against the sandbox Slack (which
enforces Block Kit's limits), on SQLite and PostgreSQL."""

import random
from datetime import timedelta
from typing import Any

from sqlmodel import select

from core import effects as fx
from integrations.outbox import OutboxWorker
from integrations.slack.client import build_client
from integrations.slack.effects import handlers
from integrations.slack.insight_blocks import ACTION_LINK_CHANGE
from services import change_requests, incidents, queries, runbooks
from services.change_requests import clean_change
from store.models import Outbox
from store.types import utcnow
from tests.conftest import World
from vigilo.sandbox.slack_api import DEFAULT_BOT_TOKEN, FakeSlack

BASE = "https://vigilo.example.com"


def worker(world: World, fake: FakeSlack) -> OutboxWorker:
    client = build_client(DEFAULT_BOT_TOKEN, fake.base_url, connection_retries=0)
    return OutboxWorker(world.db, handlers(world.db, client, BASE), rng=random.Random(1))


def pinned(fake: FakeSlack, world: World, number: int) -> Any:
    channel = queries.get_detail(world.db, world.ws_id, number).incident.slack_channel_id
    assert channel
    ts = fake.pins(channel)[0]
    return next(m for m in fake.messages(channel) if m.ts == ts)


def link_buttons(message: Any) -> list[str]:
    return [b["accessory"]["value"] for b in message.blocks
            if b.get("accessory", {}).get("action_id") == ACTION_LINK_CHANGE]


def refreshes(world: World) -> list[Outbox]:
    with world.db.read() as session:
        return [o for o in session.exec(select(Outbox)).all() if o.kind == fx.SLACK_REFRESH_REPORT]


def test_the_report_shows_suggested_changes_with_link_buttons_and_runbooks(
        world: World, fake: FakeSlack) -> None:
    actor = world.actor()
    change_requests.create(world.db, actor, clean_change(
        "Deploy checkout v2", assets="checkout", started_at=utcnow() - timedelta(hours=2)))
    runbooks.add(world.db, actor, title="Checkout failover", tags="payments",
                 link="https://wiki.example.com/co|x>")
    incidents.declare(world.db, actor, title="Checkout errors", services=["checkout"])
    worker(world, fake).drain()
    report = pinned(fake, world, 1)
    text = str(report.blocks)
    assert "Probable cause" in text and "CHG-0001" in text and "started 2 h before" in text
    assert link_buttons(report) == ["INC-0001 CHG-0001"]
    assert "Runbooks that may help" in text and "Checkout failover" in text
    assert "co%7Cx%3E|Checkout failover>" in text  # the URL cannot end the link early


def test_a_matching_change_arriving_later_redraws_the_report_once(
        world: World, fake: FakeSlack) -> None:
    actor = world.actor()
    incidents.declare(world.db, actor, title="Checkout errors", services=["checkout", "api"],
                      detected_at=utcnow() - timedelta(minutes=10))
    incidents.declare(world.db, actor, title="Search slow", services=["search"])
    out = worker(world, fake)
    out.drain()
    assert "Probable cause" not in str(pinned(fake, world, 1).blocks)
    # CI reports a deploy late: it started before the incident was detected.
    change_requests.create(world.db, actor, clean_change(
        "Feature flag flip", assets=["api"], started_at=utcnow() - timedelta(minutes=40)))
    change_requests.create(world.db, actor, clean_change(
        "Unrelated deploy", assets="billing", started_at=utcnow() - timedelta(minutes=40)))
    change_requests.create(world.db, actor, clean_change(  # after detection: not a cause
        "Late deploy", assets="checkout", started_at=utcnow() - timedelta(minutes=1)))
    found = refreshes(world)
    assert [(o.incident_id, o.payload["change_number"]) for o in found] == [
        (queries.get_detail(world.db, world.ws_id, 1).incident.id, 1)]
    updates = len(fake.calls_to("chat.update"))
    out.drain()
    report = pinned(fake, world, 1)
    assert "CHG-0001" in str(report.blocks) and link_buttons(report) == ["INC-0001 CHG-0001"]
    assert "Probable cause" not in str(pinned(fake, world, 2).blocks)
    assert len(fake.calls_to("chat.update")) == updates + 1
    assert out.drain() == 0  # nothing more to do


def test_a_report_full_of_long_suggestions_stays_within_slack_limits(
        world: World, fake: FakeSlack) -> None:
    actor = world.actor()
    services = [f"svc{n}" for n in range(20)]
    for n in range(12):
        change_requests.create(world.db, actor, clean_change(
            "<&>" + "x" * 297, description="d" * 5000, assets=services,
            link="https://ci.example.com/" + "y" * 1900,
            started_at=utcnow() - timedelta(minutes=30 + n)))
        runbooks.add(world.db, actor, title=(" ".join(services) + " " + "r" * 300)[:300],
                     tags=services, link="https://wiki.example.com/" + "z" * 1900)
    incidents.declare(world.db, actor, title="t" * 200, services=services,
                      description="w" * 2900)
    out = worker(world, fake)
    out.drain()
    report = pinned(fake, world, 1)  # the fake refuses blocks over Slack's limits
    assert len(link_buttons(report)) == 3
    assert "&lt;&amp;&gt;" in str(report.blocks)
    with world.db.read() as session:
        assert not [o for o in session.exec(select(Outbox)).all() if o.status == "dead"]


def test_linking_a_change_as_the_cause_shows_it_in_the_report(
        world: World, fake: FakeSlack) -> None:
    actor = world.actor()
    change_requests.create(world.db, actor, clean_change(
        "Rotate certificates", assets="edge", started_at=utcnow() - timedelta(hours=1)))
    incidents.declare(world.db, actor, title="Checkout errors", services=["checkout"])
    out = worker(world, fake)
    out.drain()
    assert "Linked" not in str(pinned(fake, world, 1).blocks)
    change_requests.link(world.db, actor, 1, "CHG-0001")
    out.drain()
    text = str(pinned(fake, world, 1).blocks)
    assert "Linked: *CHG-0001* Rotate certificates" in text
