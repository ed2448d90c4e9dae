"""The response-time figures (MTTA, MTTM, MTTR over 7/30/90 days) as the scheduler last
computed them, so `GET /metrics` reads one row instead of every incident of 90 days, and
every replica answers the same."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from store.types import UTCDateTime, utcnow


class StatsSnapshot(SQLModel, table=True):
    __tablename__ = "stats_snapshot"
    # One row per scope: "all" for the whole installation (what /metrics reports).
    scope: str = Field(primary_key=True, max_length=32)
    computed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    figures: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
