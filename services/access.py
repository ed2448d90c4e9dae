"""Share links, one-time sign-in links and web sessions. Tokens are random; we keep hashes."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import select

from core.errors import NotFound
from core.permissions import Action
from services import changes
from services.actor import Actor
from services.records import audit
from store.db import Database
from store.models import Incident, LoginLink, Member, ShareLink, WebSession, Workspace
from store.types import pk, utcnow

LOGIN_LINK_TTL = timedelta(minutes=10)
SESSION_TTL = timedelta(days=14)


def new_token() -> str:
    return secrets.token_urlsafe(32)  # 256 bits


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_share_link(db: Database, actor: Actor, key: str | int) -> tuple[Incident, str]:
    """A new read-only link for this incident; returns the token (shown once)."""
    token = new_token()
    with db.transaction() as session:
        incident = changes.open_incident(session, actor, key, Action.SHARE)
        session.add(ShareLink(workspace_id=actor.workspace_id, incident_id=pk(incident),
                              token_hash=digest(token), created_by_id=actor.member_id))
        audit(session, actor, "share.created", incident)
        return incident, token


def revoke_share_links(db: Database, actor: Actor, key: str | int) -> int:
    with db.transaction() as session:
        incident = changes.open_incident(session, actor, key, Action.SHARE)
        links = session.exec(select(ShareLink).where(ShareLink.incident_id == incident.id,
                                                     ShareLink.revoked_at == None))  # noqa: E711
        count = 0
        for link in links:
            link.revoked_at = utcnow()
            count += 1
        audit(session, actor, "share.revoked", incident, count=count)
        return count


def incident_for_share_token(db: Database, workspace_id: int, token: str) -> Incident:
    """The shared incident, or NotFound — the same answer for wrong, revoked or missing."""
    with db.read() as session:
        link = session.exec(select(ShareLink).where(
            ShareLink.token_hash == digest(token or ""))).first()
        if (link is None or link.revoked_at is not None or link.workspace_id != workspace_id
                or not hmac.compare_digest(link.token_hash, digest(token))):
            raise NotFound("No such incident.")
        incident = session.get(Incident, link.incident_id)
        if incident is None:
            raise NotFound("No such incident.")
        return incident


def create_login_link(db: Database, actor: Actor) -> str:
    if actor.member_id is None:
        raise NotFound("Only workspace members can sign in.")
    token = new_token()
    with db.transaction() as session:
        session.add(LoginLink(workspace_id=actor.workspace_id, member_id=actor.member_id,
                              token_hash=digest(token), expires_at=utcnow() + LOGIN_LINK_TTL))
    return token


@dataclass(frozen=True)
class SignedIn:
    workspace_id: int
    member: Member
    session_token: str
    workspace_slug: str = ""


def login_link_is_live(db: Database, token: str) -> bool:
    """Whether this sign-in link could still be redeemed, without redeeming it: the GET
    that link previews and chat unfurlers send must not use up a single-use link."""
    if not token:
        return False
    with db.read() as session:
        link = session.exec(select(LoginLink).where(
            LoginLink.token_hash == digest(token))).first()
        return link is not None and link.used_at is None and link.expires_at >= utcnow()


def redeem_login_link(db: Database, token: str) -> SignedIn:
    """Single use: the first redemption wins, expired or used links are NotFound."""
    session_token = new_token()
    with db.transaction() as session:
        link = session.exec(select(LoginLink).where(
            LoginLink.token_hash == digest(token or "")).with_for_update()).first()
        now = utcnow()
        if link is None or link.used_at is not None or link.expires_at < now:
            raise NotFound("This sign-in link is invalid, used or expired. "
                           "Ask for a new one with /vigilo web.")
        link.used_at = now
        member = session.get(Member, link.member_id)
        if member is None:
            raise NotFound("This sign-in link is invalid.")
        session.add(WebSession(workspace_id=link.workspace_id, member_id=link.member_id,
                               token_hash=digest(session_token), expires_at=now + SESSION_TTL))
        workspace = session.get(Workspace, link.workspace_id)
        return SignedIn(link.workspace_id, member, session_token,
                        workspace.slug if workspace else "")


def member_for_session(db: Database, token: str) -> Member | None:
    if not token:
        return None
    with db.read() as session:
        row = session.exec(select(WebSession).where(
            WebSession.token_hash == digest(token))).first()
        if row is None or row.revoked_at is not None or row.expires_at < utcnow():
            return None
        return session.get(Member, row.member_id)


def end_session(db: Database, token: str) -> None:
    with db.transaction() as session:
        row = session.exec(select(WebSession).where(
            WebSession.token_hash == digest(token or ""))).first()
        if row is not None and row.revoked_at is None:
            row.revoked_at = utcnow()
