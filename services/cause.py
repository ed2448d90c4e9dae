"""Suggest cause (WA.14) as a read model: ranked recent changes for one incident."""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select as core_select
from sqlmodel import col

from core import cause as rules
from core.change_keys import format_change_key
from core.keys import format_key
from services.changes import settings_of
from services.records import load_incident
from store.db import Database
from store.models import ChangeRequest


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
    with db.read() as session:
        incident = load_incident(session, workspace_id, key)
        lookback = timedelta(hours=settings_of(session, workspace_id).cause_lookback_hours)
        rows = session.connection().execute(
            core_select(col(ChangeRequest.id), col(ChangeRequest.number), col(ChangeRequest.title),
                   col(ChangeRequest.affected_assets), col(ChangeRequest.started_at))
            .where(col(ChangeRequest.workspace_id) == workspace_id,
                   col(ChangeRequest.started_at) >= incident.detected_at - lookback,
                   col(ChangeRequest.started_at) <= incident.detected_at)).all()
        linked = (session.get(ChangeRequest, incident.caused_by_change_id)
                  if incident.caused_by_change_id else None)
    facts = [rules.ChangeFacts(int(r[0] or 0), int(r[1]), r[2], tuple(r[3] or ()),
                               r[4]) for r in rows]
    found = rules.suggest(incident.services or [], incident.detected_at, facts,
                          lookback=lookback, limit=limit)
    return CauseView(format_key(incident.number),
                     format_change_key(linked.number) if linked else None,
                     linked.title if linked else None, tuple(found))

