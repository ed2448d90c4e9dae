"""Who is asking, and which workspace or incident that lets them see.

Three ways in: a bearer API token (integrations), a session cookie (members, after a
one-time sign-in link from Slack), and a share link (one incident, read-only). The answers
are chosen so that nobody learns whether another workspace or incident exists:
- no credentials at all: 401, whatever the URL;
- a bearer token that is wrong or revoked: 401 (the integration must learn its token is bad);
- valid credentials for another workspace, a missing workspace or incident, or a wrong or
  revoked share token: the same 404.
"""

from dataclasses import dataclass

from starlette.requests import Request

from core.errors import DomainError, NotFound
from core.keys import parse_key
from services import access, workspaces
from store.db import Database
from store.models import ApiToken, Member, Workspace

SESSION_COOKIE = "vigilo_session"


class Unauthorized(Exception):
    """No credentials, or a bearer token that is not a live token."""


@dataclass(frozen=True)
class Credentials:
    bearer: str | None  # None: no Authorization header; "" when it is not a Bearer token
    session: str | None
    share: str | None

    @classmethod
    def of(cls, request: Request) -> "Credentials":
        header = request.headers.get("authorization")
        bearer: str | None = None
        if header is not None:
            scheme, _, value = header.strip().partition(" ")
            bearer = value.strip() if scheme.lower() == "bearer" else ""
        return cls(bearer=bearer, session=request.cookies.get(SESSION_COOKIE) or None,
                   share=request.query_params.get("share") or None)


@dataclass(frozen=True)
class Access:
    workspace: Workspace
    via: str  # "token", "session" or "share"
    member: Member | None = None
    token: ApiToken | None = None

    @property
    def shared(self) -> bool:
        return self.via == "share"

    @property
    def who(self) -> str:
        if self.member is not None:
            return self.member.display_name
        if self.token is not None:
            return f"API token {self.token.name}"
        return "shared link"


def _workspace(db: Database, slug: str) -> Workspace:
    try:
        return workspaces.get_workspace(db, slug)
    except DomainError:
        raise NotFound("No such workspace.") from None


def _principal(db: Database, creds: Credentials
               ) -> tuple[int, Member | None, ApiToken | None] | None:
    """(workspace id, member, token) of a signed-in member or an API token, else None."""
    if creds.bearer is not None:
        token = workspaces.verify_token(db, creds.bearer)
        if token is None:
            raise Unauthorized()
        return token.workspace_id, None, token
    if creds.session:
        member = access.member_for_session(db, creds.session)
        if member is not None:
            return member.workspace_id, member, None
    return None


def for_workspace(db: Database, slug: str, creds: Credentials) -> Access:
    """Access to a workspace's list (and to create incidents in it)."""
    principal = _principal(db, creds)
    if principal is None:
        raise Unauthorized()
    workspace = _workspace(db, slug)
    workspace_id, member, token = principal
    if workspace.id != workspace_id:
        raise NotFound("No such workspace.")
    return Access(workspace, "token" if token else "session", member, token)


def for_incident(db: Database, slug: str, key: str, creds: Credentials) -> Access:
    """Access to one incident: a member or token of its workspace, or its share link."""
    principal = _principal(db, creds)
    if principal is None and creds.share is None:
        raise Unauthorized()
    workspace = _workspace(db, slug)
    if principal is not None and principal[0] == workspace.id:
        return Access(workspace, "token" if principal[2] else "session", principal[1],
                      principal[2])
    if creds.share is None:
        raise NotFound("No such incident.")
    try:
        number = parse_key(key)
    except DomainError:
        raise NotFound("No such incident.") from None
    incident = access.incident_for_share_token(db, workspace.id or 0, creds.share)
    if incident.number != number:
        raise NotFound("No such incident.")
    return Access(workspace, "share")
