"""The scheduler: one leader among replicas (two real processes), jobs from one table."""

import os
import random
import selectors
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from sqlmodel import SQLModel, func, select

from services import incidents
from store.db import Database, make_engine
from store.insight_models import IncidentStorm, IncidentStormMember
from store.leader import LeaderLock
from store.models import Outbox, TimelineEvent
from store.types import utcnow
from tests.conftest import World
from vigilo.scheduler import JOBS, Job, Scheduler

ROOT = Path(__file__).resolve().parents[2]
CHILD = """
import sys, time
from store.db import Database
from store.leader import LeaderLock
from vigilo.scheduler import Scheduler
scheduler = Scheduler(Database.from_url(sys.argv[1]), jobs=[],
                      lock=LeaderLock(Database.from_url(sys.argv[1]), int(sys.argv[2])),
                      elect_every=0.2)
while True:
    if scheduler.elect():
        print("LEADER", flush=True)
        time.sleep(3600)
    time.sleep(0.2)
"""


def _spawn(url: str, key: int) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", CHILD, url, str(key)], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})


def _leads_within(proc: subprocess.Popen[str], seconds: float) -> bool:
    assert proc.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if selector.select(timeout=0.1):
            return proc.stdout.readline().strip() == "LEADER"
    return False


def test_two_processes_one_leads_and_the_other_takes_over_when_it_dies(pg_url: str) -> None:
    key = random.randrange(1, 2**62)  # the lock is database-wide: no clash with other runs
    first = _spawn(pg_url, key)
    second = None
    try:
        assert _leads_within(first, 15)
        second = _spawn(pg_url, key)
        assert not _leads_within(second, 2.0)  # the first still leads
        first.send_signal(signal.SIGKILL)  # dies without releasing anything
        first.wait(5)
        assert _leads_within(second, 10)  # well within a minute
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait(5)


def test_only_the_leader_runs_jobs(pg_url: str) -> None:
    key = random.randrange(1, 2**62)
    db = Database(make_engine(pg_url))
    ran: list[str] = []
    job = Job("probe", 60, lambda _db, _now: ran.append("ran"))
    leader = Scheduler(db, [job], lock=LeaderLock(db, key))
    follower = Scheduler(db, [job], lock=LeaderLock(db, key))
    try:
        assert leader.elect() and not follower.elect()
        assert leader.run(job) and not follower.run(job)
        leader.stop()  # releases: the follower leads at its next election
        assert follower.elect() and follower.run(job)
        assert ran == ["ran", "ran"]
    finally:
        follower.stop()
        db.dispose()


def test_sqlite_process_leads_and_every_job_run_twice_changes_nothing_more(
        sqlite_url: str) -> None:
    db = Database(make_engine(sqlite_url))
    SQLModel.metadata.create_all(db.engine)
    world = World(db)
    for n in range(3):
        incidents.declare(world.db, world.actor(), title=f"db {n}", services=["db"],
                          severity="p1", detected_at=utcnow() - timedelta(minutes=5))
    later = utcnow() + timedelta(minutes=16)  # p1: 15 min without an update
    scheduler = Scheduler(world.db, clock=lambda: later)
    assert scheduler.elect() and scheduler.leading
    counts = []
    for _ in range(2):
        for job in JOBS:
            assert scheduler.run(job)
        counts.append(_rows(world.db))
    assert counts[0] == counts[1]
    assert counts[0]["incidentstorm"] == 1 and counts[0]["members"] == 3
    assert counts[0]["slack.nudge"] == 3


def _rows(db: Database) -> dict[str, int]:
    with db.read() as session:
        return {
            "incidentstorm": session.exec(select(func.count()).select_from(IncidentStorm)).one(),
            "members": session.exec(select(func.count()).select_from(IncidentStormMember)).one(),
            "timeline": session.exec(select(func.count()).select_from(TimelineEvent)).one(),
            "outbox": session.exec(select(func.count()).select_from(Outbox)).one(),
            "slack.nudge": session.exec(select(func.count()).select_from(Outbox).where(
                Outbox.kind == "slack.nudge")).one(),
        }
