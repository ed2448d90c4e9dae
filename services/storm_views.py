"""Storms as the surfaces read them: the banner, the storm page, the home tab."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import col, select

from core import storms as rules
from core.errors import NotFound
from core.keys import format_key
from services.changes import settings_of
from store.db import Database
from store.insight_models import IncidentStorm, IncidentStormMember
from store.models import Incident, Workspace
from store.types import pk


@dataclass(frozen=True)
class StormMember:
    key: str
    title: str
    status: str
    severity: str
    services: tuple[str, ...]
    detected_at: datetime


@dataclass(frozen=True)
class StormView:
    id: int
    reason: str  # a grouping key: service:checkout
    status: str
    started_at: datetime
    last_member_at: datetime
    resolved_at: datetime | None
    acknowledged_by_id: int | None
    members: tuple[StormMember, ...]
    common: tuple[str, ...]  # every grouping key all members share
    window: timedelta

    @property
    def reason_text(self) -> str:
        return rules.describe_key(self.reason)

    @property
    def banner(self) -> str:
        return rules.banner_text(len(self.members), self.window)

    def common_of(self, kind: str) -> list[str]:
        return [k.partition(":")[2] for k in self.common if k.startswith(kind + ":")]

    def to_json(self, url: str | None = None) -> dict[str, object]:
        return {
            "id": self.id, "url": url, "status": self.status, "reason": self.reason,
            "started_at": self.started_at.isoformat(),
            "last_member_at": self.last_member_at.isoformat(),
            "resolved_at": self.resolved_at.isoformat() if self.resolved_at else None,
            "banner": self.banner,
            "common": {"services": self.common_of("service"), "tags": self.common_of("tag"),
                       "assets": self.common_of("asset")},
            "members": [{"key": m.key, "title": m.title, "status": m.status,
                         "severity": m.severity, "services": list(m.services),
                         "detected_at": m.detected_at.isoformat()} for m in self.members],
        }


def get_storm(db: Database, workspace_id: int, storm_id: int) -> StormView:
    views = _views(db, workspace_id, [storm_id])
    if not views:
        raise NotFound(f"No storm #{storm_id} in this workspace.", field="storm")
    return views[0]


def open_storms(db: Database, workspace_id: int) -> list[StormView]:
    with db.read() as session:
        ids = [pk(s) for s in session.exec(select(IncidentStorm).where(
            IncidentStorm.workspace_id == workspace_id, IncidentStorm.status == "open")
            .order_by(col(IncidentStorm.started_at).desc()))]
    return _views(db, workspace_id, ids) if ids else []


def storm_of_incident(db: Database, workspace_id: int, incident_id: int) -> int | None:
    """The open storm this incident is part of, if any."""
    with db.read() as session:
        found = session.exec(select(IncidentStorm.id).join(
            IncidentStormMember, col(IncidentStormMember.storm_id) == col(IncidentStorm.id))
            .where(IncidentStormMember.incident_id == incident_id,
                   IncidentStorm.workspace_id == workspace_id,
                   IncidentStorm.status == "open")).first()
    return int(found) if found is not None else None


def workspace_slug(db: Database, workspace_id: int) -> str:
    with db.read() as session:
        workspace = session.get(Workspace, workspace_id)
    return workspace.slug if workspace else ""


def _views(db: Database, workspace_id: int, ids: list[int]) -> list[StormView]:
    with db.read() as session:
        window = timedelta(minutes=settings_of(session, workspace_id).storm_window_minutes)
        storms = session.exec(select(IncidentStorm).where(
            IncidentStorm.workspace_id == workspace_id, col(IncidentStorm.id).in_(ids))).all()
        rows = session.exec(select(IncidentStormMember.storm_id, Incident).join(
            Incident, col(Incident.id) == col(IncidentStormMember.incident_id))
            .where(col(IncidentStormMember.storm_id).in_(ids))
            .order_by(col(Incident.detected_at), col(Incident.number))).all()
    members: dict[int, list[Incident]] = {}
    for storm_id, incident in rows:
        members.setdefault(storm_id, []).append(incident)
    order = {sid: n for n, sid in enumerate(ids)}
    out = []
    for storm in sorted(storms, key=lambda s: order[pk(s)]):
        incidents = members.get(pk(storm), [])
        common = rules.common_keys([rules.grouping_keys(i.services or []) for i in incidents])
        out.append(StormView(
            pk(storm), storm.reason, storm.status, storm.started_at, storm.last_member_at,
            storm.resolved_at, storm.acknowledged_by_id,
            tuple(StormMember(format_key(i.number), i.title, i.status, i.severity,
                              tuple(i.services or ()), i.detected_at) for i in incidents),
            tuple(common), window))
    return out
