"""The public status page: what the outbox publishes by rule, what people publish by hand,
and the read model the public page is drawn from (public fields only)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from core import statuspage as public
from core.errors import InvalidInput, NotFound
from core.events import StatusPagePosted
from core.fsm import Status
from core.permissions import Action
from core.validation import clean_text
from services import changes
from services.actor import Actor
from services.records import load_incident
from store.db import Database
from store.models import Incident, Workspace
from store.statuspage_models import StatusPageIncident, StatusPageUpdate
from store.types import pk, utcnow

RECENT = timedelta(days=7)  # resolved incidents stay on the page this long
FEED_SIZE = 50


@dataclass(frozen=True)
class PublicUpdate:
    status: str
    message: str
    at: datetime


@dataclass(frozen=True)
class PublicIncident:
    id: int
    title: str
    status: str
    services: tuple[str, ...]
    published_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    updates: tuple[PublicUpdate, ...]


@dataclass(frozen=True)
class PublicPage:
    slug: str
    name: str
    active: tuple[PublicIncident, ...]
    recent: tuple[PublicIncident, ...]

    @property
    def updated_at(self) -> datetime | None:
        times = [i.updated_at for i in (*self.active, *self.recent)]
        return max(times) if times else None


# -- by rule, from the outbox ---------------------------------------------------------------
def auto_publish(db: Database, incident_id: int) -> str:
    with db.transaction() as session:
        incident = session.get(Incident, incident_id, with_for_update=True)
        if incident is None:
            return "the incident no longer exists"
        status = public.public_status(Status(incident.status))
        if status == public.RESOLVED:
            return "resolved before it was published: left off the page"
        row = _row(session, incident_id)
        if row is not None and row.published and row.status != public.RESOLVED:
            return f"already on the status page ({row.status})"
        words = public.default_words(status, incident.services or [])
        row = _put(session, incident, row, status, words)
        return f"published as #{row.id} ({status})"


def auto_update(db: Database, incident_id: int, status: str) -> str:
    with db.transaction() as session:
        row = _row(session, incident_id, for_update=True)
        if row is None or not row.published:
            return "not on the status page: nothing to update"
        if row.status in (status, public.RESOLVED):
            return f"the status page already says {row.status}"
        _say(session, row, status, public.default_words(status, row.services))
        return f"#{row.id} is {status}"


def auto_resolve(db: Database, incident_id: int) -> str:
    with db.transaction() as session:
        row = _row(session, incident_id, for_update=True)
        if row is None or not row.published:
            return "not on the status page: nothing to resolve"
        if row.status == public.RESOLVED:
            return f"#{row.id} is already resolved"
        _say(session, row, public.RESOLVED, public.default_words(public.RESOLVED, []))
        return f"#{row.id} resolved"


def auto_withdraw(db: Database, incident_id: int) -> str:
    with db.transaction() as session:
        row = _row(session, incident_id, for_update=True)
        if row is None or not row.published:
            return "not on the status page: nothing to withdraw"
        row.published, row.withdrawn_at, row.updated_at = False, utcnow(), utcnow()
        return f"#{row.id} withdrawn"


# -- by hand ----------------------------------------------------------------------------------
def publish(db: Database, actor: Actor, key: str | int, message: str,
            status: str | None = None) -> StatusPageIncident:
    """Publish now, with words written for the public (a commander or an admin); the
    public status is the one chosen (the modal), else follows the incident's."""
    words = _words(message)
    chosen = _status(status)
    with db.transaction() as session:
        incident = changes.open_incident(session, actor, key, Action.EDIT_FIELDS)
        status = chosen or public.public_status(Status(incident.status))
        row = _row(session, pk(incident))
        if row is not None and row.published and row.status != public.RESOLVED:
            if _last_said(session, row) == (status, words):
                return row  # this very publish, replayed (the durable inbox): done already
            raise InvalidInput("It is already on the status page: use `statuspage update "
                               "<message>` to add to it.", field="text")
        row = _put(session, incident, row, status, words)
        _record(session, actor, incident, "publish", status, words)
        return row


def update(db: Database, actor: Actor, key: str | int, message: str,
           status: str | None = None) -> StatusPageIncident:
    words = _words(message)
    chosen = _status(status)
    with db.transaction() as session:
        incident = changes.open_incident(session, actor, key, Action.EDIT_FIELDS)
        row = _published(session, pk(incident))
        status = chosen or public.public_status(Status(incident.status))
        if chosen is None and row.status == public.IDENTIFIED and \
                status == public.INVESTIGATING:
            status = public.IDENTIFIED  # the cause stays identified while people work on it
        if _last_said(session, row) == (status, words):
            return row  # the same words again (a replayed submission) add nothing
        _say(session, row, status, words)
        _record(session, actor, incident, "update", status, words)
        return row


def withdraw(db: Database, actor: Actor, key: str | int) -> StatusPageIncident:
    with db.transaction() as session:
        incident = changes.open_incident(session, actor, key, Action.EDIT_FIELDS)
        row = _published(session, pk(incident))
        row.published, row.withdrawn_at, row.updated_at = False, utcnow(), utcnow()
        _record(session, actor, incident, "withdraw", row.status, "")
        return row


@dataclass(frozen=True)
class Current:
    """What the public reads about one incident now, for the status-page modal."""

    published: bool
    status: str | None  # the public status last shown, None if never published
    message: str | None  # the public words last shown

    @property
    def suggested(self) -> str:
        """What the modal's action starts on: publish when not on the page."""
        return "update" if self.published and self.status != public.RESOLVED else "publish"


