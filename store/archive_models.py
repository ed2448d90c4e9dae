"""Incident channels waiting to be archived: the workspace's `archive_delay` after resolve.

One row per incident, rewritten at each resolve. The scheduler job (vigilo/scheduler.py)
turns a due `scheduled` row into the Slack archive effect, or into `cancelled` when the
incident was reopened since; the status moves only under the row's lock, so two replicas or
two runs record the archive once.
"""

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from store.types import UTCDateTime, utcnow

SCHEDULED, RECORDED, CANCELLED = "scheduled", "recorded", "cancelled"


class ChannelArchive(SQLModel, table=True):
    __tablename__ = "channel_archive"
    __table_args__ = (Index("ix_channel_archive_due", "status", "due_at"),)
    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", unique=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    resolved_at: datetime = Field(sa_type=UTCDateTime, nullable=False)  # the resolve it follows
    due_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    status: str = Field(default=SCHEDULED, max_length=16)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
