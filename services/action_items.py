"""Action items: follow-ups that outlive the incident."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from core.errors import InvalidInput, NotFound
from core.events import ActionItemAdded, ActionItemAssigned, ActionItemDone, ActionItemReopened
from core.keys import format_key
from core.permissions import Action
from core.validation import clean_text
from services import changes
from services.actor import Actor
from services.records import load_member, touch
from store.db import Database
from store.models import ActionItem, Incident, Member
from store.types import pk, utcnow

MAX_ACTION = 2_000


def add_action_item(db: Database, actor: Actor, key: str | int, text: str,
                    owner_id: int | None = None, due_on: date | None = None) -> ActionItem:
    body = clean_text(text, what="action item", limit=MAX_ACTION, field_name="text")
    if due_on is not None and due_on < utcnow().date():
        raise InvalidInput(f"The due date {due_on.isoformat()} is in the past.", field="due")
    with db.transaction() as session:
        incident = changes.open_incident(session, actor, key, Action.POST_UPDATE)
        owner = load_member(session, actor.workspace_id, owner_id) if owner_id else None
        item = ActionItem(incident_id=pk(incident), text=body, owner_id=owner_id,
                          created_by_id=actor.member_id, due_on=due_on)
        session.add(item)
        session.flush()
        touch(incident)
        suffix = f" (owner: {owner.display_name})" if owner else ""
        suffix += f" (due {due_on.isoformat()})" if due_on else ""
        changes.record(session, actor,
                       changes.event(ActionItemAdded, actor, incident, item_id=pk(item),
                                     owner_id=owner_id),
                       f"{actor.name} added action item #{item.id}: {body}{suffix}",
                       incident=incident,
                       payload={"action_item_id": item.id, "owner_id": owner_id},
                       detail={"action_item_id": item.id})
        return item


def complete_action_item(db: Database, actor: Actor, key: str | int,
                         item_id: int) -> ActionItem:
    with db.transaction() as session:
        incident = changes.open_incident(session, actor, key, Action.POST_UPDATE)
        item = session.get(ActionItem, item_id)
        if item is None or item.incident_id != incident.id:
            raise NotFound(f"No action item #{item_id} on this incident.", field="item")
        if item.done_at is not None:
            raise InvalidInput(f"Action item #{item_id} is already done.", field="item")
        item.done_at = utcnow()
        touch(incident)
        changes.record(session, actor,
                       changes.event(ActionItemDone, actor, incident, item_id=item_id),
                       f"{actor.name} completed action item #{item_id}: {item.text}",
                       incident=incident, payload={"action_item_id": item_id},
                       detail={"action_item_id": item_id})
        return item


def _item_in_workspace(session: Session, actor: Actor, item_id: int
                       ) -> tuple[ActionItem, Incident]:
    """The item by its number, only in the actor's workspace; its incident, locked."""
    row = session.exec(select(ActionItem, Incident)
                       .join(Incident, col(Incident.id) == ActionItem.incident_id)
                       .where(ActionItem.id == item_id,
                              Incident.workspace_id == actor.workspace_id)).first()
    if row is None:
        raise NotFound(f"No action item #{item_id} in this workspace.", field="item")
    incident = changes.open_incident(session, actor, row[1].number, Action.POST_UPDATE)
    return row[0], incident


def set_done(db: Database, actor: Actor, item_id: int, done: bool) -> ActionItem:
    """Mark done, or reopen: from a button or a command, by the item's number alone."""
    with db.transaction() as session:
        item, incident = _item_in_workspace(session, actor, item_id)
        if (item.done_at is not None) == done:
            state = "done" if done else "open"
            raise InvalidInput(f"Action item #{item_id} is already {state}.", field="item")
        item.done_at = utcnow() if done else None
        touch(incident)
        kind = ActionItemDone if done else ActionItemReopened
        verb = "completed" if done else "reopened"
        changes.record(session, actor, changes.event(kind, actor, incident, item_id=item_id),
                       f"{actor.name} {verb} action item #{item_id}: {item.text}",
                       incident=incident, payload={"action_item_id": item_id},
                       detail={"action_item_id": item_id})
        return item


def assign(db: Database, actor: Actor, item_id: int, owner_id: int | None) -> ActionItem:
    with db.transaction() as session:
        item, incident = _item_in_workspace(session, actor, item_id)
        owner = load_member(session, actor.workspace_id, owner_id) if owner_id else None
        old = item.owner_id
        item.owner_id = owner_id
        touch(incident)
        who = owner.display_name if owner else "nobody"
        changes.record(session, actor,
                       changes.event(ActionItemAssigned, actor, incident, item_id=item_id,
                                     owner_id=owner_id),
                       f"{actor.name} assigned action item #{item_id} to {who}",
                       incident=incident, payload={"action_item_id": item_id, "from": old,
                                                   "to": owner_id},
                       detail={"action_item_id": item_id, "old": old, "new": owner_id})
        return item


def item_view(db: Database, actor: Actor, item_id: int) -> "OpenItem":
    """One item of the actor's workspace, for a form about it (read only)."""
    with db.read() as session:
        row = session.exec(select(ActionItem, Incident.number, Incident.title, Member)
                           .join(Incident, col(Incident.id) == ActionItem.incident_id)
                           .outerjoin(Member, col(Member.id) == ActionItem.owner_id)
                           .where(ActionItem.id == item_id,
                                  Incident.workspace_id == actor.workspace_id)).first()
    if row is None:
        raise NotFound(f"No action item #{item_id} in this workspace.", field="item")
    item, number, title, owner = row
    return OpenItem(pk(item), format_key(number), title, item.text,
                    owner.display_name if owner else None,
                    owner.slack_user_id if owner else None, item.due_on)


@dataclass(frozen=True)
class OpenItem:
    id: int
    key: str
    incident_title: str
    text: str
    owner: str | None
    owner_slack_id: str | None
    due_on: date | None


def open_items(db: Database, workspace_id: int, *, owner_id: int | None = None,
               limit: int = 50) -> tuple[list[OpenItem], int]:
    """Open items across the workspace's incidents, soonest due first; and how many in all."""
    where: list[Any] = [col(Incident.workspace_id) == workspace_id,
                        col(ActionItem.done_at).is_(None)]
    if owner_id is not None:
        where.append(col(ActionItem.owner_id) == owner_id)
    with db.read() as session:
        total = int(session.exec(select(func.count()).select_from(ActionItem)
                                 .join(Incident, col(Incident.id) == ActionItem.incident_id)
                                 .where(*where)).one())
        rows = session.exec(
            select(ActionItem, Incident.number, Incident.title, Member)
            .join(Incident, col(Incident.id) == ActionItem.incident_id)
            .outerjoin(Member, col(Member.id) == ActionItem.owner_id)
            .where(*where)
            .order_by(col(ActionItem.due_on).is_(None), col(ActionItem.due_on),
                      col(ActionItem.id))
            .limit(limit)).all()
    return [OpenItem(pk(item), format_key(number), title, item.text,
                     owner.display_name if owner else None,
                     owner.slack_user_id if owner else None, item.due_on)
            for item, number, title, owner in rows], total
