"""Read models for pages, Slack views, the CLI and the JSON API. Always workspace-scoped."""

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, true
from sqlmodel import Session, col, select

from core.effects import Label
from core.fsm import ACTIVE_STATUSES, STATUS_ORDER, Status
from core.keys import format_key
from services.records import load_incident, member_names
from store.db import Database
from store.models import (
    ActionItem,
    ChangeRequest,
    Incident,
    IncidentResponder,
    Member,
    Postmortem,
    TimelineEvent,
)


@dataclass
class IncidentSummary:
    incident: Incident
    key: str
    commander: str | None
    channel_archived: bool = False  # its Slack channel was archived (and not unarchived since)


@dataclass
class ResponderView:
    member_id: int
    slack_user_id: str
    name: str
    role: str
    joined_at: datetime


@dataclass
class IncidentDetail:
    incident: Incident
    key: str
    commander: str | None
    commander_slack_id: str | None
    responders: list[ResponderView]
    timeline: list[TimelineEvent]
    timeline_total: int
    action_items: list[ActionItem]
    owners: dict[int, str]
    postmortem: Postmortem | None
    caused_by_change: ChangeRequest | None
    extra: dict[str, Any] = field(default_factory=dict)


def list_incidents(db: Database, workspace_id: int, *, statuses: list[Status] | None = None,
                   severities: list[str] | None = None, member_id: int | None = None,
                   limit: int | None = None) -> list[IncidentSummary]:
    """Most severe and newest first within each status, as lists and the home tab show them."""
    with db.read() as session:
        query = select(Incident).where(Incident.workspace_id == workspace_id)
        if statuses:
            query = query.where(col(Incident.status).in_([s.value for s in statuses]))
        if severities:
            query = query.where(col(Incident.severity).in_(severities))
        if member_id is not None:
            mine = select(IncidentResponder.incident_id).where(
                IncidentResponder.member_id == member_id)
            query = query.where(col(Incident.id).in_(mine))
        query = query.order_by(col(Incident.severity), col(Incident.number).desc())
        if limit is not None:
            query = query.limit(limit)
        incidents = list(session.exec(query))
        names = member_names(session, {i.commander_id for i in incidents if i.commander_id})
    return [IncidentSummary(i, format_key(i.number), names.get(i.commander_id or 0))
            for i in incidents]


def count_by_status(db: Database, workspace_id: int, *,
                    severities: list[str] | None = None) -> dict[str, int]:
    with db.read() as session:
        query = select(Incident.status, func.count()).where(
            Incident.workspace_id == workspace_id)
        if severities:
            query = query.where(col(Incident.severity).in_(severities))
        rows = session.exec(query.group_by(Incident.status))
        return {status: count for status, count in rows}


def active_statuses() -> list[Status]:
    return list(ACTIVE_STATUSES)


def get_detail(db: Database, workspace_id: int, key: str | int, *, timeline_offset: int = 0,
               timeline_limit: int | None = None, include_deleted: bool = False,
               postmortem_timeline: bool = True) -> IncidentDetail:
    """`postmortem_timeline=False` leaves the postmortem's copy of the timeline unloaded
    (`postmortem.timeline == []`, its length in `extra["postmortem_timeline_total"]`):
    parsing a 10,000-event copy on every page view costs more than the rest of the page.
    Page through it with `postmortem_events`."""
    with db.read() as session:
        incident = load_incident(session, workspace_id, key)
        return _detail(session, incident, timeline_offset, timeline_limit, include_deleted,
                       postmortem_timeline)


