"""The delayed archive after resolve (archive_delay): heads-up, the scheduler job archives
when due, reopening cancels; through the real outbox and slack_sdk to the sandbox Slack."""

import random
import threading
from datetime import datetime, timedelta

from core import effects as fx
from core.fsm import Move
from services import channel_archives
from store.archive_models import CANCELLED, RECORDED, SCHEDULED
from store.leader import LeaderLock
from store.types import use_clock
from tests.integrations.test_slack_effects import Rig, actions, set_setting
from vigilo.scheduler import JOBS, Scheduler


def resolved(rig: Rig, delay: str = "24h") -> datetime:
    set_setting(rig.world, "archive_delay", delay)
    incident = rig.declare()
    rig.move(incident, Move.INVESTIGATE)
    rig.move(incident, Move.RESOLVE, root_cause="bad deploy")
    rig.drain()
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
    rig.drain()
    assert rig.channel().archived
    assert len(rig.rows(fx.SLACK_ARCHIVE)) == 1
    assert "Duration" in rig.messages()[-1].full_text  # the closing summary, as before
    plan = channel_archives.planned(rig.db, rig.incident().id or 0)
    assert plan is not None and plan.status == RECORDED


def test_reopening_before_it_is_due_cancels_it(rig: Rig) -> None:
    at = resolved(rig, "30m")
    assert "archived in 30 min" in rig.messages()[-1].text
    rig.move(rig.incident(), Move.REOPEN)
    rig.drain()
    assert channel_archives.record_due(rig.db, at + timedelta(hours=1)) == 0
    rig.drain()
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
    rig.drain()
    plan = channel_archives.planned(rig.db, rig.incident().id or 0)
    assert plan is not None and plan.status == SCHEDULED
    assert plan.due_at == later + timedelta(minutes=30)
    # Due for the first resolve, not for the second: nothing yet.
    assert channel_archives.record_due(rig.db, first + timedelta(minutes=31)) == 0
    assert channel_archives.record_due(rig.db, later + timedelta(minutes=31)) == 1
    rig.drain()
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
    rig.drain()
    assert rig.channel().archived
