"""Response metrics for one workspace (core/metrics.py) from the last 90 days of incidents."""

from datetime import datetime, timedelta

from sqlalchemy import select as core_select
from sqlmodel import col

from core import metrics
from store.db import Database
from store.models import Incident


def workspace_stats(db: Database, workspace_id: int, now: datetime) -> metrics.Stats:
    since = now - timedelta(days=max(metrics.PERIODS))
    with db.read() as session:
        rows = session.connection().execute(
            core_select(col(Incident.severity), col(Incident.detected_at),
                        col(Incident.investigating_at), col(Incident.mitigated_at),
                        col(Incident.resolved_at))
            .where(col(Incident.workspace_id) == workspace_id,
                   col(Incident.detected_at) >= since)).all()
    return metrics.compute((metrics.Timing(*row) for row in rows), now)
