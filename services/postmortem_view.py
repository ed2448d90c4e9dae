"""The postmortem as every surface reads it (web tab, Markdown, Slack message), one query set."""

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Text, cast, func
from sqlmodel import col, select

from core.keys import format_key
from core.postmortem import Milestone, PmStatus, Section, milestones
from services.postmortems import history_rows, load_for, section_rows
from services.records import load_incident
from store.db import Database
from store.models import ActionItem, Incident, Member, Postmortem


@dataclass(frozen=True)
class SectionView:
    section: Section
    text: str  # accepted
    draft: str  # a suggestion nobody accepted yet ("" when text is written)
    draft_source: str
    updated_by: str | None
    updated_at: datetime | None
    draft_note: str = ""  # what became of an AI draft

    @property
    def title(self) -> str:
        return self.section.heading

    @property
    def shown(self) -> str:
        return self.text or self.draft

    @property
    def is_draft(self) -> bool:
        return not self.text and bool(self.draft)


@dataclass(frozen=True)
class StatusView:
    status: str
    at: datetime
    actor: str | None


@dataclass(frozen=True)
class ItemView:
    id: int
    text: str
    owner: str | None
    owner_slack_id: str | None
    due_on: date | None
    done: bool
    done_at: datetime | None


@dataclass(frozen=True)
class PostmortemView:
    key: str
    title: str
    severity: str
    incident_status: str
    status: PmStatus
    created_at: datetime
    sections: tuple[SectionView, ...]
    history: tuple[StatusView, ...]
    stones: tuple[Milestone, ...]
    items: tuple[ItemView, ...]
    timeline_total: int
    timeline: tuple[dict[str, Any], ...]  # the whole copy when asked for, else empty

    def section(self, section: Section) -> SectionView:
        return next(s for s in self.sections if s.section == section)

    def last(self, status: PmStatus) -> StatusView | None:
        return next((h for h in reversed(self.history) if h.status == status.value), None)


def get_postmortem(db: Database, workspace_id: int, key: str | int, *,
                   whole_timeline: bool = False, timeline_total: int | None = None
                   ) -> PostmortemView:
    """`timeline_total`: the copy's length when the caller knows it already (counting
    means parsing the whole JSON copy in the database)."""
    with db.read() as session:
        incident = load_incident(session, workspace_id, key)
        postmortem = load_for(session, incident)
        rows = section_rows(session, postmortem.id or 0)
        sections = tuple(
            SectionView(s, rows[s.value].text if s.value in rows else "",
                        "" if s.value not in rows or rows[s.value].text else rows[s.value].draft,
                        rows[s.value].draft_source if s.value in rows else "",
                        rows[s.value].updated_by if s.value in rows else None,
                        rows[s.value].updated_at if s.value in rows and rows[s.value].text
                        else None,
                        rows[s.value].draft_note if s.value in rows else "")
            for s in Section)
        history = tuple(StatusView(h.status, h.at, h.actor)
                        for h in history_rows(session, postmortem.id or 0))
        items = action_items(session, incident)
        if whole_timeline:
            timeline = tuple(_timeline(session, postmortem))
            total = len(timeline)
        elif timeline_total is not None:
            timeline, total = (), timeline_total
        else:
            timeline = ()
            total = int(session.exec(select(func.json_array_length(
                col(Postmortem.timeline))).where(Postmortem.id == postmortem.id)).one() or 0)
    return PostmortemView(
        key=format_key(incident.number), title=incident.title, severity=incident.severity,
        incident_status=incident.status, status=PmStatus(postmortem.status),
        created_at=postmortem.created_at, sections=sections, history=history,
        stones=tuple(milestones(incident.detected_at, incident.investigating_at,
                                incident.mitigated_at, incident.resolved_at)),
        items=items, timeline_total=total, timeline=timeline)


def _timeline(session: Any, postmortem: Postmortem) -> list[dict[str, Any]]:
    # The raw JSON text parsed once beats the ORM's JSON type on a long copy.
    table = Postmortem.__table__  # type: ignore[attr-defined]
    raw = session.connection().execute(
        select(cast(table.c.timeline, Text())).where(
            table.c.id == postmortem.id)).scalar()
    value = json.loads(raw) if isinstance(raw, str | bytes) else raw
    return list(value or [])


def action_items(session: Any, incident: Incident) -> tuple[ItemView, ...]:
    rows = list(session.exec(select(ActionItem).where(ActionItem.incident_id == incident.id)
                             .order_by(col(ActionItem.id))))
    owners = {m.id: m for m in session.exec(select(Member).where(col(Member.id).in_(
        {r.owner_id for r in rows if r.owner_id})))} if rows else {}
    return tuple(ItemView(r.id or 0, r.text,
                          owners[r.owner_id].display_name if r.owner_id in owners else None,
                          owners[r.owner_id].slack_user_id if r.owner_id in owners else None,
                          r.due_on, r.done_at is not None, r.done_at) for r in rows)

