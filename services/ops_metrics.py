"""What `GET /metrics` reports, read from the database on each scrape (no process state, so
every replica answers the same): incidents, response times, the outbox, recent deliveries,
inbox lag."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import func
from sqlalchemy import select as core_select
from sqlmodel import col

from core import metrics
from core.effects import integration_of
from services import inbox_lag, stats_snapshot
from store.db import Database
from store.models import Incident, IntegrationLog, Outbox

RECENT = timedelta(hours=1)  # deliveries and rate limits counted over this window


@dataclass(frozen=True)
class OpsSnapshot:
    incidents: dict[tuple[str, str], int]  # (status, severity) → count
    stats: metrics.Stats
    outbox: dict[tuple[str, str], int]  # (integration, status) → count
    oldest_pending: dict[str, float]  # integration → age in seconds of its oldest pending
    latencies: dict[str, list[float]]  # integration → seconds from recorded to delivered
    rate_limited: dict[str, int]  # integration → rate-limited attempts in RECENT
    inbox_lag: dict[str, float] = field(default_factory=dict)  # source → oldest waiting, s


def snapshot(db: Database, now: datetime) -> OpsSnapshot:
    with db.read() as session:
        conn = session.connection()
        counts = {(s, v): int(n) for s, v, n in conn.execute(
            core_select(col(Incident.status), col(Incident.severity), func.count())
            .group_by(col(Incident.status), col(Incident.severity))).all()}
        stats = stats_snapshot.current(conn, now)
        outbox: dict[tuple[str, str], int] = {}
        oldest: dict[str, float] = {}
        for kind, status, n, first in conn.execute(
                core_select(col(Outbox.kind), col(Outbox.status), func.count(),
                            func.min(col(Outbox.created_at)))
                .where(col(Outbox.status).in_(("pending", "dead")))
                .group_by(col(Outbox.kind), col(Outbox.status))).all():
            name = integration_of(kind)
            outbox[(name, status)] = outbox.get((name, status), 0) + int(n)
            if status == "pending" and first is not None:
                age = (now - _aware(first)).total_seconds()
                oldest[name] = max(oldest.get(name, 0.0), age)
        latencies: dict[str, list[float]] = {}
        for kind, created, delivered in conn.execute(
                core_select(col(Outbox.kind), col(Outbox.created_at), col(Outbox.delivered_at))
                .where(col(Outbox.status) == "done",
                       col(Outbox.delivered_at) >= now - RECENT)).all():
            if delivered is not None:
                latencies.setdefault(integration_of(kind), []).append(
                    max(0.0, (delivered - created).total_seconds()))
        limited = {name: int(n) for name, n in conn.execute(
            core_select(col(IntegrationLog.integration), func.count())
            .where(col(IntegrationLog.at) >= now - RECENT, col(IntegrationLog.ok).is_(False),
                   col(IntegrationLog.detail).like("%rate-limited%"))
            .group_by(col(IntegrationLog.integration))).all()}
        lag = inbox_lag.read(conn, now)
    return OpsSnapshot(counts, stats, outbox, oldest, latencies, limited, lag)


def _aware(value: datetime | str) -> datetime:
    # MIN() over a column comes back untyped on SQLite: naive, in UTC.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
