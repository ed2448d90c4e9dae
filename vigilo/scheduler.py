"""The scheduled jobs, from one table, run by APScheduler inside `vigilo serve`.

APScheduler 3.x must not share a job store between processes, so every replica keeps its
own in memory and only the one holding the leader lock (store/leader.py) runs the jobs;
the others keep asking for the lock every few seconds and take over within one election
period of the leader's death. Each job is idempotent, so a job running twice, or on two
replicas during a takeover, changes nothing more.
"""

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler

from services import action_item_reminders, channel_archives, reminders, storms
from store.db import Database
from store.leader import LeaderLock
from store.types import utcnow

log = logging.getLogger(__name__)

ELECT_EVERY = 15.0  # seconds between attempts to take the lock: a takeover takes at most this


@dataclass(frozen=True)
class Job:
    name: str
    every: float  # seconds
    run: Callable[[Database, datetime], object]


def _detect_storms(db: Database, now: datetime) -> object:
    return storms.detect(db, now)


def _resolve_storms(db: Database, now: datetime) -> object:
    return storms.auto_resolve(db, now)


def _remind(db: Database, now: datetime) -> object:
    return reminders.send_due(db, now)


def _remind_owners(db: Database, now: datetime) -> object:
    return action_item_reminders.send_overdue(db, now)


def _archive_channels(db: Database, now: datetime) -> object:
    return channel_archives.record_due(db, now)


JOBS: tuple[Job, ...] = (
    Job("storm_detection", 60, _detect_storms),
    Job("storm_auto_resolve", 60, _resolve_storms),
    Job("reminders", 60, _remind),
    Job("action_item_reminders", 900, _remind_owners),
    Job("channel_archives", 60, _archive_channels),  # archive_delay after resolve
)


class Scheduler:
    def __init__(self, db: Database, jobs: Sequence[Job] = JOBS, *,
                 lock: LeaderLock | None = None, elect_every: float = ELECT_EVERY,
                 clock: Callable[[], datetime] = utcnow,
                 notify: Callable[[], object] | None = None) -> None:
        self.db = db
        self.jobs = tuple(jobs)
        self.lock = lock or LeaderLock(db)
        self.elect_every = elect_every
        self.clock = clock
        self.notify = notify  # wakes the outbox worker after a job recorded effects
        self._aps: BackgroundScheduler | None = None

    @property
    def leading(self) -> bool:
        return self.lock.held

    def elect(self) -> bool:
        try:
            return self.lock.acquire()
        except Exception:  # the database is away: not leading, ask again next time
            log.warning("leader election failed; retrying in %.0f s", self.elect_every,
                        exc_info=True)
            return False

    def run(self, job: Job) -> bool:
        """Run one job if this replica leads; True when it ran."""
        if not self.leading:
            return False
        try:
            job.run(self.db, self.clock())
        except Exception:  # one failing round must not stop the next
            log.exception("scheduled job %s failed", job.name)
            return False
        if self.notify is not None:
            self.notify()
        return True

    def start(self) -> None:
        if self._aps is not None:
            return
        aps = BackgroundScheduler(timezone=UTC, job_defaults={
            "coalesce": True, "max_instances": 1, "misfire_grace_time": 30})
        aps.add_job(self.elect, "interval", seconds=self.elect_every, id="leader_election",
                    next_run_time=datetime.now(UTC))
        for job in self.jobs:
            aps.add_job(self.run, "interval", args=[job], seconds=job.every, id=job.name)
        aps.start()
        self._aps = aps

    def stop(self) -> None:
        if self._aps is not None:
            self._aps.shutdown(wait=False)
            self._aps = None
        self.lock.release()
