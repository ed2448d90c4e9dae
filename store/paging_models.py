"""SMS pages: one row per person per trigger, written before Twilio is asked, so no retry
or replica ever texts the same person twice for one trigger."""

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from store.types import UTCDateTime, utcnow


class SmsPage(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("trigger", "member_id"),)
    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    trigger: str = Field(max_length=200)  # the outbox effect's idempotency key
    member_id: int = Field(foreign_key="member.id")
    phone: str = Field(max_length=32)
    marker: str = Field(max_length=32)  # in the body: finds an SMS whose answer was lost
    # sending (asked, no answer yet), queued/sent/delivered, failed/undelivered
    status: str = Field(default="sending", max_length=16)
    sid: str | None = Field(default=None, max_length=64, unique=True)
    error: str | None = Field(default=None)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
