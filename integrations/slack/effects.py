"""The Slack side of an incident, delivered by the outbox: channel, invites, posts, archive.

Every handler is safe to run again after a partial failure: the channel is created once
(recorded on the incident before anything else happens), Slack's "already done" answers count
as success, and posts that must not repeat are written down as soon as Slack accepts them.
A failure never touches the incident itself; it is retried or shown to the operator.
"""

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from slack_sdk import WebClient
from slack_sdk.web import SlackResponse

from core import effects as fx
from core.fsm import Move
from integrations.outbox import Effect, Handler, NotConfigured, PermanentFailure, RetryAfter
from integrations.slack import calls, channels, insight_blocks, owner_reminders, store
from integrations.slack.archive_later import ArchiveLater
from integrations.slack.blocks import announcement, closing_summary, situation_report, topic
from integrations.slack.broadcast import Broadcasts
from integrations.slack.errors import translate
from integrations.slack.wording import announcement_text
from services import situation
from store.db import Database

WAIT_FOR_CHANNEL = 2.0
LOST_RACE_RECHECK = 30.0
# conversations.invite answers these for one user among many; the others still get in.
PER_USER_ERRORS = frozenset({"user_not_found", "cant_invite_self", "cant_invite",
                             "user_is_restricted", "user_is_ultra_restricted",
                             "ura_max_channels", "user_disabled", "failed_for_some_users"})


def handlers(db: Database, client: WebClient, base_url: str) -> dict[str, Handler]:
    """The outbox handlers for every Slack effect kind in core.effects."""
    slack = SlackEffects(db, client, base_url)
    return {fx.SLACK_CREATE_CHANNEL: slack.create_channel,
            fx.SLACK_SETUP_CHANNEL: slack.setup_channel, fx.SLACK_ANNOUNCE: slack.announce,
            fx.SLACK_INVITE: slack.invite, fx.SLACK_ARCHIVE: slack.archive,
            fx.SLACK_NUDGE: slack.nudge, fx.SLACK_REFRESH_REPORT: slack.refresh_report,
            fx.SLACK_REMIND_OWNER: owner_reminders.handler(db, client, base_url),
            fx.SLACK_BROADCAST: Broadcasts(db, client, base_url).deliver,
            fx.SLACK_ARCHIVE_LATER: ArchiveLater(slack)}


