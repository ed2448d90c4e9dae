"""The public status page: an incident as the public sees it, and its public updates.

Only words written for the public (or Vigilo's fixed wording) are stored here; internal
titles, names and Slack text never are, so the page cannot leak them.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from store.types import UTCDateTime, utcnow


class StatusPageIncident(SQLModel, table=True):
    __table_args__ = (Index("ix_statuspageincident_ws_published", "workspace_id",
                            "published"),)
    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    incident_id: int = Field(foreign_key="incident.id", unique=True)
    title: str = Field(max_length=200)  # public title
    status: str = Field(default="investigating", max_length=16)
    services: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    published: bool = Field(default=True)
    published_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    withdrawn_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class StatusPageUpdate(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    status_page_incident_id: int = Field(foreign_key="statuspageincident.id", index=True)
    status: str = Field(max_length=16)
    message: str
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    extra: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
