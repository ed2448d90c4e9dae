"""The installation's response-time figures, computed by a scheduler job each minute and
stored (store/metrics_models.py), so `GET /metrics` costs one row read however many
incidents there are. A snapshot older than MAX_AGE (the scheduler is down) is not used:
the figures are then computed during the scrape, as before."""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Connection
from sqlmodel import select

from core import metrics
from services.stats import compute
from store.db import Database
from store.metrics_models import StatsSnapshot

SCOPE = "all"
MAX_AGE = timedelta(minutes=5)


def refresh(db: Database, now: datetime) -> metrics.Stats:
    """Compute and store; running it twice stores the same figures twice (idempotent)."""
    with db.read() as session:
        stats = compute(session.connection(), now)
    with db.transaction() as session:
        row = session.get(StatsSnapshot, SCOPE)
        if row is None:
            row = StatsSnapshot(scope=SCOPE)
        row.computed_at, row.figures = now, dump(stats)
        session.add(row)
    return stats


def current(conn: Connection, now: datetime) -> metrics.Stats:
    """The stored figures when fresh, else computed now (inside the caller's read)."""
    row = conn.execute(select(StatsSnapshot.computed_at, StatsSnapshot.figures).where(
        StatsSnapshot.scope == SCOPE)).first()
    if row is not None and timedelta(0) <= now - row[0] <= MAX_AGE:
        try:
            return load(row[1])
        except (KeyError, TypeError, ValueError):  # written by another version: recompute
            pass
    return compute(conn, now)


def dump(stats: metrics.Stats) -> dict[str, Any]:
    return {"now": stats.now.isoformat(),
            "incidents": {str(d): n for d, n in stats.incidents.items()},
            "figures": {str(d): {sev: {m: [f.count, f.median, f.p90] for m, f in by_m.items()}
                                 for sev, by_m in by_sev.items()}
                        for d, by_sev in stats.figures.items()}}


def load(data: dict[str, Any]) -> metrics.Stats:
    return metrics.Stats(
        datetime.fromisoformat(data["now"]),
        {int(d): {sev: {m: metrics.Figure(int(c), med, p90) for m, (c, med, p90) in by_m.items()}
                  for sev, by_m in by_sev.items()} for d, by_sev in data["figures"].items()},
        {int(d): int(n) for d, n in data["incidents"].items()})
