"""Workspaces, members and API tokens."""

import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core.errors import Conflict, InvalidInput, NotFound
from core.permissions import Action, Role, parse_role
from core.validation import WorkspaceSettings, clean_email, clean_phone
from services.actor import Actor
from services.records import audit, authorize, is_unique_violation
from store.db import Database
from store.models import ApiToken, Member, Workspace
from store.types import pk, utcnow
from store.workspace_teams import WorkspaceSlackTeam

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_TEAM = re.compile(r"^[TE][A-Z0-9]{2,31}$")
TOKEN_PREFIX = "vgl_"


def clean_slug(slug: str) -> str:
    value = (slug or "").strip().lower()
    if not _SLUG.match(value):
        raise InvalidInput(f"'{slug}' is not a valid workspace slug: use 1-63 lowercase "
                           "letters, digits and dashes, starting with a letter or digit.",
                           field="slug")
    return value


def create_workspace(db: Database, slug: str, name: str | None = None,
                     slack_team_id: str | Sequence[str] | None = None) -> Workspace:
    """`slack_team_id` may list several teams (Enterprise Grid); the first is the primary."""
    slug = clean_slug(slug)
    teams = clean_teams([slack_team_id] if isinstance(slack_team_id, str)
                        else list(slack_team_id or []))
    try:
        with db.transaction() as session:
            for team in teams:
                if _team_owner(session, team) is not None:
                    raise Conflict(f"Slack team {team} already belongs to a workspace.",
                                   field="slack_team")
            workspace = Workspace(slug=slug, name=(name or slug).strip()[:200] or slug,
                                  slack_team_id=teams[0] if teams else None,
                                  settings=WorkspaceSettings().to_json())
            session.add(workspace)
            session.flush()
            for team in teams[1:]:
                session.add(WorkspaceSlackTeam(team_id=team, workspace_id=pk(workspace)))
            return workspace
    except IntegrityError as error:
        if is_unique_violation(error):
            raise Conflict(f"Workspace '{slug}' (or its Slack team) already exists.",
                           field="slug") from None
        raise


def clean_teams(teams: Sequence[str]) -> list[str]:
    out: list[str] = []
    for raw in teams:
        team = (raw or "").strip().upper()
        if not _TEAM.match(team):
            raise InvalidInput(f"'{raw}' is not a Slack team id (like T012ABCDEF).",
                               field="slack_team")
        if team not in out:
            out.append(team)
    return out


def _team_owner(session: Session, team_id: str) -> int | None:
    found = session.exec(select(Workspace.id).where(Workspace.slack_team_id == team_id)).first()
    if found is not None:
        return found
    extra = session.get(WorkspaceSlackTeam, team_id)
    return extra.workspace_id if extra else None


def slack_teams(db: Database, workspace_id: int) -> list[str]:
    """Every Slack team the workspace serves, the primary first."""
    with db.read() as session:
        workspace = session.get(Workspace, workspace_id)
        extra = session.exec(select(WorkspaceSlackTeam.team_id)
                             .where(WorkspaceSlackTeam.workspace_id == workspace_id)
                             .order_by(WorkspaceSlackTeam.team_id))
        primary = [workspace.slack_team_id] if workspace and workspace.slack_team_id else []
        return primary + list(extra)


def get_workspace(db: Database, slug: str) -> Workspace:
    with db.read() as session:
        workspace = session.exec(select(Workspace).where(Workspace.slug == slug.lower())).first()
    if workspace is None:
        raise NotFound(f"No workspace '{slug}'.", field="workspace")
    return workspace


def workspace_for_team(db: Database, team_id: str) -> Workspace | None:
    with db.read() as session:
        owner = _team_owner(session, team_id)
        return session.get(Workspace, owner) if owner is not None else None


def list_workspaces(db: Database) -> list[Workspace]:
    with db.read() as session:
        return list(session.exec(select(Workspace).order_by(Workspace.slug)))


def set_setting(db: Database, actor: Actor, key: str, value: Any) -> WorkspaceSettings:
    authorize(actor, Action.ADMINISTER)
    with db.transaction() as session:
        workspace = session.get(Workspace, actor.workspace_id, with_for_update=True)
        if workspace is None:
            raise NotFound("No such workspace.", field="workspace")
        settings = WorkspaceSettings.from_json(workspace.settings)
        old = settings.to_json().get(key)
        settings.set(key, value)
        workspace.settings = settings.to_json()
        audit(session, actor, "workspace.setting", key=key, old=old,
              new=workspace.settings[key])
        return settings


def add_member(db: Database, workspace_id: int, slack_user_id: str, display_name: str,
               role: str | Role = Role.ENGINEER, *, email: str | None = None,
               phone: str | None = None) -> Member:
    user_id = (slack_user_id or "").strip()
    if not re.match(r"^[UW][A-Z0-9]{2,31}$", user_id):
        raise InvalidInput(f"'{slack_user_id}' is not a Slack user id (like U012ABCDEF).",
                           field="slack_user_id")
    name = " ".join((display_name or "").split())[:200] or user_id
    member_role = parse_role(str(role))
    email = clean_email(email) if email else None
    phone = clean_phone(phone) if phone else None
    try:
        with db.transaction() as session:
            member = Member(workspace_id=workspace_id, slack_user_id=user_id, display_name=name,
                            role=member_role.value, email=email, phone=phone)
            session.add(member)
            session.flush()
            return member
    except IntegrityError as error:
        if is_unique_violation(error):
            raise Conflict(f"{user_id} is already a member of this workspace.",
                           field="slack_user_id") from None
        raise


