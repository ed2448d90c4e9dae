"""On-call schedules: one rotation each (members in order), and overrides for a time range."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from store.types import UTCDateTime, utcnow


def _created() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class OncallSchedule(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    name: str = Field(max_length=64)
    timezone: str = Field(max_length=64)  # IANA name; handoffs happen in its wall clock
    handoff: str = Field(max_length=5)  # "HH:MM" local
    length_days: int = Field(default=7)
    start_date: date  # local day of the first handoff
    created_at: datetime = _created()


class OncallMember(SQLModel, table=True):
    """A member's place in a schedule's rotation."""

    __table_args__ = (UniqueConstraint("schedule_id", "position"),)
    id: int | None = Field(default=None, primary_key=True)
    schedule_id: int = Field(foreign_key="oncallschedule.id", index=True)
    member_id: int = Field(foreign_key="member.id")
    position: int


class OncallOverride(SQLModel, table=True):
    __table_args__ = (Index("ix_oncalloverride_schedule_ends", "schedule_id", "ends_at"),)
    id: int | None = Field(default=None, primary_key=True)
    schedule_id: int = Field(foreign_key="oncallschedule.id")
    member_id: int = Field(foreign_key="member.id")
    starts_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    ends_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    created_by_id: int | None = Field(default=None, foreign_key="member.id")
    created_at: datetime = _created()
