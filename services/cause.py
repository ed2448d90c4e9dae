"""Suggest cause (WA.14) as a read model: ranked recent changes for one incident."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from core import cause as rules
from core.change_keys import format_change_key
from core.keys import format_key
from services.changes import settings_of
from services.records import load_incident
from store.db import Database
from store.insight_models import ChangeAsset
from store.models import ChangeRequest
from store.types import pk


@dataclass(frozen=True)
class CauseView:
    key: str  # the incident's
    linked: str | None  # CHG- key of the linked change, if any
    linked_title: str | None
    suggestions: tuple[rules.Suggestion, ...]

    @staticmethod
    def change_key(suggestion: rules.Suggestion) -> str:
        return format_change_key(suggestion.number)


def suggest(db: Database, workspace_id: int, key: str | int,
            limit: int = rules.DEFAULT_LIMIT) -> CauseView:
    """The ranked changes for incident `key`, with the one linked as its cause."""
    with db.read() as session:
        incident = load_incident(session, workspace_id, key)
        lookback = timedelta(hours=settings_of(session, workspace_id).cause_lookback_hours)
        return suggest_in(session, workspace_id, incident.number, incident.services or [],
                          incident.detected_at, incident.caused_by_change_id, lookback, limit)


def suggest_in(session: Session, workspace_id: int, number: int, services: Sequence[str],
               detected_at: datetime, caused_by: int | None, lookback: timedelta,
               limit: int = rules.DEFAULT_LIMIT) -> CauseView:
    """`suggest` for an incident whose facts the caller has read already.

    The index preselects the changes touching most services, latest first (the order
    core.cause ranks by); core.cause then ranks them and says why."""
    wanted = sorted({rules.norm(s)[:100] for s in services if rules.norm(s)})
    rows: list[Any] = []
    if wanted:
        hits = func.count().label("hits")
        latest = func.max(col(ChangeAsset.started_at)).label("latest")
        top = session.connection().execute(
            core_select(col(ChangeAsset.change_id), hits, latest)
            .where(col(ChangeAsset.workspace_id) == workspace_id,
                   col(ChangeAsset.asset).in_(wanted),
                   col(ChangeAsset.started_at) >= detected_at - lookback,
                   col(ChangeAsset.started_at) <= detected_at)
            .group_by(col(ChangeAsset.change_id))
            .order_by(hits.desc(), latest.desc(), col(ChangeAsset.change_id).desc())
            .limit(limit)).all()
        ids = [int(r[0]) for r in top]
        rows = list(session.exec(select(ChangeRequest).where(
            col(ChangeRequest.id).in_(ids)))) if ids else []
    linked = session.get(ChangeRequest, caused_by) if caused_by else None
    facts = [rules.ChangeFacts(pk(r), r.number, r.title, tuple(r.affected_assets or ()),
                               r.started_at) for r in rows]
    found = rules.suggest(list(services), detected_at, facts, lookback=lookback, limit=limit)
    return CauseView(format_key(number),
                     format_change_key(linked.number) if linked else None,
                     linked.title if linked else None, tuple(found))
