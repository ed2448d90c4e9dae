"""Messages in an incident's Slack channel, kept on its timeline.

A message is keyed `slack:<channel>:<ts>`, so Slack's redeliveries add nothing; an edit
updates the entry and keeps the earlier text; a delete marks the entry deleted. Messages are
captured in batches, one transaction each, because a busy channel outruns one-row commits.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core.effects import Label
from core.validation import storable
from services.changes import settings_of
from services.records import is_unique_violation
from store.db import Database
from store.models import Incident, Member, TimelineEvent
from store.types import utcnow

POST, EDIT, DELETE = "post", "edit", "delete"
_MARKUP = re.compile(r"<([^<>]*)>")
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^<>]*)?>")
_FILE_KEYS = ("id", "name", "title", "mimetype", "permalink")


def mentioned_users(text: str) -> list[str]:
    """Slack user ids mentioned as `<@U123>` or `<@U123|name>`, in order, once each."""
    return list(dict.fromkeys(_MENTION.findall(text or "")))


def readable(text: str, names: Mapping[str, str] | None = None) -> str:
    """Slack's wire format as a person reads it: `<@U1>` → `@Alice`, `<url|label>` →
    `label (url)`, `<#C1|ops>` → `#ops`, `&lt;` → `<`."""
    known = names or {}

    def replace(match: re.Match[str]) -> str:
        target, _, label = match.group(1).partition("|")
        if target.startswith("@"):
            user = target[1:]
            return "@" + (known.get(user) or label.lstrip("@") or user)
        if target.startswith("#"):
            return "#" + (label or target[1:])
        if target.startswith("!"):
            command = target[1:]
            if command.startswith("date"):
                return label or command
            if command.startswith("subteam^"):
                return "@" + (label.lstrip("@") or command.split("^", 1)[1])
            return "@" + (label.lstrip("@") or command)
        if target.startswith("mailto:"):
            return label or target[len("mailto:"):]
        bare = target.split("://", 1)[-1]
        if not label or label in (target, bare):
            return target
        return f"{label} ({target})"

    out = _MARKUP.sub(replace, text or "")
    return out.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


@dataclass(frozen=True)
class SlackMessage:
    """One Events API message event, reduced to what the timeline keeps."""

    kind: str  # post, edit or delete
    channel: str
    ts: str
    user: str | None = None
    text: str = ""
    thread_ts: str | None = None
    files: tuple[dict[str, Any], ...] = ()
    # Names of mentioned people who are not members, looked up in Slack by the caller.
    names: Mapping[str, str] = field(default_factory=dict)

    @property
    def dedupe_key(self) -> str:
        return f"slack:{self.channel}:{self.ts}"

    def at(self) -> datetime:
        try:
            return datetime.fromtimestamp(float(self.ts), UTC)
        except (ValueError, OverflowError):
            return utcnow()

    def payload(self) -> dict[str, Any]:
        files = [{k: f[k] for k in _FILE_KEYS if k in f} for f in self.files]
        return {"channel": self.channel, "ts": self.ts, "thread_ts": self.thread_ts,
                "files": files}


@dataclass
class CaptureResult:
    added: int = 0
    edited: int = 0
    deleted: int = 0
    duplicates: int = 0  # redeliveries and edits that change nothing
    ignored: int = 0  # not an incident channel, capture is off, or nothing to edit/delete
    # Messages whose author (or a mentioned person) is unknown: the caller looks them up in
    # Slack (first contact) and captures them again.
    unresolved: list[SlackMessage] = field(default_factory=list)
    # Authors recorded under their Slack user id (capture with strangers): name them later.
    strangers: set[str] = field(default_factory=set)


def capture(db: Database, workspace_id: int, messages: list[SlackMessage], *,
            strangers: bool = False) -> CaptureResult:
    """Record a batch of channel messages in one transaction, in the order given. With
    `strangers`, a message whose author (or a mentioned person) is still unknown is recorded
    anyway, under the Slack user id, to be named later (`name_author`)."""
    for attempt in range(3):
        try:
            with db.transaction() as session:
                return _capture(session, workspace_id, messages, strangers)
        except IntegrityError as error:
            # Another process captured one of these keys meanwhile: run again, it is seen now.
            if not is_unique_violation(error) or attempt == 2:
                raise
    raise AssertionError("unreachable")


def capture_in(session: Session, workspace_id: int, messages: list[SlackMessage], *,
               strangers: bool = False) -> CaptureResult:
    """`capture` inside the caller's transaction (the inbox's, which settles the rows)."""
    return _capture(session, workspace_id, messages, strangers)


def _capture(session: Session, workspace_id: int, messages: list[SlackMessage],
             strangers: bool) -> CaptureResult:
    result = CaptureResult()
    if settings_of(session, workspace_id).timeline_capture != "all":
        result.ignored = len(messages)
        return result
    channels = {m.channel for m in messages}
    incidents = {i.slack_channel_id: i for i in session.exec(select(Incident).where(
        Incident.workspace_id == workspace_id, col(Incident.slack_channel_id).in_(channels)))}
    wanted = [m for m in messages if m.channel in incidents]
    result.ignored += len(messages) - len(wanted)
    if not wanted:
        return result
    users = {u for m in wanted if m.kind != DELETE for u in [m.user, *mentioned_users(m.text)]
             if u}
    members = {row[1]: (row[0], row[2]) for row in session.exec(
        select(Member.id, Member.slack_user_id, Member.display_name).where(
            Member.workspace_id == workspace_id, col(Member.slack_user_id).in_(users)))}
    existing = {e.dedupe_key: e for e in session.exec(select(TimelineEvent).where(
        col(TimelineEvent.incident_id).in_([i.id for i in incidents.values()]),
        col(TimelineEvent.dedupe_key).in_({m.dedupe_key for m in wanted})))}
    # New entries are inserted in one statement at the end, as plain rows: building a model
    # object per message cost more than the database did. Later messages of the same batch
    # (an edit, a delete) change the pending row instead.
    pending: dict[str, dict[str, Any]] = {}
    for message in wanted:
        key = message.dedupe_key
        entry: TimelineEvent | dict[str, Any] | None = existing.get(key) or pending.get(key)
        if message.kind == DELETE:
            if entry is None or _get(entry, "deleted_at") is not None:
                result.ignored += 1
            else:
                _set(entry, deleted_at=utcnow())
                result.deleted += 1
            continue
        if message.kind == POST and entry is not None:
            result.duplicates += 1
            continue
        text = _text(message, members, strangers)
        if text is None or (entry is None and message.user not in members and not strangers):
            result.unresolved.append(message)
        elif entry is None:
            member_id, name = members.get(message.user or "") or (None, message.user or "?")
            if member_id is None:
                result.strangers.add(message.user or "")
            payload = message.payload() | ({"edited": True} if message.kind == EDIT else {})
            pending[key] = {
                "incident_id": incidents[message.channel].id, "at": message.at(),
                "source": "slack", "label": Label.MESSAGE, "actor": name,
                "actor_id": member_id, "text": text, "payload": payload, "dedupe_key": key,
                "editable": True, "edited_at": None, "deleted_at": None}
            result.added += 1
        elif text == _get(entry, "text"):
            result.duplicates += 1
        else:
            old = _get(entry, "payload")
            history = [*old.get("previous_texts", []),
                       {"text": _get(entry, "text"), "until": utcnow().isoformat()}]
            _set(entry, text=text, edited_at=utcnow(),
                 payload={**old, "previous_texts": history, "files": message.payload()["files"]})
            result.edited += 1
    if pending:
        session.execute(insert(TimelineEvent), list(pending.values()))
    return result


def _get(entry: TimelineEvent | dict[str, Any], name: str) -> Any:
    return entry[name] if isinstance(entry, dict) else getattr(entry, name)


def _set(entry: TimelineEvent | dict[str, Any], **values: Any) -> None:
    for name, value in values.items():
        if isinstance(entry, dict):
            entry[name] = value
        else:
            setattr(entry, name, value)


def _text(message: SlackMessage, members: Mapping[str, tuple[int | None, str]],
          strangers: bool = False) -> str | None:
    """The readable text, or None while a mentioned person has no name yet."""
    names = dict(message.names)
    for user in mentioned_users(message.text):
        if user in members:
            names[user] = members[user][1]
        elif (user not in names and not strangers
              and not re.search(rf"<@{user}\|[^<>]+>", message.text)):
            return None
    text = readable(storable(message.text), names).strip()
    if not text and message.files:
        text = "shared " + ", ".join(str(f.get("name") or f.get("title") or "a file")
                                     for f in message.files)
    return text


def name_author(db: Database, workspace_id: int, user_id: str) -> int:
    """Put the member's name on the messages recorded under their Slack user id."""
    with db.transaction() as session:
        member = session.exec(select(Member).where(Member.workspace_id == workspace_id,
                                                   Member.slack_user_id == user_id)).first()
        if member is None:
            return 0
        found = session.exec(select(TimelineEvent).join(
            Incident, col(Incident.id) == col(TimelineEvent.incident_id)).where(
            Incident.workspace_id == workspace_id, TimelineEvent.source == "slack",
            col(TimelineEvent.actor_id).is_(None), TimelineEvent.actor == user_id)).all()
        for entry in found:
            entry.actor, entry.actor_id = member.display_name, member.id
        return len(found)
