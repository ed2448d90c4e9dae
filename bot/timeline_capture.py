"""Slack messages onto the timeline from anywhere: the message shortcut "Add to incident
timeline" (choose the incident), and a 📌 reaction in an incident channel whose workspace
captures only on command (`timeline_capture: command`; with `all`, every message is on the
timeline already). Both ack at once; the work happens after."""

import logging
from typing import Any

from slack_bolt import Ack, App

from bot.modals import timeline as tl
from bot.modals.base import Meta
from bot.modals.flow import open_view
from bot.people import People
from bot.runtime import Bot
from core.errors import DomainError
from core.fsm import STATUS_ORDER
from core.permissions import Action
from services import queries, timeline_editor
from services.records import authorize
from services.slack_capture import readable

log = logging.getLogger(__name__)

SHORTCUT = "add_to_timeline"
PIN = "pushpin"
OPTIONS = 100  # Slack's limit for a static select


def register(app: App, bot: Bot, people: People) -> None:
    def on_shortcut(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        bot.later(open_shortcut, bot, people, body)

    def on_reaction(body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("reaction") != PIN or (event.get("item") or {}).get("type") != "message":
            return
        bot.later(pin, bot, people, str(body.get("team_id") or ""), event)

    app.shortcut(SHORTCUT)(on_shortcut)
    app.event("reaction_added")(on_reaction)


def open_shortcut(bot: Bot, people: People, body: dict[str, Any]) -> None:
    user_id = str((body.get("user") or {}).get("id") or "")
    channel = str((body.get("channel") or {}).get("id") or "")
    message = body.get("message") or {}
    workspace = bot.workspace((body.get("team") or {}).get("id"))
    if workspace is None:
        return
    try:
        actor = people.actor(workspace, user_id)
        authorize(actor, Action.POST_UPDATE)
        author = str(message.get("user") or "") or None
        if author:
            people.member(workspace, author)  # first contact now, not before a later ack
        found = queries.list_incidents(bot.db, workspace.id, statuses=list(STATUS_ORDER),
                                       limit=OPTIONS)
        here = queries.incident_for_channel(bot.db, channel)
        options = tuple((s.key, f"{s.key} {s.incident.title}"[:75]) for s in found)
        text = readable(str(message.get("text") or ""))
        form = tl.MessageForm(
            incident=(next((k for k, _ in options if here and k.endswith(f"{here.number:04d}")),
                           None)),
            text=text[:tl.SLACK_INPUT], options=options,
            too_long=len(text) if len(text) > tl.SLACK_INPUT else 0)
        meta = Meta(None, body.get("response_url") or None, channel or None,
                    f"{channel} {message.get('ts') or ''} {author or ''}".strip())
        open_view(bot, str(body.get("trigger_id") or ""), tl.FROM_MESSAGE.view(meta, form))
    except DomainError as error:
        _tell(bot, channel, user_id, f"⚠️ {error.message}")


def pin(bot: Bot, people: People, team_id: str, event: dict[str, Any]) -> None:
    item = event.get("item") or {}
    channel, ts = str(item.get("channel") or ""), str(item.get("ts") or "")
    user_id = str(event.get("user") or "")
    workspace = bot.workspace(team_id)
    incident = queries.incident_for_channel(bot.db, channel) if channel else None
    if workspace is None or incident is None or incident.workspace_id != workspace.id:
        return
    if timeline_editor.capture_mode(bot.db, workspace.id) != "command":
        return  # every message of the channel is on the timeline already
    try:
        actor = people.actor(workspace, user_id)
        text, author = _message(bot, channel, ts)
        if text is None:
            _tell(bot, channel, user_id, "⚠️ I could not read that message (a thread reply, "
                  "or deleted): use the message's ⋯ menu → Add to incident timeline.")
            return
        member = people.member(workspace, author) if author else None
        added = timeline_editor.add_at(
            bot.db, actor, incident.number, readable(text), tl.ts_time(ts), source="slack",
            payload={"channel": channel, "ts": ts, "via": "pin"},
            dedupe_key=f"slack:{channel}:{ts}", author_id=member.id if member else None)
        if added is not None:
            _tell(bot, channel, user_id, "📌 Added to the incident's timeline.")
    except DomainError as error:
        _tell(bot, channel, user_id, f"⚠️ {error.message}")


def _message(bot: Bot, channel: str, ts: str) -> tuple[str | None, str | None]:
    try:
        answer = bot.client.conversations_history(channel=channel, latest=ts, inclusive=True,
                                                  limit=1)
    except Exception:
        log.exception("could not read the pinned message %s in %s", ts, channel)
        return None, None
    for message in answer.get("messages") or []:
        if message.get("ts") == ts:
            return str(message.get("text") or ""), message.get("user")
    return None, None


def _tell(bot: Bot, channel: str, user_id: str, text: str) -> None:
    try:
        bot.client.chat_postEphemeral(channel=channel, user=user_id, text=text)
    except Exception:  # nowhere else to say it: the outcome is logged
        log.warning("could not tell %s in %s: %s", user_id, channel, text)
