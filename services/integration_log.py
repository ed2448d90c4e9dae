"""The integration log and troubleshooting: every delivery attempt out and webhook in, and
per integration whether it is configured, its last delivery, last error (with the fix the
adapter wrote), last inbound delivery, and how many effects are pending or dead."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from core.errors import InvalidInput, NotFound
from core.permissions import Action
from services import inbox
from services.actor import Actor
from services.records import audit, authorize
from store.db import Database
from store.inbox_models import PENDING, QUARANTINED, SOURCES
from store.models import IntegrationLog, Outbox
from store.types import utcnow


@dataclass(frozen=True)
class LogLine:
    at: datetime
    kind: str
    ok: bool
    detail: str
    incident_id: int | None = None

    def to_json(self) -> dict[str, object]:
        return {"at": self.at.isoformat(), "kind": self.kind, "ok": self.ok,
                "detail": self.detail, "incident_id": self.incident_id}


@dataclass(frozen=True)
class IntegrationState:
    name: str
    why_off: str | None  # None: configured
    last_delivery: LogLine | None
    last_error: LogLine | None
    last_inbound: LogLine | None
    pending: int
    dead: int
    # Its store-first inbox (Slack, PagerDuty): deliveries waiting and quarantined, across
    # workspaces (a delivery is stored before anyone knows whose it is). None: no inbox.
    inbox: dict[str, int] | None = None

    @property
    def configured(self) -> bool:
        return self.why_off is None

    def to_json(self) -> dict[str, object]:
        def line(value: LogLine | None) -> dict[str, object] | None:
            return value.to_json() if value else None
        return {"integration": self.name, "configured": self.configured,
                "why_off": self.why_off, "last_delivery": line(self.last_delivery),
                "last_error": line(self.last_error), "last_inbound": line(self.last_inbound),
                "pending": self.pending, "dead": self.dead, "inbox": self.inbox}


@dataclass(frozen=True)
class EffectRow:
    id: int
    kind: str
    status: str
    attempts: int
    incident_id: int | None
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime

    def to_json(self) -> dict[str, object]:
        return {"id": self.id, "kind": self.kind, "status": self.status,
                "attempts": self.attempts, "incident_id": self.incident_id,
                "next_attempt_at": self.next_attempt_at.isoformat(),
                "last_error": self.last_error, "created_at": self.created_at.isoformat()}


def inbound(db: Database, integration: str, kind: str, detail: str, *, ok: bool = True,
            workspace_id: int | None = None, incident_id: int | None = None) -> None:
    with db.transaction() as session:
        session.add(IntegrationLog(workspace_id=workspace_id, incident_id=incident_id,
                                   integration=integration, direction="in", kind=kind[:64],
                                   ok=ok, detail=detail[:4000]))


def states(db: Database, actor: Actor,
           integrations: list[tuple[str, str | None]]) -> list[IntegrationState]:
    """Troubleshooting for admins: one line per integration of the registry."""
    authorize(actor, Action.ADMINISTER)
    ws = actor.workspace_id
    stored = inbox.counts(db)
    with db.read() as session:
        counts = _counts(session, ws)
        return [IntegrationState(name, why_off,
                                 _last(session, ws, name, "out", None),
                                 _last(session, ws, name, "out", False),
                                 _last(session, ws, name, "in", None),
                                 counts.get((name, "pending"), 0), counts.get((name, "dead"), 0),
                                 _inbox(stored.get(name, {})) if name in SOURCES else None)
                for name, why_off in integrations]


def _inbox(by_status: dict[str, int]) -> dict[str, int]:
    return {"waiting": by_status.get(PENDING, 0), "quarantined": by_status.get(QUARANTINED, 0)}


def effects(db: Database, workspace_id: int, statuses: tuple[str, ...] = ("pending", "dead"),
            limit: int = 100) -> list[EffectRow]:
    with db.read() as session:
        rows = session.exec(select(Outbox).where(
            Outbox.workspace_id == workspace_id, col(Outbox.status).in_(statuses))
            .order_by(col(Outbox.id)).limit(limit))
        return [EffectRow(r.id or 0, r.kind, r.status, r.attempts, r.incident_id,
                          r.next_attempt_at, r.last_error, r.created_at) for r in rows]


def retry(db: Database, actor: Actor, effect_id: int | None = None, *,
          dead: bool = False) -> int:
    """Make one effect (or every dead one) due now; returns how many."""
    authorize(actor, Action.ADMINISTER)
    if (effect_id is None) == (not dead):
        raise InvalidInput("Say which effect to retry (its id), or --dead for every dead one.",
                           field="id")
    with db.transaction() as session:
        query = select(Outbox).where(Outbox.workspace_id == actor.workspace_id).with_for_update()
        if effect_id is not None:
            query = query.where(Outbox.id == effect_id)
        else:
            query = query.where(Outbox.status == "dead")
        rows = list(session.exec(query))
        if effect_id is not None and not rows:
            raise NotFound(f"No effect {effect_id} in this workspace.", field="id")
        for row in rows:
            if row.status == "done":
                raise InvalidInput(f"Effect {row.id} was delivered already; nothing to retry.",
                                   field="id")
            row.status, row.attempts, row.locked_until = "pending", 0, None
            row.next_attempt_at = utcnow()
        if rows:
            audit(session, actor, "outbox.retry", ids=[r.id for r in rows])
        return len(rows)


def _last(session: Session, workspace_id: int, name: str, direction: str,
          ok: bool | None) -> LogLine | None:
    query = select(IntegrationLog).where(
        IntegrationLog.integration == name, IntegrationLog.direction == direction,
        # Deliveries that could not be tied to a workspace (an unknown PagerDuty id) are
        # shown to every workspace's admins: they carry no other workspace's incident.
        or_(col(IntegrationLog.workspace_id) == workspace_id,
            col(IntegrationLog.workspace_id).is_(None)))
    if ok is not None:
        query = query.where(IntegrationLog.ok == ok)
    row = session.exec(query.order_by(col(IntegrationLog.id).desc()).limit(1)).first()
    if row is None:
        return None
    return LogLine(row.at, row.kind, row.ok, row.detail, row.incident_id)


def _counts(session: Session, workspace_id: int) -> dict[tuple[str, str], int]:
    rows = session.exec(select(Outbox.kind, Outbox.status, func.count()).where(
        Outbox.workspace_id == workspace_id, col(Outbox.status).in_(("pending", "dead")))
        .group_by(col(Outbox.kind), col(Outbox.status)))
    out: dict[tuple[str, str], int] = {}
    for kind, status, count in rows:
        key = (kind.split(".", 1)[0], status)
        out[key] = out.get(key, 0) + int(count)
    return out