def _detail(session: Session, incident: Incident, offset: int, limit: int | None,
            include_deleted: bool, postmortem_timeline: bool = True) -> IncidentDetail:
    responder_rows = session.exec(
        select(IncidentResponder, Member)
        .join(Member, col(Member.id) == IncidentResponder.member_id)
        .where(IncidentResponder.incident_id == incident.id)
        .order_by(col(IncidentResponder.joined_at), col(IncidentResponder.id))).all()
    responders = [ResponderView(m.id or 0, m.slack_user_id, m.display_name, r.role, r.joined_at)
                  for r, m in responder_rows]
    events = select(TimelineEvent).where(TimelineEvent.incident_id == incident.id)
    total = select(func.count()).select_from(TimelineEvent).where(
        TimelineEvent.incident_id == incident.id)
    if not include_deleted:
        events = events.where(col(TimelineEvent.deleted_at).is_(None))
        total = total.where(col(TimelineEvent.deleted_at).is_(None))
    events = events.order_by(col(TimelineEvent.at), col(TimelineEvent.id)).offset(offset)
    if limit is not None:
        events = events.limit(limit)
    items = list(session.exec(select(ActionItem).where(ActionItem.incident_id == incident.id)
                              .order_by(col(ActionItem.id))))
    commander = next((r for r in responders if r.member_id == incident.commander_id), None)
    owner_ids = {i.owner_id for i in items if i.owner_id}
    extra: dict[str, Any] = {
        "channel_archived": bool(archived_channels(session, [incident.id or 0]))}
    if postmortem_timeline:
        postmortem = session.exec(select(Postmortem).where(
            Postmortem.incident_id == incident.id)).first()
    else:
        postmortem, extra["postmortem_timeline_total"] = _postmortem_head(session, incident)
    return IncidentDetail(
        incident=incident, key=format_key(incident.number),
        commander=commander.name if commander else None,
        commander_slack_id=commander.slack_user_id if commander else None,
        responders=responders, timeline=list(session.exec(events)),
        timeline_total=int(session.exec(total).one()), action_items=items,
        owners=member_names(session, {i for i in owner_ids if i is not None}),
        postmortem=postmortem, extra=extra,
        caused_by_change=(session.get(ChangeRequest, incident.caused_by_change_id)
                          if incident.caused_by_change_id else None))


def incident_for_channel(db: Database, channel_id: str) -> Incident | None:
    """The incident whose Slack channel this is (channel ids are unique across Slack)."""
    with db.read() as session:
        return session.exec(select(Incident).where(
            Incident.slack_channel_id == channel_id)).first()


def event_json(event: TimelineEvent) -> dict[str, Any]:
    """The seed's timeline shape `{at, source, label, actor, payload}`, plus id and text."""
    return {"id": event.id, "at": event.at.isoformat(), "source": event.source,
            "label": event.label, "actor": event.actor, "text": event.text,
            "payload": event.payload,
            "edited_at": event.edited_at.isoformat() if event.edited_at else None,
            "deleted": event.deleted_at is not None}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def detail_json(detail: IncidentDetail, url: str | None = None) -> dict[str, Any]:
    i = detail.incident
    return {
        "key": detail.key, "title": i.title, "description": i.description,
        "severity": i.severity, "status": i.status,
        "commander": ({"name": detail.commander, "slack_user_id": detail.commander_slack_id}
                      if detail.commander else None),
        "responders": [{"user": {"name": r.name, "slack_user_id": r.slack_user_id},
                        "role": r.role, "joined_at": r.joined_at.isoformat()}
                       for r in detail.responders],
        "timeline": [event_json(e) for e in detail.timeline],
        "timeline_total": detail.timeline_total,
        "root_cause": i.root_cause, "services": i.services,
        "action_items": [{"id": a.id, "text": a.text,
                          "owner": detail.owners.get(a.owner_id or 0),
                          "done": a.done_at is not None, "created_at": a.created_at.isoformat(),
                          "done_at": _iso(a.done_at),
                          "due_on": a.due_on.isoformat() if a.due_on else None}
                         for a in detail.action_items],
        "caused_by_change": ({"id": detail.caused_by_change.id,
                              "title": detail.caused_by_change.title}
                             if detail.caused_by_change else None),
        "slack_channel_id": i.slack_channel_id,
        "slack_channel_archived": bool(detail.extra.get("channel_archived")),
        "pagerduty_incident_id": i.pagerduty_incident_id,
        "auto_publish_to_status": i.auto_publish_to_status,
        "detected_at": _iso(i.detected_at), "created_at": _iso(i.created_at),
        "investigating_at": _iso(i.investigating_at), "mitigated_at": _iso(i.mitigated_at),
        "resolved_at": _iso(i.resolved_at), "post_mortem_at": _iso(i.post_mortem_at),
        "postmortem": ({"status": detail.postmortem.status,
                        "created_at": detail.postmortem.created_at.isoformat(),
                        "timeline": detail.postmortem.timeline}
                       if detail.postmortem else None),
        "url": url,
    }


def summary_json(summary: IncidentSummary, url: str | None = None) -> dict[str, Any]:
    i = summary.incident
    return {"key": summary.key, "title": i.title, "severity": i.severity, "status": i.status,
            "commander": summary.commander, "created_at": _iso(i.created_at),
            "detected_at": _iso(i.detected_at), "slack_channel_id": i.slack_channel_id,
            "slack_channel_archived": summary.channel_archived, "url": url}


