"""The announcements channel (`announce_channel`), delivered by the outbox.

An incident's card is posted once and then only updated (chat.update); its channel and ts
live in integration_link (kind "announcement"). A post whose answer was lost must not
become a second post: before posting, the attempt writes down when it started; a retry
looks in conversations.history for the bot's message stamped with this effect's id (message
metadata) and adopts it. The bot joins a public announcements channel it was removed from
when it knows the channel's id; otherwise the error says whom to invite where, and
`/vigilo integrations` shows it.
"""

import time
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from core.channel_settings import is_channel_id
from core.policies.slack_channels import POSTMORTEM, STORM
from core.severity import Severity
from integrations.outbox import Effect, NotConfigured, PermanentFailure
from integrations.slack import calls, store
from integrations.slack.broadcast_blocks import (
    EVENT_TYPE,
    incident_card,
    postmortem_post,
    storm_post,
)
from integrations.slack.errors import translate
from services import integration_state
from services.workspace_view import workspace_ref
from store.db import Database

ANNOUNCEMENT, ANNOUNCE_CHANNEL = "announcement", "announce_channel"  # integration_link kinds
# Someone deleted the card: nothing to update, and no reason to fail. A channel gone or
# archived is not tolerated: that error, with its fix, is what troubleshooting must show.
UPDATE_GONE = ("message_not_found", "cant_update_message", "edit_window_closed")
HISTORY_PAGE = 200


