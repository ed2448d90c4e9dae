"""Response metrics for one workspace (core/metrics.py) from the last 90 days of incidents."""

from collections.abc import Iterator
from datetime import datetime, timedelta

from sqlalchemy import select as core_select
from sqlalchemy.engine import Connection
from sqlmodel import col

from core import metrics
from services.durations_sql import now_literal, seconds_between
from store.db import Database
from store.models import Incident


def durations(conn: Connection, now: datetime, workspace_id: int | None = None
              ) -> Iterator[metrics.Durations]:
    """Incidents detected in the longest period, as seconds (`workspace_id=None`: all)."""
    dialect = conn.dialect.name
    detected = col(Incident.detected_at)
    query = core_select(
        col(Incident.severity),
        seconds_between(dialect, now_literal(dialect, now), detected),
        seconds_between(dialect, col(Incident.investigating_at), detected),
        seconds_between(dialect, col(Incident.mitigated_at), detected),
        seconds_between(dialect, col(Incident.resolved_at), detected),
    ).where(detected >= now - timedelta(days=max(metrics.PERIODS)))
    if workspace_id is not None:
        query = query.where(col(Incident.workspace_id) == workspace_id)
    for row in conn.execute(query):
        yield metrics.Durations(*row)


def workspace_stats(db: Database, workspace_id: int, now: datetime) -> metrics.Stats:
    with db.read() as session:
        rows = list(durations(session.connection(), now, workspace_id))
    return metrics.compute_durations(rows, now)
