"""Webhooks received from integrations: stored before they are answered, worked after."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from store.types import UTCDateTime, utcnow


class InboundWebhook(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("integration", "delivery_id"),
                      Index("ix_inboundwebhook_external", "integration", "external_id"),
                      Index("ix_inboundwebhook_pending", "processed_at"))
    id: int | None = Field(default=None, primary_key=True)
    integration: str = Field(max_length=32)
    delivery_id: str = Field(max_length=128)  # the sender's event id: a redelivery is a no-op
    event_type: str = Field(max_length=64)
    external_id: str | None = Field(default=None, max_length=64)  # e.g. PagerDuty incident id
    occurred_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    processed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    outcome: str | None = Field(default=None)
