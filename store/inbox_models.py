"""The inbox: every delivery Vigilo answers with a 2xx is a row here first, whoever sent it.

`source` says who sent it (slack, pagerduty); `delivery_key` (prefixed by the source) makes
a sender's redeliveries one row. The raw body is kept exactly as signed, so a delivery taken
again after a restart is parsed the same way as when it arrived. `kind` says who takes it:
`message` rows (Slack channel messages, edits, deletes) are captured in batches; `dispatch`
rows (commands, clicks, form submissions, other events) run through the Bolt app; `name`
rows ask Slack again who an unknown author was; `webhook` rows are an integration's events,
worked in order per `subject` (e.g. the PagerDuty incident they are about).
"""

from datetime import datetime

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from store.types import UTCDateTime, utcnow

MESSAGE, DISPATCH, NAME, WEBHOOK = "message", "dispatch", "name", "webhook"
PENDING, DONE, QUARANTINED = "pending", "done", "quarantined"
SLACK = "slack"
SOURCES = frozenset({SLACK, "pagerduty"})  # the integrations that store first


class InboxRow(SQLModel, table=True):
    __tablename__ = "inbox"
    __table_args__ = (Index("ix_inbox_due", "status", "kind", "next_attempt_at"),
                      Index("ix_inbox_subject", "source", "subject"))
    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(default=SLACK, max_length=16)
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
    # What a webhook is about and says it is, for ordering: rows of one subject are worked
    # one at a time, and a status event older than one applied already is skipped.
    subject: str | None = Field(default=None, max_length=64)
    event_type: str | None = Field(default=None, max_length=64)
    occurred_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    outcome: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