def current(db: Database, workspace_id: int, key: str | int) -> Current:
    with db.read() as session:
        incident = load_incident(session, workspace_id, key)
        row = _row(session, pk(incident))
        said = _last_said(session, row) if row is not None else None
        if row is None:
            return Current(False, None, None)
        return Current(row.published, row.status, said[1] if said else None)


# -- the public read model -------------------------------------------------------------------
def public_page(db: Database, slug: str) -> PublicPage:
    with db.read() as session:
        workspace = session.exec(select(Workspace).where(Workspace.slug == slug.lower())).first()
        if workspace is None:
            raise NotFound(f"No status page '{slug}'.")
        rows = list(session.exec(select(StatusPageIncident).where(
            StatusPageIncident.workspace_id == workspace.id,
            col(StatusPageIncident.published).is_(True)).order_by(
            col(StatusPageIncident.published_at).desc())))
        cutoff = utcnow() - RECENT
        rows = [r for r in rows if r.resolved_at is None or r.resolved_at >= cutoff]
        updates: dict[int, list[PublicUpdate]] = {pk(r): [] for r in rows}
        if rows:
            for u in session.exec(select(StatusPageUpdate).where(
                    col(StatusPageUpdate.status_page_incident_id).in_(list(updates)))
                    .order_by(col(StatusPageUpdate.at).desc(), col(StatusPageUpdate.id).desc())):
                updates[u.status_page_incident_id].append(PublicUpdate(u.status, u.message,
                                                                       u.at))
        shown = [PublicIncident(pk(r), r.title, r.status, tuple(r.services), r.published_at,
                                r.updated_at, r.resolved_at, tuple(updates[pk(r)]))
                 for r in rows]
        return PublicPage(workspace.slug, workspace.name,
                          tuple(i for i in shown if i.status != public.RESOLVED),
                          tuple(i for i in shown if i.status == public.RESOLVED))


def page_json(page: PublicPage, url: str) -> dict[str, object]:
    def one(i: PublicIncident) -> dict[str, object]:
        return {"id": i.id, "title": i.title, "status": i.status,
                "affected_services": list(i.services), "published_at": i.published_at.isoformat(),
                "updated_at": i.updated_at.isoformat(),
                "resolved_at": i.resolved_at.isoformat() if i.resolved_at else None,
                "updates": [{"status": u.status, "message": u.message, "at": u.at.isoformat()}
                            for u in i.updates]}
    return {"page": {"name": page.name, "url": url},
            "status": "degraded" if page.active else "operational",
            "incidents": [one(i) for i in page.active],
            "recently_resolved": [one(i) for i in page.recent]}


# -- inside a transaction -------------------------------------------------------------------
def _row(session: Session, incident_id: int, *,
         for_update: bool = False) -> StatusPageIncident | None:
    query = select(StatusPageIncident).where(StatusPageIncident.incident_id == incident_id)
    if for_update:
        query = query.with_for_update()
    return session.exec(query).first()


def _published(session: Session, incident_id: int) -> StatusPageIncident:
    row = _row(session, incident_id, for_update=True)
    if row is None or not row.published:
        raise InvalidInput("It is not on the status page: `statuspage publish <message>` "
                           "first.", field="text")
    return row


def _put(session: Session, incident: Incident, row: StatusPageIncident | None, status: str,
         words: str) -> StatusPageIncident:
    now = utcnow()
    if row is None:
        services = list(incident.services or [])
        row = StatusPageIncident(workspace_id=incident.workspace_id, incident_id=pk(incident),
                                 title=public.default_title(services), status=status,
                                 services=services, published_at=now, updated_at=now)
        session.add(row)
        session.flush()
    row.published, row.withdrawn_at, row.resolved_at = True, None, None
    _say(session, row, status, words)
    return row


def _say(session: Session, row: StatusPageIncident, status: str, words: str) -> None:
    now = utcnow()
    row.status, row.updated_at = status, now
    if status == public.RESOLVED:
        row.resolved_at = now
    session.add(StatusPageUpdate(status_page_incident_id=pk(row), status=status,
                                 message=words, at=now))


def _last_said(session: Session, row: StatusPageIncident) -> tuple[str, str] | None:
    last = session.exec(select(StatusPageUpdate).where(
        StatusPageUpdate.status_page_incident_id == row.id).order_by(
        col(StatusPageUpdate.id).desc()).limit(1)).first()
    return (last.status, last.message) if last is not None else None


def _status(status: str | None) -> str | None:
    if status is None or status in public.PUBLIC_STATUSES:
        return status
    raise InvalidInput(f"'{status}' is not a public status: choose one of "
                       f"{', '.join(public.PUBLIC_STATUSES)}.", field="status")


def _words(message: str) -> str:
    return " ".join(clean_text(message, what="public message", limit=public.MAX_MESSAGE,
                               field_name="text").split())


def _record(session: Session, actor: Actor, incident: Incident, action: str, status: str,
            words: str) -> None:
    verb = {"publish": "published on", "update": "updated", "withdraw": "withdrew from"}[action]
    text = f"{actor.name} {verb} the status page ({status})" + (f": {words}" if words else "")
    changes.record(session, actor, changes.event(StatusPagePosted, actor, incident,
                                                 action=action, public_status=status),
                   text, incident=incident, payload={"action": action, "status": status})