class SlackEffects:
    def __init__(self, db: Database, client: WebClient, base_url: str) -> None:
        self.db = db
        self.client = client
        self.base_url = base_url
        self._me = ""  # the bot's Slack user id, asked once

    # --- handlers ------------------------------------------------------------------------
    def create_channel(self, effect: Effect) -> str:
        snap = self._snapshot(effect)
        detail = f"#{snap.channel_name} ({snap.channel_id}) already existed"
        fresh = snap.channel_id is None  # then nothing about it is remembered yet
        if fresh:
            created_id, created_name = self._create(snap.number, snap.title)
            stored_id, stored_name, won = store.store_channel(
                self.db, snap.incident_id, created_id, created_name)
            if not won:
                # Another delivery of this effect got there first (its lease ran out while
                # it worked): keep one channel, not two, and leave the rest to that delivery,
                # checking back later in case it died half-way.
                self._call(self.client.conversations_archive, "conversations.archive",
                           created_id, tolerate=("already_archived",), channel=created_id)
                raise RetryAfter(LOST_RACE_RECHECK, f"#{stored_name} was created by a "
                                 f"parallel delivery; archived the duplicate #{created_name}")
            detail = f"created #{stored_name} ({stored_id})"
            snap = replace(snap, channel_id=stored_id, channel_name=stored_name)
        # The report at once, before the topic and the invitations: what people find when they
        # arrive, and in a storm the sooner it is up the better. Its ts is remembered as soon
        # as Slack accepts it, so a retry never posts it twice.
        memo = {} if fresh else dict(snap.memo)
        if not memo.get("sitrep_ts"):
            memo["sitrep_ts"] = self._post(snap.channel_id or "", snap.where,
                                           *self._report(snap))
            store.remember(self.db, snap.channel_id or "", sitrep_ts=memo["sitrep_ts"])
        if effect.payload.get("setup") == "apart":
            return f"{detail}; situation report posted"
        # Recorded before the setup was a delivery of its own: nothing else will do it.
        return f"{detail}; situation report posted; {self._setup(snap, memo)}"

    def setup_channel(self, effect: Effect) -> str:
        """The topic, the report pinned, the people invited: after the creation (same lane),
        and held back in a burst while people's commands are being carried out."""
        snap = self._snapshot(effect)
        self._channel_or_wait(effect, snap)
        return self._setup(snap, dict(snap.memo))

    def _setup(self, snap: store.Snapshot, memo: dict[str, Any]) -> str:
        self._set_topic(snap, memo)
        if memo.get("sitrep_ts"):
            self._call(self.client.pins_add, "pins.add", snap.where,
                       channel=snap.channel_id or "",
                       tolerate=("already_pinned", "message_not_found"),
                       timestamp=str(memo["sitrep_ts"]))
        invited = self._invite(snap, list(snap.slack_user_ids))
        return f"topic set; situation report pinned; invited {len(invited)} to {snap.where}"

    def announce(self, effect: Effect) -> str:
        snap = self._snapshot(effect)
        channel = self._channel_or_wait(effect, snap)
        done = store.progress(self.db, effect.id)
        if "ts" not in done:
            text, blocks = announcement(snap.card, announcement_text(effect.payload))
            # A reopen brings back the channel archived on resolve; a channel someone archived
            # by hand stays archived (the announcement fails, saying so).
            reopen = effect.payload.get("move") == Move.REOPEN.value
            posted = self._post(channel, snap.where, text, blocks,
                                tolerate=("is_archived",) if reopen else ())
            if not posted:
                self._unarchive(effect, snap)
                posted = self._post(channel, snap.where, text, blocks)
            store.mark(self.db, effect.id, ts=posted)
            self._supersede(snap, posted, text, blocks)
        memo = store.channel_memo(self.db, snap.incident_id)
        self._set_topic(snap, memo)
        self._refresh_sitrep(snap, memo)
        return f"announced in {snap.where}"

    def post_announcement(self, snap: store.Snapshot, words: str,
                          mark: Callable[[str], object]) -> str:
        """Post `words` in the incident channel as the latest announcement (its buttons)."""
        text, blocks = announcement(snap.card, words)
        posted = self._post(snap.channel_id or "", snap.where, text, blocks)
        mark(posted)
        self._supersede(snap, posted, text, blocks)
        return posted

    def _supersede(self, snap: store.Snapshot, ts: str, text: str,
                   blocks: list[dict[str, Any]]) -> None:
        """The announcement before this one loses its buttons: only current controls stay
        (the pinned situation report and the latest announcement)."""
        previous = store.channel_memo(self.db, snap.incident_id).get("last_announcement")
        plain = [b for b in blocks if b.get("type") != "actions"]
        store.remember(self.db, snap.channel_id or "",
                       last_announcement={"ts": ts, "text": text, "blocks": plain})
        if not isinstance(previous, dict) or not previous.get("ts") or previous["ts"] == ts:
            return
        self._call(self.client.chat_update, "chat.update", snap.where,
                   tolerate=("message_not_found", "cant_update_message", "edit_window_closed",
                             "is_archived"),
                   channel=snap.channel_id or "", ts=str(previous["ts"]),
                   text=str(previous.get("text") or ""), blocks=previous.get("blocks") or [])

    def nudge(self, effect: Effect) -> str:
        """A reminder in the incident channel; none once the incident is resolved."""
        snap = self._snapshot(effect)
        if snap.status in ("resolved", "post_mortem"):
            raise NotConfigured(f"the incident is {snap.status}: reminders stop")
        channel = self._channel_or_wait(effect, snap)
        if "ts" not in store.progress(self.db, effect.id):
            text, blocks = insight_blocks.nudge(snap.card, effect.payload)
            store.mark(self.db, effect.id, ts=self._post(channel, snap.where, text, blocks))
        return f"reminder ({effect.payload.get('reminder')}) posted in {snap.where}"

    def refresh_report(self, effect: Effect) -> str:
        """Redraw the pinned report (a change that may be the cause arrived): the same
        chat.update however often it runs. With no report yet, the one posted with the
        channel carries the suggestion already."""
        snap = self._snapshot(effect)
        memo = snap.memo if snap.channel_id else {}
        if not memo.get("sitrep_ts"):
            raise NotConfigured("no situation report yet: the one posted with the channel "
                                "will show it")
        self._refresh_sitrep(snap, memo)
        return f"situation report refreshed in {snap.where}"

    def invite(self, effect: Effect) -> str:
        snap = self._snapshot(effect)
        self._channel_or_wait(effect, snap)
        ids = [int(i) for i in effect.payload.get("member_ids") or []]
        invited = self._invite(snap, store.slack_ids(self.db, snap.workspace_id, ids))
        return f"invited {len(invited)} to {snap.where}"

    def archive(self, effect: Effect) -> str:
        snap = self._snapshot(effect)
        if snap.channel_id is None:
            raise NotConfigured("the incident has no Slack channel to archive")
        if snap.status not in ("resolved", "post_mortem"):
            raise NotConfigured(f"the incident was reopened ({snap.status}): "
                                "its channel stays open")
        if not snap.settings.auto_archive:
            raise NotConfigured("auto_archive is off for this workspace")
        if "summary_ts" not in store.progress(self.db, effect.id):
            text, blocks = closing_summary(snap.card, store.closing_facts(self.db, snap))
            # Someone may have archived the channel by hand: then there is nothing to add.
            posted = self._post(snap.channel_id, snap.where, text, blocks,
                                tolerate=("is_archived",))
            store.mark(self.db, effect.id, summary_ts=posted)
        self._call(self.client.conversations_archive, "conversations.archive", snap.where,
                   tolerate=("already_archived",), channel=snap.channel_id)
        store.add_event(self.db, snap.incident_id, store.CHANNEL_ARCHIVED,
                        f"Slack channel {snap.where} archived", f"slack:archived:{effect.id}",
                        {"channel_id": snap.channel_id})
        return f"closing summary posted; {snap.where} archived"

    # --- steps ---------------------------------------------------------------------------
    def _snapshot(self, effect: Effect) -> store.Snapshot:
        incident_id = effect.incident_id or int(effect.payload.get("incident_id") or 0)
        try:
            return store.load(self.db, incident_id, self.base_url)
        except store.IncidentGone as gone:
            raise PermanentFailure(str(gone)) from None

    def _channel_or_wait(self, effect: Effect, snap: store.Snapshot) -> str:
        """The incident's channel; or wait for a creation queued ahead; or settle without."""
        if snap.channel_id is not None:
            return snap.channel_id
        if not snap.settings.auto_create_channel:
            raise NotConfigured("incident channels are off (workspace setting "
                                "auto_create_channel)")
        found = store.channel_effect(self.db, snap.incident_id)
        if found is not None and found.status == "pending" and found.id < effect.id:
            raise RetryAfter(WAIT_FOR_CHANNEL, "waiting for the incident channel")
        if found is not None and found.status == "dead":
            raise PermanentFailure("the incident channel could not be created: "
                                   f"{found.last_error}")
        # Nothing to post to yet (e.g. channels start at investigating): the situation
        # report posted when the channel is created carries the current state.
        raise NotConfigured(f"no incident channel yet (created on "
                            f"{snap.settings.create_channel_on})")

    def _create(self, number: int, title: str) -> tuple[str, str]:
        def create(name: str) -> SlackResponse | str:
            return self._call(self.client.conversations_create, "conversations.create",
                              f"#{name}", tolerate=("name_taken",), name=name)

        return channels.create(self.client, self.db, number, title, create, self._bot_user_id)

    def _bot_user_id(self) -> str:
        if not self._me:
            self._me = str(self.client.auth_test().get("user_id") or "")
        return self._me

    def _unarchive(self, effect: Effect, snap: store.Snapshot) -> None:
        """A reopened incident's channel comes back, with its people, to take posts again."""
        self._call(self.client.conversations_unarchive, "conversations.unarchive", snap.where,
                   tolerate=("not_archived",), channel=snap.channel_id or "")
        self._invite(snap, list(snap.slack_user_ids))
        store.add_event(self.db, snap.incident_id, store.CHANNEL_UNARCHIVED,
                        f"Slack channel {snap.where} unarchived", f"slack:unarchived:{effect.id}",
                        {"channel_id": snap.channel_id})

    def _invite(self, snap: store.Snapshot, user_ids: list[str]) -> list[str]:
        users = list(dict.fromkeys(u for u in user_ids if u))
        channel = snap.channel_id or ""
        if not users:
            return []
        tolerate = ("already_in_channel", *PER_USER_ERRORS)
        answer = self._call(self.client.conversations_invite, "conversations.invite",
                            snap.where, tolerate=tolerate, channel=channel, users=users)
        if isinstance(answer, SlackResponse):
            return users
        if len(users) == 1:
            return []
        invited = []  # one bad or present user must not keep everyone else out
        for user in users:
            one = self._call(self.client.conversations_invite, "conversations.invite",
                             snap.where, tolerate=tolerate, channel=channel, users=[user])
            if isinstance(one, SlackResponse):
                invited.append(user)
        return invited

    def _set_topic(self, snap: store.Snapshot, memo: dict[str, Any]) -> None:
        """Set the topic unless it is unchanged, and remember it."""
        # Slack tells the channel about every topic change, so an unchanged one is not re-set.
        wanted = topic(snap.card)
        if memo.get("topic") == wanted:
            return
        self._call(self.client.conversations_setTopic, "conversations.setTopic", snap.where,
                   channel=snap.channel_id or "", topic=wanted)
        store.remember(self.db, snap.channel_id or "", topic=wanted)

    def _refresh_sitrep(self, snap: store.Snapshot, memo: dict[str, Any]) -> None:
        """Keep the pinned report current; someone deleting it is no reason to fail."""
        ts = memo.get("sitrep_ts")
        if not ts or snap.channel_id is None:
            return
        text, blocks = self._report(snap)
        self._call(self.client.chat_update, "chat.update", snap.where,
                   tolerate=("message_not_found", "cant_update_message", "edit_window_closed"),
                   channel=snap.channel_id, ts=ts, text=text, blocks=blocks)

    def _report(self, snap: store.Snapshot) -> tuple[str, list[dict[str, Any]]]:
        insight = situation.for_incident(self.db, snap.subject)
        return situation_report(snap.card, insight_blocks.probable_cause(snap.card, insight))

    def _post(self, channel: str, where: str, text: str, blocks: list[dict[str, Any]], *,
              tolerate: tuple[str, ...] = ()) -> str:
        """The posted message's ts, or "" when Slack answered a tolerated error."""
        answer = self._call(self.client.chat_postMessage, "chat.postMessage", where,
                            tolerate=tolerate, channel=channel, text=text, blocks=blocks,
                            unfurl_links=False)
        return str(answer["ts"]) if isinstance(answer, SlackResponse) else ""

    def _call(self, fn: Callable[..., SlackResponse], method: str, where: str, *,
              tolerate: tuple[str, ...] = (), **kwargs: Any) -> SlackResponse | str:
        return calls.call(self.client, fn, method,
                          lambda error, _code, called: translate(error, called, where),
                          join=lambda: kwargs.get("channel"), tolerate=tolerate, **kwargs)
