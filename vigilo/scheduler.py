"""The scheduled jobs, from one table, run by APScheduler inside `vigilo serve`.

APScheduler 3.x must not share a job store between processes, so every replica keeps its
own in memory and only the one holding the leader lock (store/leader.py) runs the jobs;
the others keep asking for the lock every few seconds and take over within one election
period of the leader's death. Each job is idempotent, so a job running twice, or on two
replicas during a takeover, changes nothing more.
"""

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler

from services import (
    action_item_reminders,
    channel_archives,
    outbox_sweep,
    reminders,
    stats_snapshot,
    storms,
)
from store.db import Database
from store.leader import LeaderLock
from store.types import utcnow

log = logging.getLogger(__name__)

ELECT_EVERY = 15.0  # seconds between attempts to take the lock: a takeover takes at most this


@dataclass(frozen=True)
class Job:
    name: str
    every: float  # seconds
    run: Callable[..., object]  # (db, now, **the Scheduler options it names)
    options: tuple[str, ...] = field(default=())


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


def _response_stats(db: Database, now: datetime) -> object:
    return stats_snapshot.refresh(db, now)


def _sweep_outbox(db: Database, now: datetime, *, retention: timedelta) -> object:
    return outbox_sweep.sweep(db, now, retention=retention)


JOBS: tuple[Job, ...] = (
    Job("storm_detection", 60, _detect_storms),
    Job("storm_auto_resolve", 60, _resolve_storms),
    Job("reminders", 60, _remind),
    Job("action_item_reminders", 900, _remind_owners),
    Job("channel_archives", 60, _archive_channels),  # archive_delay after resolve
    Job("outbox_sweep", 600, _sweep_outbox, ("retention",)),
    Job("response_stats", 60, _response_stats),  # what GET /metrics reports
)


class Scheduler:
    def __init__(self, db: Database, jobs: Sequence[Job] = JOBS, *,
                 lock: LeaderLock | None = None, elect_every: float = ELECT_EVERY,
                 clock: Callable[[], datetime] = utcnow,
                 notify: Callable[[], object] | None = None,
                 retention: timedelta = outbox_sweep.DEFAULT_RETENTION) -> None:
        self.db = db
        # Settings a job names in Job.options (VIGILO_RETENTION_DAYS for the sweep).
        self.options: dict[str, Any] = {"retention": retention}
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
            options = {name: self.options[name] for name in job.options}
            job.run(self.db, self.clock(), **options)
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