class Broadcasts:
    def __init__(self, db: Database, client: WebClient, base_url: str) -> None:
        self.db = db
        self.client = client
        self.base_url = base_url.rstrip("/")

    def deliver(self, effect: Effect) -> str:
        if effect.payload.get("what") == STORM:
            return self._storm(effect)
        try:
            snap = store.load(self.db, effect.incident_id or 0, self.base_url)
        except store.IncidentGone as gone:
            raise PermanentFailure(str(gone)) from None
        ref = snap.settings.announce_channel
        if not ref:
            raise NotConfigured("announce_channel is off for this workspace")
        if effect.payload.get("what") == POSTMORTEM:
            text, blocks = postmortem_post(snap.card, effect.payload.get("actor"))
            self._post_once(effect, snap.workspace_id, ref, text, blocks)
            return f"postmortem of {snap.key} announced in {ref}"
        return self._incident(effect, snap, ref)

    # --- what is announced ---------------------------------------------------------------
    def _incident(self, effect: Effect, snap: store.Snapshot, ref: str) -> str:
        text, blocks = incident_card(snap.card, snap.channel_id)
        link = integration_state.first_for_incident(self.db, store.SLACK, snap.incident_id,
                                                    ANNOUNCEMENT)
        if link is not None:
            channel, ts = str(link.state.get("channel")), str(link.state.get("ts"))
            answer = self._call(self.client.chat_update, "chat.update", snap.workspace_id,
                                ref, tolerate=UPDATE_GONE, channel=channel, ts=ts,
                                text=text, blocks=blocks)
            if isinstance(answer, str):
                return f"{snap.key}'s message in {ref} was not updated ({answer}); left alone"
            return f"{snap.key}'s message in {ref} updated ({snap.card.status_text})"
        threshold = snap.settings.announce_severity
        if not Severity(snap.card.severity).at_least(threshold):
            raise NotConfigured(f"{snap.key} is {snap.card.severity}, below announce_severity "
                                f"{threshold.value}: not in the announcements channel")
        channel, ts = self._post_once(effect, snap.workspace_id, ref, text, blocks)
        integration_state.link(self.db, store.SLACK, f"{channel}:{ts}", kind=ANNOUNCEMENT,
                               workspace_id=snap.workspace_id, incident_id=snap.incident_id,
                               state={"channel": channel, "ts": ts})
        return f"{snap.key} announced in {ref}"

    def _storm(self, effect: Effect) -> str:
        workspace = workspace_ref(self.db, effect.workspace_id or 0)
        if workspace is None:
            raise PermanentFailure("the workspace no longer exists")
        ref = workspace.settings.announce_channel
        if not ref:
            raise NotConfigured("announce_channel is off for this workspace")
        storm_id = int(effect.payload.get("storm_id") or 0)
        url = f"{self.base_url}/ws/{workspace.slug}/storms/{storm_id}"
        text, blocks = storm_post(storm_id, str(effect.payload.get("reason") or ""),
                                  int(effect.payload.get("members") or 0), url)
        self._post_once(effect, workspace.id, ref, text, blocks)
        return f"storm #{storm_id} announced in {ref}"

    # --- posting once --------------------------------------------------------------------
    def _post_once(self, effect: Effect, workspace_id: int, ref: str, text: str,
                   blocks: list[dict[str, Any]]) -> tuple[str, str]:
        done = store.progress(self.db, effect.id)
        if done.get("ts"):
            return str(done["channel"]), str(done["ts"])
        if done.get("posting"):  # an earlier attempt may have posted and lost the answer
            found = self._find(effect.id, workspace_id, ref, str(done["posting"]))
            if found is not None:
                store.mark(self.db, effect.id, channel=found[0], ts=found[1], adopted=True)
                return found
        else:
            store.mark(self.db, effect.id, posting=f"{time.time() - 1:.6f}")
        answer = self._call(self.client.chat_postMessage, "chat.postMessage", workspace_id,
                            ref, channel=ref, text=text, blocks=blocks, unfurl_links=False,
                            metadata={"event_type": EVENT_TYPE,
                                      "event_payload": {"effect_id": effect.id}})
        assert isinstance(answer, SlackResponse)
        channel, ts = str(answer["channel"]), str(answer["ts"])
        store.mark(self.db, effect.id, channel=channel, ts=ts)
        self._learn(workspace_id, ref, channel)
        return channel, ts

    def _find(self, effect_id: int, workspace_id: int, ref: str,
              since: str) -> tuple[str, str] | None:
        channel = self._channel_id(workspace_id, ref)
        if channel is None:
            return None  # never posted there by name yet: nothing to search by
        try:
            answer = self.client.conversations_history(channel=channel, oldest=since,
                                                       include_all_metadata=True,
                                                       limit=HISTORY_PAGE)
        except SlackApiError:
            return None  # cannot look: posting again beats never posting
        for message in answer.get("messages") or []:
            meta = message.get("metadata") or {}
            payload = meta.get("event_payload") or {}
            if meta.get("event_type") == EVENT_TYPE and payload.get("effect_id") == effect_id:
                return channel, str(message.get("ts"))
        return None

    def _channel_id(self, workspace_id: int, ref: str) -> str | None:
        if is_channel_id(ref):
            return ref
        known = integration_state.find(self.db, store.SLACK, _learned_key(workspace_id, ref))
        return str(known.state.get("channel_id")) if known else None

    def _learn(self, workspace_id: int, ref: str, channel_id: str) -> None:
        if is_channel_id(ref):
            return
        link, created = integration_state.link(
            self.db, store.SLACK, _learned_key(workspace_id, ref), kind=ANNOUNCE_CHANNEL,
            workspace_id=workspace_id, state={"channel_id": channel_id})
        if not created and link.state.get("channel_id") != channel_id:  # renamed, re-made
            integration_state.update(self.db, store.SLACK, link.external_id,
                                     channel_id=channel_id)

    def _call(self, fn: Callable[..., SlackResponse], method: str, workspace_id: int,
              ref: str, *, tolerate: tuple[str, ...] = (),
              **kwargs: Any) -> SlackResponse | str:
        return calls.call(self.client, fn, method,
                          lambda error, code, called: _explain(error, code, called, ref),
                          join=lambda: self._channel_id(workspace_id, ref),
                          tolerate=tolerate, **kwargs)


def _learned_key(workspace_id: int, ref: str) -> str:
    return f"announce:{workspace_id}:{ref}"


def fix(code: str, ref: str) -> str | None:
    """What the operator should do when the announcements channel refuses the bot."""
    place = f"the announcements channel {ref}"
    if code == "not_in_channel":
        hint = "" if is_channel_id(ref) else (
            ", or set announce_channel to the channel's id (C…) so Vigilo can join a public "
            "channel by itself")
        return (f"Vigilo is not in {place}: invite @Vigilo to {ref} (type `/invite @Vigilo` "
                f"there){hint}; then `vigilo outbox retry --dead`")
    if code == "channel_not_found":
        return (f"{place} does not exist or Vigilo cannot see it (a private channel it was "
                f"not invited to): create it and invite @Vigilo, or change it with "
                "`vigilo workspace set <slug> announce_channel #other` (off turns it off)")
    if code == "is_archived":
        return (f"{place} is archived: unarchive it in Slack, or change announce_channel "
                "(`vigilo workspace set <slug> announce_channel #other`)")
    return None


def _explain(error: SlackApiError, code: str, method: str, ref: str) -> Exception:
    text = fix(code, ref)
    return PermanentFailure(text) if text else translate(error, method,
                                                         f"the announcements channel {ref}")
