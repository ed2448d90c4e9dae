"""The Slack team behind a workspace, and Slack users as members (first contact)."""

from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Executable, bindparam, tuple_
from sqlalchemy import select as core_select
from sqlmodel import col, select

from core.channels import slugify
from core.errors import Conflict
from core.permissions import Role
from core.validation import WorkspaceSettings
from services import workspaces
from services.actor import Actor
from services.changes import settings_of
from services.records import load_incident
from store.db import Database
from store.models import Incident, Member, Workspace


@dataclass(frozen=True)
class WorkspaceRef:
    """What Slack handlers need to know about a workspace, cheap to cache."""

    id: int
    slug: str
    name: str


def _ref(workspace: Workspace) -> WorkspaceRef:
    return WorkspaceRef(workspace.id or 0, workspace.slug, workspace.name)


def slug_for_team(domain: str | None, team_name: str | None) -> str:
    """`acme-corp` from the team's domain (or name): a valid workspace slug, never empty."""
    for candidate in (domain, team_name):
        slug = slugify(candidate or "").replace("_", "-").strip("-")[:63].strip("-")
        if slug:
            return slug
    return "slack"


def bootstrap(db: Database, team_id: str, team_name: str, *, domain: str | None = None,
              slug: str | None = None) -> WorkspaceRef:
    """Token mode's one workspace: found by team, else the slug's workspace linked to the
    team (a workspace made with the CLI first), else created."""
    found = workspaces.workspace_for_team(db, team_id)
    if found is not None:
        return _ref(found)
    wanted = workspaces.clean_slug(slug) if slug else slug_for_team(domain, team_name)
    with db.transaction() as session:
        existing = session.exec(select(Workspace).where(Workspace.slug == wanted)
                                .with_for_update()).first()
        if existing is not None:
            if existing.slack_team_id not in (None, team_id):
                raise Conflict(f"Workspace '{wanted}' is linked to another Slack team "
                               f"({existing.slack_team_id}); set VIGILO_WORKSPACE to another "
                               "slug.", field="slug")
            existing.slack_team_id = team_id
            return _ref(existing)
    try:
        return _ref(workspaces.create_workspace(db, wanted, team_name or wanted, team_id))
    except Conflict:
        # Two replicas started together: the other one created it.
        again = workspaces.workspace_for_team(db, team_id)
        if again is None:
            raise
        return _ref(again)


def workspace_ref(db: Database, team_id: str) -> WorkspaceRef | None:
    found = workspaces.workspace_for_team(db, team_id)
    return _ref(found) if found is not None else None


def workspace_settings(db: Database, workspace_id: int) -> WorkspaceSettings:
    with db.read() as session:
        return settings_of(session, workspace_id)


def role_for(user: dict[str, Any], default: Role) -> Role:
    """Slack owners and admins keep their standing; everyone else gets the default role."""
    if user.get("is_owner") or user.get("is_primary_owner"):
        return Role.OWNER
    if user.get("is_admin"):
        return Role.ADMIN
    return default


def display_name(user: dict[str, Any]) -> str:
    profile = user.get("profile") or {}
    for value in (profile.get("real_name"), user.get("real_name"), profile.get("display_name"),
                  user.get("name"), user.get("id")):
        if value and str(value).strip():
            return str(value).strip()
    return "unknown"


def member_from_slack(db: Database, workspace_id: int, user: dict[str, Any]) -> Member:
    """First contact: the member for a `users.info` user, created with the mapped role."""
    found = workspaces.find_member(db, workspace_id, str(user.get("id") or ""))
    if found is not None:
        return found
    default = workspace_settings(db, workspace_id).default_role
    profile = user.get("profile") or {}
    # Slack's phone field is free text: only a number we could text is kept.
    return workspaces.ensure_member(db, workspace_id, str(user["id"]), display_name(user),
                                    role_for(user, Role(default)), email=profile.get("email"),
                                    phone=profile.get("phone"))


def actor_by_slack_id(db: Database, workspace_id: int, slack_user_id: str) -> Actor | None:
    """The member acting from Slack, read as three columns by a statement built once:
    every command and click starts here."""
    with db.read() as session:
        row = session.execute(_actor_query(), {"ws": workspace_id,
                                               "user": slack_user_id}).first()
    if row is None:
        return None
    return Actor(workspace_id, row[0], row[1], Role(row[2]), "slack")


@cache
def _actor_query() -> Executable:
    return core_select(col(Member.id), col(Member.display_name), col(Member.role)).where(
        col(Member.workspace_id) == bindparam("ws"),
        col(Member.slack_user_id) == bindparam("user"))


def members_by_slack_id(db: Database, workspace_id: int,
                        slack_user_ids: list[str]) -> dict[str, Member]:
    if not slack_user_ids:
        return {}
    with db.read() as session:
        rows = session.exec(select(Member).where(
            Member.workspace_id == workspace_id,
            Member.slack_user_id.in_(set(slack_user_ids))))  # type: ignore[attr-defined]
        return {m.slack_user_id: m for m in rows}


def incident_channels(db: Database, keys: list[tuple[int, int]]) -> dict[tuple[int, int], str]:
    """The channels made so far of these (workspace id, number) incidents."""
    with db.read() as session:
        rows = session.execute(_channels_query(), {"keys": keys}).all()
    return {(ws, number): channel for ws, number, channel in rows}


@cache
def _channels_query() -> Executable:
    return core_select(col(Incident.workspace_id), col(Incident.number),
                       col(Incident.slack_channel_id)).where(
        tuple_(col(Incident.workspace_id), col(Incident.number)).in_(
            bindparam("keys", expanding=True)),
        col(Incident.slack_channel_id).is_not(None))


def incident_number_for_channel(db: Database, workspace_id: int, channel_id: str) -> int | None:
    with db.read() as session:
        return session.exec(select(Incident.number).where(
            Incident.workspace_id == workspace_id,
            Incident.slack_channel_id == channel_id)).first()


def find_incident(db: Database, workspace_id: int, key: str | int) -> Incident:
    """The incident with this key in this workspace (NotFound otherwise), read only."""
    with db.read() as session:
        return load_incident(session, workspace_id, key)
