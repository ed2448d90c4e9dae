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


class ChangeAsset(SQLModel, table=True):
    """One affected asset of a change, normalized (core.cause.norm): Suggest cause finds the
    changes touching an incident's services through this index, not by reading every change."""

    __table_args__ = (Index("ix_changeasset_lookup", "workspace_id", "asset", "started_at"),)
    id: int | None = Field(default=None, primary_key=True)
    change_id: int = Field(foreign_key="changerequest.id", index=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    asset: str = Field(max_length=100)
    started_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class RunbookTerm(SQLModel, table=True):
    """One term of a runbook's title or tags (core.runbooks.terms_of), for matching by index."""

    __table_args__ = (Index("ix_runbookterm_lookup", "workspace_id", "term"),)
    id: int | None = Field(default=None, primary_key=True)
    runbook_id: int = Field(foreign_key="runbook.id", index=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    term: str = Field(max_length=100)
    tag: bool = Field(default=False)  # from a tag (weighs more) rather than the title
