"""The postmortem's own tables: the written sections and the history of its status."""

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from store.types import UTCDateTime, utcnow


class PostmortemSection(SQLModel, table=True):
    """One written section. `text` is what people accepted; `draft` is a suggestion (from the
    record, or from the AI) that nobody has accepted yet."""

    __table_args__ = (UniqueConstraint("postmortem_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    postmortem_id: int = Field(foreign_key="postmortem.id", index=True)
    name: str = Field(max_length=32)
    text: str = Field(default="")
    draft: str = Field(default="")
    draft_source: str = Field(default="", max_length=80)  # "record", "ai:<model>"
    # What became of an AI draft, for the people editing ("the model did not answer ...").
    draft_note: str = Field(default="", max_length=500)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_by_id: int | None = Field(default=None, foreign_key="member.id")
    updated_by: str | None = Field(default=None, max_length=200)


class PostmortemStatusChange(SQLModel, table=True):
    """Who moved the postmortem to which status, and when (draft, in_review, published)."""

    id: int | None = Field(default=None, primary_key=True)
    postmortem_id: int = Field(foreign_key="postmortem.id", index=True)
    status: str = Field(max_length=16)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    actor_id: int | None = Field(default=None, foreign_key="member.id")
    actor: str | None = Field(default=None, max_length=200)
