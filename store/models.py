"""The tables. Incident-scoped rows always carry their workspace so no query crosses tenants."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint, false
from sqlalchemy import text as sql_text
from sqlmodel import Field, SQLModel

from store.types import UTCDateTime, utcnow


def _ts(nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


def _created() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class Workspace(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=200)
    slack_team_id: str | None = Field(default=None, max_length=32, unique=True)
    settings: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # Last incident number handed out; bumped under a row lock so keys never repeat or skip.
    last_incident_number: int = Field(default=0)
    last_change_number: int = Field(default=0)  # the same, for CHG- keys
    created_at: datetime = _created()


class Member(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("workspace_id", "slack_user_id"),)
    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    slack_user_id: str = Field(max_length=32)
    display_name: str = Field(max_length=200)
    email: str | None = Field(default=None, max_length=320)
    role: str = Field(default="engineer", max_length=16)
    phone: str | None = Field(default=None, max_length=32)
    on_call: bool = Field(default=False)
    created_at: datetime = _created()


class ChangeRequest(SQLModel, table=True):
    """A deploy or config change that may have caused an incident, keyed CHG-NNNN."""

    __table_args__ = (
        UniqueConstraint("workspace_id", "number", name="uq_changerequest_workspace_number"),
        UniqueConstraint("workspace_id", "create_key", name="uq_changerequest_workspace_key"),
        Index("ix_changerequest_workspace_started", "workspace_id", "started_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    number: int = Field(default=0)
    title: str = Field(max_length=300)
    description: str = Field(default="")
    affected_assets: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    author: str | None = Field(default=None, max_length=200)
    link: str | None = Field(default=None, max_length=2000)
    started_at: datetime = _created()
    finished_at: datetime | None = _ts()
    created_at: datetime = _created()
    # CI/CD's Idempotency-Key: sending the same change twice records it once.
    create_key: str | None = Field(default=None, max_length=200)


class Incident(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("workspace_id", "number"),
        UniqueConstraint("workspace_id", "declare_key"),
        Index("ix_incident_workspace_status", "workspace_id", "status"),
        # Storm detection, Suggest cause and metrics read incidents by detection time.
        Index("ix_incident_workspace_detected", "workspace_id", "detected_at"),
        Index("ix_incident_status_severity", "status", "severity"),  # /metrics counts
    )
    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    number: int
    title: str = Field(max_length=200)
    description: str = Field(default="")
    severity: str = Field(default="p3", max_length=2)
    status: str = Field(default="open", max_length=16)
    commander_id: int | None = Field(default=None, foreign_key="member.id")
    created_by_id: int | None = Field(default=None, foreign_key="member.id")
    detected_at: datetime = _created()
    created_at: datetime = _created()
    updated_at: datetime = _created()
    investigating_at: datetime | None = _ts()
    mitigated_at: datetime | None = _ts()
    resolved_at: datetime | None = _ts()
    post_mortem_at: datetime | None = _ts()
    reopened_at: datetime | None = _ts()
    root_cause: str | None = Field(default=None)
    services: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    caused_by_change_id: int | None = Field(default=None, foreign_key="changerequest.id")
    slack_channel_id: str | None = Field(default=None, max_length=32, index=True)
    slack_channel_name: str | None = Field(default=None, max_length=80)
    pagerduty_incident_id: str | None = Field(default=None, max_length=64, index=True)
    auto_publish_to_status: bool = Field(default=True)
    status_page_incident_id: str | None = Field(default=None, max_length=64)
    # An integration's Idempotency-Key: declaring twice with it returns the first incident.
    declare_key: str | None = Field(default=None, max_length=200)


class IncidentResponder(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("incident_id", "member_id"),)
    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    member_id: int = Field(foreign_key="member.id")
    role: str = Field(default="responder", max_length=16)
    joined_at: datetime = _created()


class TimelineEvent(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("incident_id", "dedupe_key"),
        Index("ix_timeline_incident_at", "incident_id", "at", "id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id")
    at: datetime = _created()
    source: str = Field(max_length=16)  # vigilo, slack, manual, pagerduty, api, cli
    label: str = Field(max_length=64)  # created, status_changed, note, message, ...
    actor: str | None = Field(default=None, max_length=200)  # display name at the time
    actor_id: int | None = Field(default=None, foreign_key="member.id")
    text: str = Field(default="")
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    dedupe_key: str | None = Field(default=None, max_length=200)
    editable: bool = Field(default=False)  # manual entries and Slack messages
    edited_at: datetime | None = _ts()
    deleted_at: datetime | None = _ts()
    # Kept on the incident's timeline but left out of its postmortem (timeline editor).
    hidden_from_postmortem: bool = Field(default=False)


class ActionItem(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    text: str
    owner_id: int | None = Field(default=None, foreign_key="member.id")
    created_by_id: int | None = Field(default=None, foreign_key="member.id")
    created_at: datetime = _created()
    done_at: datetime | None = _ts()
    due_on: date | None = Field(default=None)


class Postmortem(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", unique=True)
    status: str = Field(default="draft", max_length=16)
    timeline: list[dict[str, Any]] = Field(default_factory=list,
                                           sa_column=Column(JSON, nullable=False))
    created_at: datetime = _created()


class AuditLog(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    incident_id: int | None = Field(default=None, foreign_key="incident.id", index=True)
    actor_id: int | None = Field(default=None, foreign_key="member.id")
    actor: str | None = Field(default=None, max_length=200)
    action: str = Field(max_length=64)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    at: datetime = _created()


class Outbox(SQLModel, table=True):
    """A side effect recorded in the same transaction as the change that needs it."""

    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),
                      Index("ix_outbox_lane", "lane", "status", "id"))
    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int | None = Field(default=None, foreign_key="workspace.id", index=True)
    incident_id: int | None = Field(default=None, foreign_key="incident.id")
    kind: str = Field(max_length=64)
    # Effects in one lane (integration + incident) are delivered in order, one at a time,
    # so a channel exists before anything is posted to it; other lanes never wait on it.
    lane: str = Field(default="", max_length=100)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    idempotency_key: str = Field(max_length=200, unique=True)
    status: str = Field(default="pending", max_length=16)  # pending, done, dead
    attempts: int = Field(default=0)
    next_attempt_at: datetime = _created()
    locked_until: datetime | None = _ts()
    last_error: str | None = Field(default=None)
    # next_attempt_at comes from our own exponential backoff (not a remote's Retry-After):
    # when the integration answers again, the worker makes such rows due at once.
    backing_off: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    created_at: datetime = _created()
    delivered_at: datetime | None = _ts()


class IntegrationLog(SQLModel, table=True):
    """Every delivery attempt and inbound webhook: what troubleshooting reads."""

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int | None = Field(default=None, foreign_key="workspace.id", index=True)
    integration: str = Field(max_length=32)  # slack, pagerduty, twilio, statuspage
    direction: str = Field(default="out", max_length=8)
    incident_id: int | None = Field(default=None, foreign_key="incident.id", index=True)
    kind: str = Field(max_length=64)
    outbox_id: int | None = Field(default=None, foreign_key="outbox.id")
    ok: bool
    detail: str = Field(default="")
    at: datetime = _created()


class ApiToken(SQLModel, table=True):
    # One live token per name in a workspace, so `token revoke --name` means one token; a
    # revoked name may be used again (rotation).
    __table_args__ = (Index("uq_api_token_live_name", "workspace_id", "name", unique=True,
                            sqlite_where=sql_text("revoked_at IS NULL"),
                            postgresql_where=sql_text("revoked_at IS NULL")),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    name: str = Field(max_length=100)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = _created()
    revoked_at: datetime | None = _ts()
    last_used_at: datetime | None = _ts()


class ShareLink(SQLModel, table=True):
    """A read-only link to one incident. Only the token's hash is stored."""

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_by_id: int | None = Field(default=None, foreign_key="member.id")
    created_at: datetime = _created()
    revoked_at: datetime | None = _ts()


