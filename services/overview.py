"""What is going on right now, for the Slack home tab: counts per status and the most
pressing incidents of each, fetched with a bounded number of small queries."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import col, select

from core.fsm import ACTIVE_STATUSES, Status
from core.keys import format_key
from services.queries import IncidentSummary
from services.records import member_names
from store.db import Database
from store.models import Incident
from store.types import utcnow

RECENT = timedelta(days=7)


@dataclass
class StatusGroup:
    status: Status
    total: int
    incidents: list[IncidentSummary] = field(default_factory=list)


def overview(db: Database, workspace_id: int, *, per_status: int = 20, resolved: int = 5,
             now: datetime | None = None) -> list[StatusGroup]:
    """Open, investigating, mitigated (most severe, then newest first), then the incidents
    resolved in the last week (latest first). `total` counts all of each group."""
    since = (now or utcnow()) - RECENT
    with db.read() as session:
        counts = dict(session.exec(select(Incident.status, func.count()).where(
            Incident.workspace_id == workspace_id,
            col(Incident.status).in_([s.value for s in ACTIVE_STATUSES]))
            .group_by(Incident.status)).all())
        groups = []
        for status in ACTIVE_STATUSES:
            rows = list(session.exec(select(Incident).where(
                Incident.workspace_id == workspace_id, Incident.status == status.value)
                .order_by(col(Incident.severity), col(Incident.number).desc())
                .limit(per_status))) if counts.get(status.value) else []
            groups.append((status, int(counts.get(status.value, 0)), rows))
        recent = select(Incident).where(Incident.workspace_id == workspace_id,
                                        Incident.status == Status.RESOLVED.value,
                                        col(Incident.resolved_at) >= since)
        resolved_total = session.exec(select(func.count()).select_from(
            recent.subquery())).one()
        resolved_rows = list(session.exec(recent.order_by(col(Incident.resolved_at).desc())
                                          .limit(resolved)))
        groups.append((Status.RESOLVED, int(resolved_total), resolved_rows))
        names = member_names(session, {i.commander_id for _, _, rows in groups for i in rows
                                       if i.commander_id})
    return [StatusGroup(status, total,
                        [IncidentSummary(i, format_key(i.number), names.get(i.commander_id or 0))
                         for i in rows])
            for status, total, rows in groups]
