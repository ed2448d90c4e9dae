"""Change requests (CHG-NNNN) from CI/CD, the CLI and Slack, and the incident ↔ change link."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core import cause as rules
from core.cause import norm
from core.change_keys import format_change_key, parse_change_key
from core.errors import InvalidInput, NotFound
from core.fsm import ACTIVE_STATUSES
from core.insight_events import CauseLinked, CauseUnlinked, ChangeMatched, ChangeRecorded
from core.keys import format_key
from core.permissions import Action
from core.policies import effects_for
from core.validation import MAX_DESCRIPTION, clean_services, clean_text, storable
from services import changes
from services.actor import Actor
from services.records import (
    authorize,
    is_unique_violation,
    load_incident,
    record_effect,
    touch,
)
from store.db import Database
from store.insight_models import ChangeAsset
from store.models import ChangeRequest, Incident, Workspace
from store.types import pk, utcnow

MAX_CHANGE_TITLE = 300
MAX_LINK = 2000
MAX_AUTHOR = 200


@dataclass(frozen=True)
class NewChange:
    title: str
    description: str = ""
    assets: tuple[str, ...] = ()
    author: str | None = None
    link: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None


def clean_change(title: str | None, description: str | None = "",
                 assets: list[str] | str | None = None, author: str | None = None,
                 link: str | None = None, started_at: datetime | None = None,
                 finished_at: datetime | None = None) -> NewChange:
    """Every field checked; errors name the field (`assets`, `link`, ...)."""
    # Cleaned of what PostgreSQL cannot store (a NUL), as everything typed is.
    name = " ".join(storable(title or "").split())
    if not name:
        raise InvalidInput("The change's title is empty: say what was deployed or changed.",
                           field="title")
    if len(name) > MAX_CHANGE_TITLE:
        raise InvalidInput(f"The title is {len(name)} characters; the limit is "
                           f"{MAX_CHANGE_TITLE}.", field="title")
    try:
        asset_list = clean_services(assets)
    except InvalidInput as error:
        raise InvalidInput(error.message.replace("Service name", "Asset name")
                           .replace("affected services", "affected assets"),
                           field="assets") from None
    url = (link or "").strip() or None
    if url is not None and (len(url) > MAX_LINK or not url.lower().startswith(
            ("http://", "https://"))):
        raise InvalidInput("The link must be an http(s) URL of at most 2000 characters.",
                           field="link")
    who = " ".join(storable(author or "").split())[:MAX_AUTHOR] or None
    now = utcnow()
    for value, name_ in ((started_at, "started_at"), (finished_at, "finished_at")):
        if value is not None and value.tzinfo is None:
            raise InvalidInput(f"{name_} needs a timezone (e.g. 2026-11-26T03:12:00Z).",
                               field=name_)
    if started_at is not None and started_at > now:
        raise InvalidInput("started_at is in the future.", field="started_at")
    if finished_at is not None and started_at is not None and finished_at < started_at:
        raise InvalidInput("finished_at is before started_at.", field="finished_at")
    return NewChange(name, clean_text(description, what="description", limit=MAX_DESCRIPTION,
                                      required=False), tuple(asset_list), who, url,
                     started_at, finished_at)


def create(db: Database, actor: Actor, change: NewChange, *,
           idempotency_key: str | None = None) -> tuple[ChangeRequest, bool]:
    """Record a change with the next CHG- key; (change, replayed) — a repeated
    Idempotency-Key returns the first change and records nothing."""
    try:
        with db.transaction() as session:
            authorize(actor, Action.DECLARE)
            if idempotency_key:
                found = _by_key(session, actor.workspace_id, idempotency_key)
                if found is not None:
                    return found, True
            now = utcnow()
            row = ChangeRequest(
                workspace_id=actor.workspace_id, number=_next_number(session, actor.workspace_id),
                title=change.title, description=change.description,
                affected_assets=list(change.assets), author=change.author or actor.name,
                link=change.link, started_at=change.started_at or now,
                finished_at=change.finished_at, created_at=now, create_key=idempotency_key)
            session.add(row)
            session.flush()
            for asset in dict.fromkeys(norm(a)[:100] for a in change.assets):
                session.add(ChangeAsset(change_id=pk(row), workspace_id=actor.workspace_id,
                                        asset=asset, started_at=row.started_at))
            changes.record(session, actor, changes.event(
                ChangeRecorded, actor, change_id=pk(row), number=row.number,
                assets=change.assets), "", detail={"change": format_change_key(row.number),
                                                   "title": row.title})
            _redraw_matching(session, actor, row)
            return row, False
    except IntegrityError as error:
        if idempotency_key and is_unique_violation(error):
            with db.read() as session:
                found = _by_key(session, actor.workspace_id, idempotency_key)
                if found is not None:
                    return found, True
        raise


def _redraw_matching(session: Session, actor: Actor, row: ChangeRequest) -> None:
    """Each open incident this change is now a suggested cause of (the same rule as Suggest
    cause) gets its situation report redrawn: one ChangeMatched per incident, effects only."""
    settings = changes.settings_of(session, actor.workspace_id)
    lookback = timedelta(hours=settings.cause_lookback_hours)
    facts = [rules.ChangeFacts(pk(row), row.number, row.title, tuple(row.affected_assets),
                               row.started_at)]
    candidates = session.exec(select(Incident).where(
        Incident.workspace_id == actor.workspace_id,
        col(Incident.status).in_([s.value for s in ACTIVE_STATUSES]),
        col(Incident.detected_at) >= row.started_at,
        col(Incident.detected_at) <= row.started_at + lookback)).all()
    for incident in candidates:
        if not rules.suggest(incident.services or [], incident.detected_at, facts,
                             lookback=lookback):
            continue
        event = changes.event(ChangeMatched, actor, incident, change_id=pk(row),
                              number=row.number)
        for spec in effects_for(event, settings):
            record_effect(session, spec, actor.workspace_id, pk(incident))


def _next_number(session: Session, workspace_id: int) -> int:
    # Same as incident keys: the row lock queues concurrent creations; no gaps, no repeats.
    result = session.execute(
        update(Workspace).where(col(Workspace.id) == workspace_id)
        .values(last_change_number=col(Workspace.last_change_number) + 1)
        .returning(col(Workspace.last_change_number)))
    return int(result.scalar_one())


def _by_key(session: Session, workspace_id: int, key: str) -> ChangeRequest | None:
    return session.exec(select(ChangeRequest).where(
        ChangeRequest.workspace_id == workspace_id, ChangeRequest.create_key == key)).first()


def load_change(session: Session, workspace_id: int, key: str | int) -> ChangeRequest:
    number = key if isinstance(key, int) else parse_change_key(key)
    row = session.exec(select(ChangeRequest).where(
        ChangeRequest.workspace_id == workspace_id, ChangeRequest.number == number)).first()
    if row is None:
        raise NotFound(f"No change {format_change_key(number)} in this workspace.",
                       field="change")
    return row


@dataclass(frozen=True)
class RelatedIncident:
    key: str
    title: str
    status: str
    severity: str


@dataclass(frozen=True)
class ChangeView:
    change: ChangeRequest
    key: str
    related: tuple[RelatedIncident, ...]


def get_change(db: Database, workspace_id: int, key: str) -> ChangeView:
    with db.read() as session:
        row = load_change(session, workspace_id, key)
        incidents = session.exec(select(Incident).where(
            Incident.workspace_id == workspace_id, Incident.caused_by_change_id == row.id)
            .order_by(col(Incident.number).desc())).all()
        related = tuple(RelatedIncident(format_key(i.number), i.title, i.status, i.severity)
                        for i in incidents)
        return ChangeView(row, format_change_key(row.number), related)


def recent(db: Database, workspace_id: int, *, limit: int = 20,
           search: str | None = None) -> list[ChangeRequest]:
    """Newest first; `search` matches the key or words of the title (the Pick a change list)."""
    with db.read() as session:
        query = select(ChangeRequest).where(ChangeRequest.workspace_id == workspace_id)
        text = (search or "").strip()
        if text:
            try:
                query = query.where(ChangeRequest.number == parse_change_key(text))
            except InvalidInput:
                query = query.where(col(ChangeRequest.title).ilike(f"%{_escape(text)}%",
                                                                    escape="\\"))
        return list(session.exec(query.order_by(col(ChangeRequest.started_at).desc(),
                                                col(ChangeRequest.id).desc()).limit(limit)))


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def link(db: Database, actor: Actor, incident_key: str | int, change_key: str | int
         ) -> tuple[Incident, ChangeRequest]:
    """Set the incident's caused-by change (the Link button, `/vigilo link CHG-12`)."""
    with db.transaction() as session:
        incident = load_incident(session, actor.workspace_id, incident_key, for_update=True)
        authorize(actor, Action.SET_ROOT_CAUSE, incident)
        change = load_change(session, actor.workspace_id, change_key)
        if incident.caused_by_change_id == change.id:
            return incident, change  # linking twice changes nothing
        previous = incident.caused_by_change_id
        incident.caused_by_change_id = change.id
        touch(incident)
        ckey = format_change_key(change.number)
        changes.record(session, actor, changes.event(
            CauseLinked, actor, incident, change_id=pk(change), number=change.number,
            previous_id=previous), f"{actor.name} linked {ckey} as the probable cause: "
            f"{change.title}", incident=incident, payload={"change": ckey},
            detail={"change": ckey, "previous_change_id": previous})
        return incident, change


def unlink(db: Database, actor: Actor, incident_key: str | int) -> tuple[Incident, str]:
    with db.transaction() as session:
        incident = load_incident(session, actor.workspace_id, incident_key, for_update=True)
        authorize(actor, Action.SET_ROOT_CAUSE, incident)
        if incident.caused_by_change_id is None:
            raise InvalidInput(f"{format_key(incident.number)} has no linked change.",
                               field="change")
        change = session.get(ChangeRequest, incident.caused_by_change_id)
        number = change.number if change is not None else 0
        incident.caused_by_change_id = None
        touch(incident)
        ckey = format_change_key(number)
        changes.record(session, actor, changes.event(
            CauseUnlinked, actor, incident, change_id=change.id if change else 0,
            number=number), f"{actor.name} unlinked {ckey}", incident=incident,
            payload={"change": ckey}, detail={"change": ckey})
        return incident, ckey
