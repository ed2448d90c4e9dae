"""Archive plans after resolve: due only after the delay, once however often or wherever the
job runs, cancelled by a reopen, re-planned by the next resolve. No Slack involved."""

import threading
from datetime import datetime, timedelta

from sqlmodel import select

from core import effects as fx
from core.fsm import Move
from core.permissions import Role
from services import channel_archives, incidents, workspaces
from store.archive_models import CANCELLED, RECORDED, SCHEDULED
from store.models import Incident, Outbox
from tests.conftest import World

DELAY = timedelta(hours=24)


def resolved(world: World) -> Incident:
    workspaces.set_setting(world.db, world.actor(Role.ADMIN), "archive_delay", "24h")
    incident = incidents.declare(world.db, world.actor(), title="Checkout is down")
    incidents.transition(world.db, world.actor(), incident.number, Move.INVESTIGATE)
    return incidents.transition(world.db, world.actor(), incident.number, Move.RESOLVE)


def plan(world: World, incident: Incident) -> datetime:
    assert incident.resolved_at is not None
    channel_archives.plan(world.db, incident.id or 0, world.ws_id, incident.resolved_at,
                          incident.resolved_at + DELAY)
    return incident.resolved_at


def archives(world: World) -> list[Outbox]:
    with world.db.read() as session:
        return list(session.exec(select(Outbox).where(Outbox.kind == fx.SLACK_ARCHIVE)))


def test_due_only_after_the_delay_and_recorded_once(world: World) -> None:
    incident = resolved(world)
    at = plan(world, incident)
    plan(world, incident)  # the heads-up delivered twice: still one plan
    assert channel_archives.record_due(world.db, at + DELAY - timedelta(seconds=1)) == 0
    assert channel_archives.record_due(world.db, at + DELAY) == 1
    assert channel_archives.record_due(world.db, at + DELAY * 2) == 0
    [row] = archives(world)
    assert row.incident_id == incident.id
    found = channel_archives.planned(world.db, incident.id or 0)
    assert found is not None and found.status == RECORDED


def test_a_reopen_cancels_and_the_next_resolve_plans_again(world: World) -> None:
    incident = resolved(world)
    first = plan(world, incident)
    incidents.transition(world.db, world.actor(), incident.number, Move.REOPEN)
    assert channel_archives.record_due(world.db, first + DELAY) == 0
    found = channel_archives.planned(world.db, incident.id or 0)
    assert found is not None and found.status == CANCELLED
    again = incidents.transition(world.db, world.actor(), incident.number, Move.RESOLVE)
    second = plan(world, again)
    found = channel_archives.planned(world.db, incident.id or 0)
    assert found is not None and (found.status, found.due_at) == (SCHEDULED, second + DELAY)
    assert channel_archives.record_due(world.db, second + DELAY) == 1
    assert len(archives(world)) == 1


def test_reopened_and_resolved_again_before_the_job_waits_for_the_new_time(
        world: World) -> None:
    incident = resolved(world)
    first = plan(world, incident)
    incidents.transition(world.db, world.actor(), incident.number, Move.REOPEN)
    again = incidents.transition(world.db, world.actor(), incident.number, Move.RESOLVE)
    # The new resolve's heads-up has not been delivered yet: the old plan must not fire.
    assert channel_archives.record_due(world.db, first + DELAY) == 0
    assert archives(world) == []
    plan(world, again)
    assert again.resolved_at is not None
    assert channel_archives.record_due(world.db, again.resolved_at + DELAY) == 1


def test_replicas_running_the_job_at_once_record_one_archive(world: World) -> None:
    at = plan(world, resolved(world))
    counts: list[int] = []
    start = threading.Barrier(3)

    def run() -> None:
        start.wait()
        counts.append(channel_archives.record_due(world.db, at + DELAY))

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(counts) == [0, 0, 1] and len(archives(world)) == 1
