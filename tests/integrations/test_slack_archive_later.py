"""The delayed archive after resolve (archive_delay): heads-up, the scheduler job archives
when due, reopening cancels; through the real outbox and slack_sdk to the sandbox Slack."""

import random
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from core import effects as fx
from core.fsm import Move
from services import channel_archives
from store.archive_models import CANCELLED, RECORDED, SCHEDULED
from store.leader import LeaderLock
from store.types import use_clock, utcnow
from tests.conftest import World
from tests.integrations.test_slack_effects import Rig, actions, set_setting
from vigilo.sandbox.slack_api import FakeSlack
from vigilo.scheduler import JOBS, Scheduler


def drain(rig: Rig) -> None:
    """Deliver what is due now: the rig's clock catches up with effects recorded since it
    was made, however long this loaded machine took to get here."""
    rig.clock.now = max(rig.clock.now, utcnow() + timedelta(seconds=5))
    rig.worker.drain()


@pytest.fixture
def fake(world: World) -> Iterator[FakeSlack]:
    with FakeSlack() as server:
        for member in [*world.members.values(), *world.members_extra]:
            server.add_user(member.slack_user_id, member.display_name.lower())
        yield server


@pytest.fixture
def rig(world: World, fake: FakeSlack) -> Rig:
    return Rig(world, fake)


def resolved(rig: Rig, delay: str = "24h") -> datetime:
    set_setting(rig.world, "archive_delay", delay)
    incident = rig.declare()
    rig.move(incident, Move.INVESTIGATE)
    rig.move(incident, Move.RESOLVE, root_cause="bad deploy")
    drain(rig)
    at = rig.incident().resolved_at
    assert at is not None
    return at


def test_resolve_warns_and_archives_only_when_due(rig: Rig) -> None:
    at = resolved(rig)
    assert not rig.channel().archived
    heads_up = rig.messages()[-1]
    assert ("This channel will be archived in 24 h. Reopen the incident to keep it."
            in heads_up.text)
    assert ("inc_reopen", "INC-0001") in actions(heads_up)
    assert rig.rows(fx.SLACK_ARCHIVE) == []
    assert channel_archives.record_due(rig.db, at + timedelta(hours=23)) == 0
    assert channel_archives.record_due(rig.db, at + timedelta(hours=24, seconds=1)) == 1
    assert channel_archives.record_due(rig.db, at + timedelta(hours=25)) == 0  # again: no-op
    drain(rig)
    assert rig.channel().archived
    assert len(rig.rows(fx.SLACK_ARCHIVE)) == 1
    assert "Duration" in rig.messages()[-1].full_text  # the closing summary, as before
    plan = channel_archives.planned(rig.db, rig.incident().id or 0)
    assert plan is not None and plan.status == RECORDED


def test_reopening_before_it_is_due_cancels_it(rig: Rig) -> None:
    at = resolved(rig, "30m")
    assert "archived in 30 min" in rig.messages()[-1].text
    rig.move(rig.incident(), Move.REOPEN)
    drain(rig)
    assert channel_archives.record_due(rig.db, at + timedelta(hours=1)) == 0
    drain(rig)
    assert not rig.channel().archived and rig.rows(fx.SLACK_ARCHIVE) == []
    plan = channel_archives.planned(rig.db, rig.incident().id or 0)
    assert plan is not None and plan.status == CANCELLED


def test_a_second_resolve_plans_from_its_own_time(rig: Rig) -> None:
    first = resolved(rig, "30m")
    rig.move(rig.incident(), Move.REOPEN)
    later = first + timedelta(minutes=20)
    with use_clock(lambda: later):
        rig.move(rig.incident(), Move.RESOLVE)
    rig.clock.advance(30 * 60)  # the effects recorded "later" are due for the worker
    drain(rig)
    plan = channel_archives.planned(rig.db, rig.incident().id or 0)
    assert plan is not None and plan.status == SCHEDULED
    assert plan.due_at == later + timedelta(minutes=30)
    # Due for the first resolve, not for the second: nothing yet.
    assert channel_archives.record_due(rig.db, first + timedelta(minutes=31)) == 0
    assert channel_archives.record_due(rig.db, later + timedelta(minutes=31)) == 1
    drain(rig)
    assert rig.channel().archived


def test_no_delay_archives_at_once_as_before(rig: Rig) -> None:
    resolved(rig, "0")
    assert rig.channel().archived
    assert rig.rows(fx.SLACK_ARCHIVE_LATER) == []


def test_two_replicas_running_the_job_record_one_archive(rig: Rig) -> None:
    at = resolved(rig)
    counts: list[int] = []
    start = threading.Barrier(4)

    def run() -> None:
        start.wait()
        counts.append(channel_archives.record_due(rig.db, at + timedelta(days=2)))

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(counts) == [0, 0, 0, 1]
    assert len(rig.rows(fx.SLACK_ARCHIVE)) == 1


def test_the_scheduler_job_archives_when_due(rig: Rig) -> None:
    at = resolved(rig, "1h")
    [job] = [j for j in JOBS if j.name == "channel_archives"]
    # The lock is database-wide: a key of its own, so other runs on the server don't clash.
    lock = LeaderLock(rig.db, random.randrange(1, 2**62))
    scheduler = Scheduler(rig.db, [job], lock=lock, clock=lambda: at + timedelta(hours=2))
    assert scheduler.elect()
    try:
        assert scheduler.run(job)
    finally:
        scheduler.stop()
    drain(rig)
    assert rig.channel().archived
