"""Tables for storms, runbooks and reminder snoozes (imported from store/models.py)."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from store.types import UTCDateTime, utcnow


class IncidentStorm(SQLModel, table=True):
    """Related incidents declared close together (WD.8); `reason` is what grouped them."""

    __table_args__ = (Index("ix_incidentstorm_workspace_status", "workspace_id", "status"),)
    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    reason: str = Field(max_length=200)  # a grouping key: service:checkout, tag:db, ...
    status: str = Field(default="open", max_length=16)  # open, resolved
    started_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    last_member_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    acknowledged_by_id: int | None = Field(default=None, foreign_key="member.id")
    acknowledged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolved_by: str | None = Field(default=None, max_length=200)  # a name, or "scheduler"


class IncidentStormMember(SQLModel, table=True):
    # An incident belongs to one storm at most: a second detection pass cannot re-add it.
    __table_args__ = (UniqueConstraint("incident_id"),)
    id: int | None = Field(default=None, primary_key=True)
    storm_id: int = Field(foreign_key="incidentstorm.id", index=True)
    incident_id: int = Field(foreign_key="incident.id")
    joined_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class Runbook(SQLModel, table=True):
    """A runbook offered when an incident matches its title or tags (WA.7)."""

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    title: str = Field(max_length=300)
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    link: str | None = Field(default=None, max_length=2000)
    excerpt: str = Field(default="")
    # core.runbooks.terms_of(title, tags), computed on save so matching is set operations.
    terms: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class ReminderSnooze(SQLModel, table=True):
    """Snooze 30 min on a stale-update nudge: no such nudge for the incident until then."""

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", unique=True)
    until: datetime = Field(sa_type=UTCDateTime, nullable=False)
    by: str | None = Field(default=None, max_length=200)
