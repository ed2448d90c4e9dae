"""Reminders and storm announcements reach the incident channels of the sandbox Slack,
through the real outbox worker and slack_sdk client, on SQLite and PostgreSQL."""

import random
from datetime import timedelta
from typing import Any

from core.fsm import Move
from integrations.outbox import OutboxWorker
from integrations.slack.client import build_client
from integrations.slack.effects import handlers
from integrations.slack.insight_blocks import ACTION_POST_UPDATE, ACTION_SNOOZE
from services import incidents, queries, reminders, storms
from store.types import utcnow
from tests.conftest import World
from vigilo.sandbox.slack_api import DEFAULT_BOT_TOKEN, FakeSlack

BASE = "https://vigilo.example.com"


def worker(world: World, fake: FakeSlack) -> OutboxWorker:
    client = build_client(DEFAULT_BOT_TOKEN, fake.base_url, connection_retries=0)
    return OutboxWorker(world.db, handlers(world.db, client, BASE),
                        clock=lambda: utcnow() + timedelta(hours=3), rng=random.Random(1))


def texts(fake: FakeSlack, world: World, number: int) -> list[Any]:
    channel = queries.get_detail(world.db, world.ws_id, number).incident.slack_channel_id
    assert channel
    return fake.messages(channel)


def buttons(message: Any) -> list[str]:
    return [e["action_id"] for b in message.blocks if b["type"] == "actions"
            for e in b["elements"]]


def test_a_quiet_p1_gets_one_nudge_with_snooze_and_post_update(world: World,
                                                                fake: FakeSlack) -> None:
    incident = incidents.declare(world.db, world.actor(), title="Checkout down", severity="p1")
    out = worker(world, fake)
    out.drain()
    later = utcnow() + timedelta(minutes=16)
    assert reminders.send_due(world.db, later) == 1
    assert reminders.send_due(world.db, later) == 0  # the job again: nothing more
    out.drain()
    nudge = texts(fake, world, incident.number)[-1]
    assert "No update on INC-0001 for 16 min" in nudge.text
    assert buttons(nudge) == [ACTION_POST_UPDATE, ACTION_SNOOZE]
    reminders.snooze(world.db, world.actor(), incident.number, later)
    assert reminders.send_due(world.db, later + timedelta(minutes=20)) == 0
    incidents.transition(world.db, world.actor(), incident.number, Move.INVESTIGATE)
    incidents.transition(world.db, world.actor(), incident.number, Move.RESOLVE)
    assert reminders.send_due(world.db, later + timedelta(days=3)) == 0  # resolved: stop


def test_storm_is_announced_in_each_members_channel(world: World, fake: FakeSlack) -> None:
    numbers = [incidents.declare(world.db, world.actor(), title=f"api {n}", services=["api"],
                                 detected_at=utcnow() - timedelta(minutes=3)).number
               for n in range(3)]
    storms.detect(world.db, utcnow())
    worker(world, fake).drain()
    for number in numbers:
        last = texts(fake, world, number)[-1]
        assert "Possible storm: this incident is one of 3 related incidents (service api)" \
            in last.text
