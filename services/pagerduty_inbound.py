"""PagerDuty webhooks v3, applied to the incidents they mirror.

A delivery is stored first in the inbox (unique by PagerDuty's event id, so a redelivery is
a no-op) and worked after the answer, by several takers at once but in arrival order per
PagerDuty incident (`inbox.claim_in_order`). Each change is made by an actor whose source
is "pagerduty", so it is never pushed back to PagerDuty. A status event older than one
already applied to the same PagerDuty incident is skipped: events arriving out of order
leave the latest state.
"""

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select

from core.errors import DomainError
from core.fsm import Move, Status
from core.keys import format_key
from core.numbers import is_digits
from core.permissions import Role
from core.severity import Severity
from services import inbox, incidents, timeline
from services.actor import Actor
from services.changes import settings_of
from services.inbox_writer import Incoming
from services.pagerduty import DECLARE_PREFIX, incident_for, link
from store.db import Database
from store.inbox_models import DONE, PENDING, WEBHOOK, InboxRow
from store.models import Incident, IntegrationLog, Workspace
from store.types import utcnow

log = logging.getLogger(__name__)

INTEGRATION = "pagerduty"
STATUS_EVENTS = frozenset({"incident.acknowledged", "incident.resolved", "incident.reopened",
                           "incident.unacknowledged"})
ENTRY_EVENTS = {"incident.reassigned": "reassigned", "incident.escalated": "escalated",
                "incident.priority_updated": "changed the priority of",
                "incident.delegated": "delegated"}


class BadDelivery(ValueError):
    """The body is not a PagerDuty v3 event; answered 400, nothing stored."""


@dataclass(frozen=True)
class Delivery:
    event_id: str
    event_type: str
    pd_id: str | None
    occurred_at: datetime | None
    agent: str
    data: dict[str, Any]


def parse(payload: Any) -> Delivery:
    event = payload.get("event") if isinstance(payload, dict) else None
    if not isinstance(event, dict):
        raise BadDelivery("the body has no 'event' object")
    event_id, event_type = event.get("id"), event.get("event_type")
    if not isinstance(event_id, str) or not event_id or len(event_id) > 128:
        raise BadDelivery("the event has no id")
    if not isinstance(event_type, str) or not event_type or len(event_type) > 64:
        raise BadDelivery("the event has no event_type")
    data = event.get("data") if isinstance(event.get("data"), dict) else {}
    assert isinstance(data, dict)
    # A note's data is the note; the incident it belongs to is inside it.
    owner = data.get("incident") if data.get("type") == "incident_note" else data
    pd_id = owner.get("id") if isinstance(owner, dict) else None
    agent = event.get("agent") if isinstance(event.get("agent"), dict) else {}
    assert isinstance(agent, dict)
    return Delivery(event_id, event_type, str(pd_id)[:64] if pd_id else None,
                    _time(event.get("occurred_at")), str(agent.get("summary") or "PagerDuty"),
                    data)


def incoming(raw: str, delivery: Delivery) -> Incoming:
    """The inbox row of a delivery: its body as signed, keyed by PagerDuty's event id and
    ordered by the PagerDuty incident it is about."""
    return Incoming(f"{INTEGRATION}:{delivery.event_id}", "", WEBHOOK, raw,
                    "application/json", source=INTEGRATION, subject=delivery.pd_id,
                    event_type=delivery.event_type, occurred_at=delivery.occurred_at)


def receive(db: Database, payload: dict[str, Any]) -> tuple[int | None, Delivery]:
    """Store one delivery in a commit of its own (the webhook shares the inbox writer's);
    (row id, delivery), the id None when this event was seen before."""
    delivery = parse(payload)
    created = inbox.record(db, [incoming(json.dumps(payload), delivery).as_row(None)])
    return next(iter(created.values()), None), delivery


def work(db: Database, row: inbox.Delivery, default_workspace: str | None = None) -> str:
    """Apply one stored delivery and settle it with its outcome. What PagerDuty asked for
    that cannot be done (a DomainError) is an outcome too; anything else raises, and the
    inbox tries the row again later, then quarantines it."""
    delivery = parse(json.loads(row.body))
    try:
        outcome, workspace_id, ok = _apply(db, delivery, row, default_workspace)
    except DomainError as error:
        outcome, workspace_id, ok = f"not applied: {error.message}", None, False
    with db.transaction() as session:
        session.execute(update(InboxRow).where(col(InboxRow.id) == row.id).values(
            status=DONE, done_at=utcnow(), locked_until=None, outcome=outcome[:2000]))
        session.add(IntegrationLog(workspace_id=workspace_id, integration=INTEGRATION,
                                   direction="in", kind=delivery.event_type, ok=ok,
                                   detail=f"{delivery.event_id}: {outcome}"[:4000]))
    log.info("PagerDuty %s %s (%s): %s", delivery.event_type, delivery.pd_id,
             delivery.event_id, outcome)
    return outcome


def pending(db: Database) -> list[int]:
    """Deliveries stored but not worked yet."""
    with db.read() as session:
        ids = session.exec(select(InboxRow.id).where(
            InboxRow.source == INTEGRATION, InboxRow.status == PENDING)
            .order_by(col(InboxRow.id)))
        return [i for i in ids if i is not None]


