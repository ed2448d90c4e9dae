"""Response metrics for one workspace (core/metrics.py) from the last 90 days of incidents."""

from collections.abc import Iterator
from datetime import datetime, timedelta

from sqlalchemy import select as core_select
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlmodel import col

from core import metrics
from core.severity import Severity
from services.durations_sql import now_literal, seconds_between
from store.db import Database
from store.models import Incident, Workspace


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
    else:  # through the (workspace_id, detected_at) index, as _PG explains
        query = query.where(col(Incident.workspace_id).in_(core_select(col(Workspace.id))))
    for row in conn.execute(query):
        yield metrics.Durations(*row)


def compute(conn: Connection, now: datetime, workspace_id: int | None = None
            ) -> metrics.Stats:
    """PostgreSQL computes the medians and p90s itself (percentile_disc is nearest rank,
    as core.metrics is); elsewhere the durations come back and core.metrics computes."""
    if conn.dialect.name != "postgresql":
        return metrics.compute_durations(durations(conn, now, workspace_id), now)
    return _postgres(conn, now, workspace_id)


def workspace_stats(db: Database, workspace_id: int, now: datetime) -> metrics.Stats:
    with db.read() as session:
        return compute(session.connection(), now, workspace_id)


# date_part() is double precision; EXTRACT() is numeric since PostgreSQL 14, several times
# slower over thousands of rows. Periods compare timestamps, not computed ages. With no
# workspace given, `workspace_id IN (all workspaces)` lets the (workspace_id, detected_at)
# index find the last 90 days instead of scanning every incident ever.
_PG = """
WITH d AS (
  SELECT severity, detected_at,
         CASE WHEN investigating_at IS NOT NULL THEN
           GREATEST(0, date_part('epoch', investigating_at - detected_at)) END AS acknowledge,
         CASE WHEN mitigated_at IS NOT NULL THEN
           GREATEST(0, date_part('epoch', mitigated_at - detected_at)) END AS mitigate,
         CASE WHEN resolved_at IS NOT NULL THEN
           GREATEST(0, date_part('epoch', resolved_at - detected_at)) END AS resolve
  FROM incident WHERE detected_at >= :since AND detected_at <= :now {where}
)
SELECT p.days, d.severity, count(*),
  {figures}
FROM d JOIN (SELECT unnest(CAST(:periods AS integer[])) AS days) p
  ON d.detected_at >= CAST(:now AS timestamptz) - p.days * interval '1 day'
GROUP BY GROUPING SETS ((p.days, d.severity), (p.days))
"""
_FIGURES = ",\n  ".join(
    f"count({m}), percentile_disc(0.5) WITHIN GROUP (ORDER BY {m}), "
    f"percentile_disc(0.9) WITHIN GROUP (ORDER BY {m})" for m in metrics.MEASURES)


def _postgres(conn: Connection, now: datetime, workspace_id: int | None) -> metrics.Stats:
    where = ("AND workspace_id = :ws" if workspace_id is not None
             else "AND workspace_id IN (SELECT id FROM workspace)")
    params: dict[str, object] = {"now": now, "since": now - timedelta(days=max(metrics.PERIODS)),
                                 "periods": list(metrics.PERIODS), "ws": workspace_id}
    empty = metrics.figure([])
    keys = [*(s.value for s in Severity), "all"]
    figures = {d: {k: dict.fromkeys(metrics.MEASURES, empty) for k in keys}
               for d in metrics.PERIODS}
    counts = dict.fromkeys(metrics.PERIODS, 0)
    for row in conn.execute(text(_PG.format(where=where, figures=_FIGURES)), params):
        days, severity, total = int(row[0]), row[1] or "all", int(row[2])
        if severity == "all":
            counts[days] = total
        if severity not in figures[days]:
            continue
        for n, measure in enumerate(metrics.MEASURES):
            count, median, p90 = row[3 + 3 * n: 6 + 3 * n]
            figures[days][severity][measure] = metrics.Figure(
                int(count), float(median) if median is not None else None,
                float(p90) if p90 is not None else None)
    return metrics.Stats(now, figures, counts)
