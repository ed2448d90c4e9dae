"""Integration state: an outside system's ids and what it needs to remember about them.

One row per (integration, external id): a Slack channel and its situation-report memo, a
PagerDuty incident, a status-page incident, a Twilio message. Linked to a workspace, and to
an incident when it belongs to one.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from store.types import UTCDateTime, utcnow


class IntegrationLink(SQLModel, table=True):
    __tablename__ = "integration_link"
    __table_args__ = (UniqueConstraint("integration", "external_id"),
                      Index("ix_integration_link_incident", "incident_id", "integration",
                            "kind"))
    id: int | None = Field(default=None, primary_key=True)
    integration: str = Field(max_length=32)  # slack, pagerduty, twilio, statuspage
    external_id: str = Field(max_length=200)  # the id the outside system gave it
    kind: str = Field(max_length=32)  # channel, incident, message, ...
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    incident_id: int | None = Field(default=None, foreign_key="incident.id")
    state: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