def _apply(db: Database, delivery: Delivery, row: inbox.Delivery,
           default_workspace: str | None) -> tuple[str, int | None, bool]:
    if not delivery.pd_id:
        return "no incident in the event: ignored", None, True
    incident = incident_for(db, delivery.pd_id) or _ours(db, delivery)
    if incident is None:
        if delivery.event_type == "incident.triggered":
            return _declare(db, delivery, default_workspace)
        return f"unknown PagerDuty incident {delivery.pd_id}: ignored", None, True
    ws = incident.workspace_id
    key = format_key(incident.number)
    actor = Actor(ws, None, f"{delivery.agent} (PagerDuty)", Role.ENGINEER, "pagerduty")
    kind = delivery.event_type
    if kind in STATUS_EVENTS and _superseded(db, delivery, row):
        return f"{key}: older than a status event already applied; skipped", ws, True
    status = Status(incident.status)
    if kind == "incident.acknowledged":
        if status != Status.OPEN:
            return f"{key} is already {status.value}", ws, True
        incidents.transition(db, actor, key, Move.INVESTIGATE)
        return f"{key}: open → investigating", ws, True
    if kind == "incident.resolved":
        if status not in (Status.OPEN, Status.INVESTIGATING, Status.MITIGATED):
            return f"{key} is already {status.value}", ws, True
        if status == Status.OPEN:
            incidents.transition(db, actor, key, Move.INVESTIGATE)
        incidents.transition(db, actor, key, Move.RESOLVE)
        return f"{key}: {status.value} → resolved", ws, True
    if kind == "incident.reopened":
        if status != Status.RESOLVED:
            return f"{key} is {status.value}; nothing to reopen", ws, True
        incidents.transition(db, actor, key, Move.REOPEN)
        return f"{key}: resolved → investigating (reopened)", ws, True
    text = _entry_text(delivery)
    if text is None:
        return f"{key}: {kind} needs nothing", ws, True
    timeline.append_entry(db, actor, key, text, source=INTEGRATION,
                          payload={"pagerduty_event": delivery.event_id, "type": kind},
                          dedupe_key=f"pagerduty:{delivery.event_id}")
    return f"{key}: timeline entry added", ws, True


def _entry_text(delivery: Delivery) -> str | None:
    kind, data = delivery.event_type, delivery.data
    if kind == "incident.annotated":
        content = str(data.get("content") or "").strip()
        return f"PagerDuty note by {delivery.agent}: {content}"[:4000] if content else None
    if kind in ENTRY_EVENTS:
        detail = ""
        if kind == "incident.priority_updated":
            priority = data.get("priority") if isinstance(data.get("priority"), dict) else {}
            assert isinstance(priority, dict)
            detail = f" to {priority.get('summary') or priority.get('name') or 'none'}"
        elif isinstance(data.get("assignees"), list):
            names = [str(a.get("summary")) for a in data["assignees"]
                     if isinstance(a, dict) and a.get("summary")]
            detail = f" to {', '.join(names)}" if names else ""
        return f"{delivery.agent} {ENTRY_EVENTS[kind]} the PagerDuty incident{detail}"
    return None


def _superseded(db: Database, delivery: Delivery, row: inbox.Delivery) -> bool:
    if delivery.occurred_at is None:
        return False
    with db.read() as session:
        newer = session.exec(select(InboxRow.id).where(
            InboxRow.source == INTEGRATION, InboxRow.subject == delivery.pd_id,
            col(InboxRow.event_type).in_(STATUS_EVENTS), InboxRow.status == DONE,
            col(InboxRow.occurred_at) > delivery.occurred_at,
            col(InboxRow.id) != row.id)).first()
    return newer is not None


def _ours(db: Database, delivery: Delivery) -> Incident | None:
    """A PagerDuty incident Vigilo created whose id we have not stored yet (its webhook
    overtook the create's answer, or the answer was lost): its incident_key says whose."""
    key = str(delivery.data.get("incident_key") or "")
    parts = key.split("-")
    if len(parts) != 3 or parts[0] != "vigilo" or not all(is_digits(p) for p in parts[1:]):
        return None
    with db.read() as session:
        incident = session.get(Incident, int(parts[2]))
    if incident is None or incident.workspace_id != int(parts[1]):
        return None
    link(db, incident.id or 0, delivery.pd_id or "")
    return incident


def _declare(db: Database, delivery: Delivery,
             default_workspace: str | None) -> tuple[str, int | None, bool]:
    with db.read() as session:
        query = select(Workspace)
        if default_workspace:
            query = query.where(Workspace.slug == default_workspace)
        workspaces = list(session.exec(query.limit(2)))
        if len(workspaces) != 1:
            return (f"unmirrored PagerDuty incident {delivery.pd_id}: no single workspace to "
                    "declare it in (set VIGILO_WORKSPACE)"), None, True
        workspace = workspaces[0]
        settings = settings_of(session, workspace.id or 0)
    if not settings.pagerduty_declare_on_trigger:
        return (f"unmirrored PagerDuty incident {delivery.pd_id}: ignored "
                "(pagerduty_declare_on_trigger is off)"), workspace.id, True
    actor = Actor(workspace.id or 0, None, f"{delivery.agent} (PagerDuty)", Role.ENGINEER,
                  "pagerduty")
    title = str(delivery.data.get("title") or f"PagerDuty incident {delivery.pd_id}")
    severity = Severity.P1 if delivery.data.get("urgency") == "high" else Severity.P3
    incident = incidents.declare(db, actor, title=title[:200], severity=severity.value,
                                 idempotency_key=DECLARE_PREFIX + (delivery.pd_id or ""))
    link(db, incident.id or 0, delivery.pd_id or "")
    return (f"declared {format_key(incident.number)} for PagerDuty incident "
            f"{delivery.pd_id}"), workspace.id, True


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None
