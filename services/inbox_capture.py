"""Channel messages from the inbox onto timelines, one transaction per batch.

Kept: what people write (plain messages, thread replies, broadcasts, file shares, /me), and
their edits and deletions. Ignored: bot messages (ours included), joins, leaves, topic
changes and every other system subtype.

`take` claims due `message` rows (FOR UPDATE SKIP LOCKED), captures them and marks them
done in the same transaction: a replica killed halfway leaves nothing claimed, so its rows
are taken at once after the restart, not after a lease. Rows that need more (an unknown
person to ask Slack about, a batch the database refuses, a body that does not parse) leave
that transaction leased to the caller, who handles them one by one.
"""

import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select

from services import slack_capture
from services.inbox import Delivery, of
from services.slack_capture import DELETE, EDIT, POST, SlackMessage
from store.db import Database
from store.inbox_models import DONE, MESSAGE, PENDING, InboxRow
from store.models import Workspace
from store.types import utcnow

HUMAN_SUBTYPES = {None, "thread_broadcast", "file_share", "me_message"}


def to_message(event: dict[str, Any]) -> SlackMessage | None:
    """The timeline's view of a message event, or None when it is not a person's message."""
    channel = str(event.get("channel") or "")
    subtype = event.get("subtype")
    if not channel:
        return None
    if subtype == "message_changed":
        inner = event.get("message") or {}
        if not _by_a_person(inner) or not inner.get("ts"):
            return None
        return SlackMessage(EDIT, channel, str(inner["ts"]), str(inner["user"]),
                            str(inner.get("text") or ""), inner.get("thread_ts"),
                            tuple(inner.get("files") or ()))
    if subtype == "message_deleted":
        previous = event.get("previous_message") or {}
        ts = event.get("deleted_ts") or previous.get("ts")
        if not ts or (previous and not _by_a_person(previous)):
            return None
        return SlackMessage(DELETE, channel, str(ts))
    if not _by_a_person(event) or not event.get("ts"):
        return None
    return SlackMessage(POST, channel, str(event["ts"]), str(event["user"]),
                        str(event.get("text") or ""), event.get("thread_ts"),
                        tuple(event.get("files") or ()))


def _by_a_person(message: dict[str, Any]) -> bool:
    return (message.get("subtype") in HUMAN_SUBTYPES and not message.get("bot_id")
            and not message.get("bot_profile") and bool(message.get("user")))


@dataclass
class Taken:
    captured: int = 0
    ignored: int = 0  # not a person's message, or no workspace for the team
    # Rows leased to the caller, with why: unknown people, unreadable, refused.
    leftovers: list[Delivery] = field(default_factory=list)


def take(db: Database, *, limit: int, lease: float) -> Taken:
    now = utcnow()
    taken = Taken()
    query = (select(InboxRow)
             .where(InboxRow.status == PENDING, InboxRow.kind == MESSAGE,
                    col(InboxRow.next_attempt_at) <= now,
                    col(InboxRow.locked_until).is_(None)
                    | (col(InboxRow.locked_until) < now))
             .order_by(col(InboxRow.id)).limit(limit)
             .with_for_update(skip_locked=True))
    with db.transaction() as session:
        rows = list(session.exec(query))
        if not rows:
            return taken
        teams = {r.team_id for r in rows}
        workspaces = {w.slack_team_id: w.id for w in session.exec(
            select(Workspace).where(col(Workspace.slack_team_id).in_(teams)))}
        done: list[int] = []
        later: list[InboxRow] = []
        groups: dict[int, list[tuple[InboxRow, SlackMessage]]] = {}
        for row in rows:
            try:
                message = to_message(_event(row.body))
            except ValueError:
                later.append(row)
                continue
            workspace_id = workspaces.get(row.team_id)
            if message is None or workspace_id is None:
                done.append(row.id or 0)
                taken.ignored += 1
                continue
            groups.setdefault(workspace_id, []).append((row, message))
        for workspace_id, items in groups.items():
            try:
                with session.begin_nested():  # a refusal undoes this group only
                    result = slack_capture.capture_in(session, workspace_id,
                                                      [m for _, m in items])
            except Exception:
                later += [row for row, _ in items]
                continue
            unresolved = {m.dedupe_key for m in result.unresolved}
            for row, message in items:
                if message.dedupe_key in unresolved:
                    later.append(row)
                else:
                    done.append(row.id or 0)
                    taken.captured += 1
        if done:
            session.execute(update(InboxRow).where(col(InboxRow.id).in_(done))
                            .values(status=DONE, done_at=now, locked_until=None))
        until = now + timedelta(seconds=lease)
        for row in later:
            row.attempts += 1
            row.locked_until = until
            taken.leftovers.append(of(row))
    return taken


def _event(body: str) -> dict[str, Any]:
    parsed = json.loads(body)
    event = parsed.get("event") if isinstance(parsed, dict) else None
    if not isinstance(event, dict):
        raise ValueError("no event object")
    return event
