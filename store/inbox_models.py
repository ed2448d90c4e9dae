"""The Slack inbox: every delivery Vigilo acks is a row here first.

`delivery_key` makes Slack's redeliveries one row. The raw body is kept exactly as signed,
so a delivery taken again after a restart is parsed the same way as when it arrived.
`kind` says who takes it: `message` rows (channel messages, edits, deletes) are captured in
batches; `dispatch` rows (commands, clicks, form submissions, other events) run through the
Bolt app; `name` rows ask Slack again who an unknown author was.
"""

from datetime import datetime

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from store.types import UTCDateTime, utcnow

MESSAGE, DISPATCH, NAME = "message", "dispatch", "name"
PENDING, DONE, QUARANTINED = "pending", "done", "quarantined"


class SlackInbox(SQLModel, table=True):
    __tablename__ = "slack_inbox"
    __table_args__ = (Index("ix_slack_inbox_due", "status", "kind", "next_attempt_at"),)
    id: int | None = Field(default=None, primary_key=True)
    delivery_key: str = Field(max_length=200, unique=True)
    team_id: str = Field(default="", max_length=32)
    kind: str = Field(max_length=16)
    body: str = Field(sa_column=Column(Text, nullable=False))
    content_type: str = Field(default="", max_length=100)
    status: str = Field(default=PENDING, max_length=16)
    attempts: int = Field(default=0)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime,
                                      nullable=False)
    # A replica working on the row holds it until then; after, any replica may take it.
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
