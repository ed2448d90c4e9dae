"""Action items: follow-ups that outlive the incident."""

from core.errors import InvalidInput, NotFound
from core.events import ActionItemAdded, ActionItemDone
from core.permissions import Action
from core.validation import clean_text
from services import changes
from services.actor import Actor
from services.records import load_member, touch
from store.db import Database
from store.models import ActionItem
from store.types import pk, utcnow

MAX_ACTION = 2_000


def add_action_item(db: Database, actor: Actor, key: str | int, text: str,
                    owner_id: int | None = None) -> ActionItem:
    body = clean_text(text, what="action item", limit=MAX_ACTION, field_name="text")
    with db.transaction() as session:
        incident = changes.open_incident(session, actor, key, Action.POST_UPDATE)
        owner = load_member(session, actor.workspace_id, owner_id) if owner_id else None
        item = ActionItem(incident_id=pk(incident), text=body, owner_id=owner_id,
                          created_by_id=actor.member_id)
        session.add(item)
        session.flush()
        touch(incident)
        suffix = f" (owner: {owner.display_name})" if owner else ""
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