class LoginLink(SQLModel, table=True):
    """A one-time, short-lived sign-in link sent to a member in Slack."""

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    member_id: int = Field(foreign_key="member.id")
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = _created()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    used_at: datetime | None = _ts()


class WebSession(SQLModel, table=True):
    """A signed-in member's browser session; the cookie holds the token, we keep its hash."""

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    member_id: int = Field(foreign_key="member.id")
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = _created()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    revoked_at: datetime | None = _ts()


# Tables owned by other modules, imported here so that alembic and create_all see them.
from store import insight_models  # noqa: E402, F401  (storms, runbooks, snoozes)
from store.archive_models import ChannelArchive  # noqa: E402,F401  (delayed archives)
from store.inbound_models import InboundWebhook  # noqa: E402,F401
from store.inbox_models import SlackInbox  # noqa: E402,F401  (alembic sees it)
from store.integration_models import IntegrationLink  # noqa: E402,F401
from store.oncall_models import OncallMember, OncallOverride, OncallSchedule  # noqa: E402,F401
from store.paging_models import SmsPage  # noqa: E402,F401
from store.postmortem_models import PostmortemSection, PostmortemStatusChange  # noqa: E402,F401
from store.statuspage_models import StatusPageIncident, StatusPageUpdate  # noqa: E402,F401
from store.workspace_teams import WorkspaceSlackTeam  # noqa: E402,F401  (alembic sees it)