def ensure_member(db: Database, workspace_id: int, slack_user_id: str, display_name: str,
                  role: Role, *, email: str | None = None, phone: str | None = None) -> Member:
    """First contact from Slack creates the member; later contacts just find it. The
    profile's phone is kept only when it is a number we could text."""
    found = find_member(db, workspace_id, slack_user_id)
    if found is not None:
        return found
    try:
        email = clean_email(email) if email else None
    except InvalidInput:  # Slack's profile is not ours to refuse: keep the member, not it
        email = None
    try:
        phone = clean_phone(phone) if phone else None
    except InvalidInput:
        phone = None
    try:
        return add_member(db, workspace_id, slack_user_id, display_name, role, email=email,
                          phone=phone)
    except Conflict:
        found = find_member(db, workspace_id, slack_user_id)
        assert found is not None
        return found


def find_member(db: Database, workspace_id: int, slack_user_id: str) -> Member | None:
    with db.read() as session:
        return session.exec(select(Member).where(Member.workspace_id == workspace_id,
                                                 Member.slack_user_id == slack_user_id)).first()


def require_member(db: Database, workspace_id: int, slack_user_id: str) -> Member:
    member = find_member(db, workspace_id, slack_user_id)
    if member is None:
        raise NotFound(f"No member {slack_user_id} in this workspace.", field="member")
    return member


def set_member(db: Database, actor: Actor, slack_user_id: str, *, role: str | None = None,
               phone: str | None = None, on_call: bool | None = None) -> Member:
    authorize(actor, Action.ADMINISTER)
    new_role = parse_role(role) if role is not None else None
    phone = clean_phone(phone) if phone else phone
    with db.transaction() as session:
        member = session.exec(select(Member).where(
            Member.workspace_id == actor.workspace_id,
            Member.slack_user_id == slack_user_id).with_for_update()).first()
        if member is None:
            raise NotFound(f"No member {slack_user_id} in this workspace.", field="member")
        changes: dict[str, Any] = {}
        if new_role is not None and member.role != new_role.value:
            changes["role"] = {"from": member.role, "to": new_role.value}
            member.role = new_role.value
        if phone is not None and member.phone != (phone or None):
            changes["phone"] = "changed"
            member.phone = phone or None
        if on_call is not None and member.on_call != on_call:
            changes["on_call"] = on_call
            member.on_call = on_call
        if changes:
            audit(session, actor, "member.changed", member=slack_user_id, changes=changes)
        return member


def list_members(db: Database, workspace_id: int) -> list[Member]:
    with db.read() as session:
        return list(session.exec(select(Member).where(Member.workspace_id == workspace_id)
                                 .order_by(Member.display_name)))


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(db: Database, workspace_id: int, name: str) -> tuple[ApiToken, str]:
    """Returns the row and the token itself, which is shown once and never stored."""
    label = " ".join((name or "").split())
    if not label or len(label) > 100:
        raise InvalidInput("A token needs a name of 1-100 characters.", field="name")
    taken = Conflict(f"A live token named '{label}' exists already: revoke it first "
                     "(`vigilo token revoke --name ...`) or choose another name.", field="name")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    try:
        with db.transaction() as session:
            if _live_token(session, workspace_id, label) is not None:
                raise taken
            row = ApiToken(workspace_id=workspace_id, name=label, token_hash=hash_token(token))
            session.add(row)
            session.flush()
            return row, token
    except IntegrityError as error:  # a concurrent create with the same name
        if is_unique_violation(error):
            raise taken from None
        raise


def _live_token(session: Session, workspace_id: int, name: str) -> ApiToken | None:
    return session.exec(select(ApiToken).where(
        ApiToken.workspace_id == workspace_id, ApiToken.name == name,
        col(ApiToken.revoked_at).is_(None))).first()


def list_tokens(db: Database, workspace_id: int, *,
                include_revoked: bool = False) -> list[ApiToken]:
    query = select(ApiToken).where(ApiToken.workspace_id == workspace_id)
    if not include_revoked:
        query = query.where(col(ApiToken.revoked_at).is_(None))
    with db.read() as session:
        return list(session.exec(query.order_by(col(ApiToken.name), col(ApiToken.id))))


def verify_token(db: Database, token: str) -> ApiToken | None:
    """The live token with this value, compared in constant time against its stored hash."""
    if not token or not token.startswith(TOKEN_PREFIX):
        return None
    digest = hash_token(token)
    with db.transaction() as session:
        row = session.exec(select(ApiToken).where(ApiToken.token_hash == digest)).first()
        if row is None or row.revoked_at is not None:
            return None
        if not hmac.compare_digest(row.token_hash, digest):
            return None
        row.last_used_at = utcnow()
        return row


def revoke_token(db: Database, workspace_id: int, name: str) -> ApiToken:
    """Revoke the one live token with this name (names are unique among live tokens)."""
    label = " ".join((name or "").split())
    with db.transaction() as session:
        row = session.exec(select(ApiToken).where(
            ApiToken.workspace_id == workspace_id, ApiToken.name == label,
            col(ApiToken.revoked_at).is_(None)).with_for_update()).first()
        if row is None:
            raise NotFound(f"No live token named '{name}': `vigilo token list` shows them.",
                           field="name")
        row.revoked_at = utcnow()
        return row