def incident_page(db: Database, workspace_id: int, *, statuses: list[Status] | None = None,
                  severities: list[str] | None = None, offset: int = 0, limit: int = 100,
                  most_pressing: bool = False) -> tuple[list[IncidentSummary], int]:
    """One page in list order (active statuses first, then severity, newest first), and how
    many incidents match in all. Offset paging: a workspace's incidents number thousands,
    not millions, and pages people can name ("page 3") beat opaque cursors in a browser.

    `most_pressing` orders by severity, then the longest-running first, whatever the status:
    an investigating P1 comes before an open P4 (the web list's active group)."""
    rank = case({s.value: i for i, s in enumerate(STATUS_ORDER)}, value=col(Incident.status),
                else_=len(STATUS_ORDER))
    with db.read() as session:
        where = [col(Incident.workspace_id) == workspace_id]
        if statuses:
            where.append(col(Incident.status).in_([s.value for s in statuses]))
        if severities:
            where.append(col(Incident.severity).in_(severities))
        total = int(session.exec(select(func.count()).select_from(Incident).where(*where)).one())
        order = ((col(Incident.severity), col(Incident.detected_at), col(Incident.number))
                 if most_pressing else
                 (rank, col(Incident.severity), col(Incident.number).desc()))
        incidents = list(session.exec(
            select(Incident).where(*where).order_by(*order).offset(offset).limit(limit)))
        names = member_names(session, {i.commander_id for i in incidents if i.commander_id})
        archived = archived_channels(session, [i.id or 0 for i in incidents])
    return ([IncidentSummary(i, format_key(i.number), names.get(i.commander_id or 0),
                             (i.id or 0) in archived) for i in incidents], total)


def archived_channels(session: Session, incident_ids: list[int]) -> set[int]:
    """The incidents whose Slack channel is archived now: the last archive-or-unarchive entry
    on their timeline is an archive."""
    if not incident_ids:
        return set()
    rows = session.exec(
        select(TimelineEvent.incident_id, TimelineEvent.label)
        .where(col(TimelineEvent.incident_id).in_(incident_ids),
               col(TimelineEvent.label).in_([Label.CHANNEL_ARCHIVED, Label.CHANNEL_UNARCHIVED]))
        .order_by(col(TimelineEvent.at), col(TimelineEvent.id)))
    last: dict[int, str] = {}
    for incident_id, label in rows:
        last[incident_id] = label
    return {i for i, label in last.items() if label == Label.CHANNEL_ARCHIVED}


def recent_events(db: Database, incident_id: int, limit: int = 5) -> list[TimelineEvent]:
    """The latest timeline entries, newest first (the overview's "latest updates")."""
    with db.read() as session:
        return list(session.exec(
            select(TimelineEvent).where(TimelineEvent.incident_id == incident_id,
                                        col(TimelineEvent.deleted_at).is_(None))
            .order_by(col(TimelineEvent.at).desc(), col(TimelineEvent.id).desc()).limit(limit)))


def member_by_email(db: Database, workspace_id: int, email: str) -> Member | None:
    """The workspace member with this e-mail, compared case-insensitively."""
    with db.read() as session:
        return session.exec(select(Member).where(
            Member.workspace_id == workspace_id,
            func.lower(col(Member.email)) == email.strip().lower())).first()


def _postmortem_head(session: Session, incident: Incident) -> tuple[Postmortem | None, int]:
    row = session.exec(select(Postmortem.id, Postmortem.status, Postmortem.created_at,
                              func.json_array_length(col(Postmortem.timeline)))
                       .where(Postmortem.incident_id == incident.id)).first()
    if row is None:
        return None, 0
    return (Postmortem(id=row[0], incident_id=incident.id or 0, status=row[1],
                       created_at=row[2], timeline=[]), int(row[3] or 0))


def postmortem_events(db: Database, incident_id: int, offset: int = 0,
                      limit: int = 200) -> list[dict[str, Any]]:
    """A page of the postmortem's copy of the timeline, sliced by the database so that a
    long copy is never parsed whole."""
    column = col(Postmortem.timeline)
    if db.sqlite:
        elements = func.json_each(column).table_valued("value", "key")
        order = elements.c.key
    else:
        elements = func.json_array_elements(column).table_valued(
            "value", with_ordinality="position").render_derived()
        order = elements.c.position
    query = (select(elements.c.value).select_from(Postmortem).join(elements, true())
             .where(Postmortem.incident_id == incident_id)
             .order_by(order).offset(offset).limit(limit))
    with db.read() as session:
        values = session.execute(query).scalars().all()
    return [json.loads(v) if isinstance(v, str | bytes) else v for v in values]
