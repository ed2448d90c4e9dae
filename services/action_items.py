"""Action items: follow-ups that outlive the incident."""

from core.effects import Label
from core.errors import InvalidInput, NotFound
from core.permissions import Action
from core.validation import clean_text
from services.actor import Actor
from services.records import add_event, audit, authorize, load_incident, load_member, touch
from store.db import Database
from store.models import ActionItem
from store.types import pk, utcnow

MAX_ACTION = 2_000


def add_action_item(db: Database, actor: Actor, key: str | int, text: str,
                    owner_id: int | None = None) -> ActionItem:
    body = clean_text(text, what="action item", limit=MAX_ACTION, field_name="text")
    with db.transaction() as session:
        incident = load_incident(session, actor.workspace_id, key)
        authorize(actor, Action.POST_UPDATE, incident)
        owner = load_member(session, actor.workspace_id, owner_id) if owner_id else None
        item = ActionItem(incident_id=pk(incident), text=body, owner_id=owner_id,
                          created_by_id=actor.member_id)
        session.add(item)
        session.flush()
        touch(incident)
        suffix = f" (owner: {owner.display_name})" if owner else ""
        add_event(session, incident, actor, Label.ACTION_ADDED,
                  f"{actor.name} added action item #{item.id}: {body}{suffix}",
                  payload={"action_item_id": item.id, "owner_id": owner_id})
        audit(session, actor, "action_item.added", incident, action_item_id=item.id)
        return item


def complete_action_item(db: Database, actor: Actor, key: str | int,
                         item_id: int) -> ActionItem:
    with db.transaction() as session:
        incident = load_incident(session, actor.workspace_id, key)
        authorize(actor, Action.POST_UPDATE, incident)
        item = session.get(ActionItem, item_id)
        if item is None or item.incident_id != incident.id:
            raise NotFound(f"No action item #{item_id} on this incident.", field="item")
        if item.done_at is not None:
            raise InvalidInput(f"Action item #{item_id} is already done.", field="item")
        item.done_at = utcnow()
        touch(incident)
        add_event(session, incident, actor, Label.ACTION_DONE,
                  f"{actor.name} completed action item #{item_id}: {item.text}",
                  payload={"action_item_id": item_id})
        audit(session, actor, "action_item.completed", incident, action_item_id=item_id)
        return item
