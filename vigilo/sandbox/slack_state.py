"""The sandbox workspace: in-memory Slack state and the Web API methods Vigilo calls.

Errors and limits follow Slack's documented behaviour, so code that survives the sandbox
survives Slack: names, block counts and text sizes are checked the way Slack checks them.
"""

from __future__ import annotations

import copy
import re
import threading
import time
from collections.abc import Callable

from vigilo.sandbox.slack_model import (
    BOT_ID,
    BOT_NAME,
    BOT_USER_ID,
    TEAM_DOMAIN,
    TEAM_ID,
    TEAM_NAME,
    Channel,
    Message,
    Params,
    SlackError,
    User,
    arg,
    flag,
    message_content,
    message_metadata,
)
from vigilo.sandbox.slack_views import ViewStore

MAX_CHANNEL_NAME = 80
MAX_TOPIC = 250
_CHANNEL_NAME = re.compile(r"[a-z0-9_-]+")


class SlackState:
    """One workspace. Every public method takes the lock: the HTTP server is threaded."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.users: dict[str, User] = {}
        self.channels: dict[str, Channel] = {}
        self.messages: dict[str, list[Message]] = {}
        self.ephemerals: dict[str, list[Message]] = {}
        self.pins: dict[str, list[str]] = {}
        self.views = ViewStore(TEAM_ID, BOT_ID)
        self._ids = 0
        self._last_us = 0
        self.add_user(BOT_USER_ID, BOT_NAME, "Vigilo", is_bot=True)
        self._methods: dict[str, Callable[[Params], Params]] = {
            "auth.test": self._auth_test, "users.info": self._users_info,
            "conversations.create": self._create, "conversations.info": self._info,
            "conversations.join": self._join, "conversations.invite": self._invite,
            "conversations.setTopic": self._set_topic, "conversations.archive": self._archive,
            "conversations.members": self._members, "chat.postMessage": self._post,
            "chat.update": self._update, "chat.postEphemeral": self._post_ephemeral,
            "chat.getPermalink": self._permalink, "pins.add": self._pin,
            "views.open": self._view_open, "views.push": self._view_open,
            "views.update": self._view_update, "views.publish": self._view_publish,
            "conversations.history": self._history, "conversations.list": self._list,
            "conversations.unarchive": self._unarchive,
        }

    # --- set-up and inspection, used by tests and the demo -------------------------------
    def add_user(self, user_id: str, name: str, real_name: str | None = None, *,
                 is_admin: bool = False, is_owner: bool = False, email: str | None = None,
                 is_bot: bool = False, phone: str = "") -> User:
        with self.lock:
            user = User(user_id, name, real_name or name, is_admin, is_owner, email, is_bot,
                        phone)
            self.users[user_id] = user
            return user

    def add_channel(self, name: str, *, is_private: bool = False,
                    members: tuple[str, ...] | list[str] = (), bot_member: bool = True,
                    creator: str = "") -> str:
        with self.lock:
            channel = self._new_channel(name, is_private, "C")
            channel.creator = creator
            channel.members.extend(m for m in members if m not in channel.members)
            if bot_member and BOT_USER_ID not in channel.members:
                channel.members.insert(0, BOT_USER_ID)
            return channel.id

    def add_message(self, channel_id: str, user: str, text: str) -> str:
        """A person's message in a channel (what the Events API would report); its ts."""
        with self.lock:
            message = Message(channel_id, self._next_ts(), text, user=user)
            self.messages.setdefault(channel_id, []).append(message)
            return message.ts

    def channel_by_name(self, name: str) -> Channel | None:
        with self.lock:
            found = self._by_name(name.lstrip("#"))
            return copy.deepcopy(found)

    def call(self, method: str, params: Params) -> Params:
        handler = self._methods.get(method)
        if handler is None:
            raise SlackError("unknown_method", req_method=method)
        with self.lock:
            # Deep copies both ways: a caller mutating its dicts must not rewrite history.
            return copy.deepcopy(handler(copy.deepcopy(params)))

    # --- helpers -------------------------------------------------------------------------
    def _next_id(self, prefix: str) -> str:
        self._ids += 1
        return f"{prefix}{self._ids:07d}"

    def _next_ts(self) -> str:
        # Real ts values are epoch microseconds and unique per channel; ordering by ts must
        # match posting order even when two posts land in the same microsecond.
        self._last_us = max(int(time.time() * 1_000_000), self._last_us + 1)
        return f"{self._last_us // 1_000_000}.{self._last_us % 1_000_000:06d}"

    def _new_channel(self, name: str, is_private: bool, prefix: str) -> Channel:
        channel = Channel(self._next_id(prefix), name, is_private, created=int(time.time()))
        self.channels[channel.id] = channel
        self.messages[channel.id] = []
        self.ephemerals[channel.id] = []
        self.pins[channel.id] = []
        return channel

    def _by_name(self, name: str) -> Channel | None:
        return next((c for c in self.channels.values() if c.name == name and not c.is_im), None)

    def _channel(self, params: Params, key: str = "channel") -> Channel:
        ref = arg(params, key, "channel_not_found")
        if ref in self.channels:
            return self.channels[ref]
        if ref.startswith("U") and ref in self.users:
            return self._im_with(ref)  # posting to a user id opens the DM, as Slack does
        found = self._by_name(ref.lstrip("#"))
        if found is None:
            raise SlackError("channel_not_found")
        return found

    def _im_with(self, user_id: str) -> Channel:
        for channel in self.channels.values():
            if channel.is_im and channel.members == [BOT_USER_ID, user_id]:
                return channel
        channel = self._new_channel("", False, "D")
        channel.is_im = True
        channel.members.extend([BOT_USER_ID, user_id])
        return channel

    def _writable(self, params: Params) -> Channel:
        channel = self._channel(params)
        if channel.archived:
            raise SlackError("is_archived")
        if BOT_USER_ID not in channel.members:
            raise SlackError("not_in_channel")
        return channel

    def _message(self, channel: Channel, ts: str) -> Message:
        for message in self.messages[channel.id]:
            if message.ts == ts:
                return message
        raise SlackError("message_not_found")

    # --- methods -------------------------------------------------------------------------
    def _auth_test(self, params: Params) -> Params:
        return {"url": f"https://{TEAM_DOMAIN}.slack.com/", "team": TEAM_NAME, "user": BOT_NAME,
                "team_id": TEAM_ID, "user_id": BOT_USER_ID, "bot_id": BOT_ID,
                "is_enterprise_install": False}

    def _users_info(self, params: Params) -> Params:
        user = self.users.get(arg(params, "user", "user_not_found"))
        if user is None:
            raise SlackError("user_not_found")
        return {"user": user.to_api()}

    def _create(self, params: Params) -> Params:
        name = str(params.get("name") or "")
        if not name:
            raise SlackError("invalid_name_required")
        if len(name) > MAX_CHANNEL_NAME:
            raise SlackError("invalid_name_maxlength")
        if not _CHANNEL_NAME.fullmatch(name):
            raise SlackError("invalid_name_specials")
        if self._by_name(name) is not None:  # archived channels keep their names on Slack
            raise SlackError("name_taken")
        channel = self._new_channel(name, flag(params.get("is_private")), "C")
        channel.members.append(BOT_USER_ID)
        channel.creator = BOT_USER_ID
        return {"channel": channel.to_api()}

    def _list(self, params: Params) -> Params:
        """Public channels (private ones with types=private_channel), paged by `limit`."""
        types = str(params.get("types") or "public_channel")
        skip_archived = flag(params.get("exclude_archived"))
        found = [c for c in self.channels.values() if not c.is_im
                 and (("private_channel" in types) if c.is_private else
                      ("public_channel" in types))
                 and not (skip_archived and c.archived)]
        start = int(str(params.get("cursor") or "0") or 0)
        limit = max(1, min(int(str(params.get("limit") or 100)), 1000))
        page = found[start:start + limit]
        more = start + limit < len(found)
        return {"channels": [c.to_api() for c in page],
                "response_metadata": {"next_cursor": str(start + limit) if more else ""}}

    def _unarchive(self, params: Params) -> Params:
        channel = self._channel(params)
        if not channel.archived:
            raise SlackError("not_archived")
        channel.archived = False
        return {}

    def _info(self, params: Params) -> Params:
        return {"channel": self._channel(params).to_api()}

    def _join(self, params: Params) -> Params:
        channel = self._channel(params)
        if channel.archived:
            raise SlackError("is_archived")
        if channel.is_private or channel.is_im:
            raise SlackError("method_not_supported_for_channel_type")
        out: Params = {}
        if BOT_USER_ID in channel.members:
            out["warning"] = "already_in_channel"
        else:
            channel.members.append(BOT_USER_ID)
        return {**out, "channel": channel.to_api()}

    def _invite(self, params: Params) -> Params:
        channel = self._writable(params)
        raw = params.get("users") or ""
        wanted = raw if isinstance(raw, list) else [u.strip() for u in str(raw).split(",")]
        wanted = [u for u in wanted if u]
        if not wanted:
            raise SlackError("no_user")
        if BOT_USER_ID in wanted:
            raise SlackError("cant_invite_self")
        if any(u not in self.users for u in wanted):
            raise SlackError("user_not_found")
        new = [u for u in dict.fromkeys(wanted) if u not in channel.members]
        if not new:
            raise SlackError("already_in_channel")
        channel.members.extend(new)
        return {"channel": channel.to_api()}

    def _set_topic(self, params: Params) -> Params:
        channel = self._writable(params)
        topic = str(params.get("topic") or "")
        if len(topic) > MAX_TOPIC:
            raise SlackError("too_long")
        channel.topic = topic
        return {"channel": channel.to_api()}

    def _archive(self, params: Params) -> Params:
        channel = self._channel(params)
        if channel.archived:
            raise SlackError("already_archived")
        if channel.is_im:
            raise SlackError("method_not_supported_for_channel_type")
        channel.archived = True
        return {}

    def _members(self, params: Params) -> Params:
        return {"members": list(self._channel(params).members),
                "response_metadata": {"next_cursor": ""}}

    def _post(self, params: Params) -> Params:
        channel = self._writable(params)
        text, blocks, attachments = message_content(params, required=True)
        thread_ts = params.get("thread_ts") or None
        message = Message(channel.id, self._next_ts(), text, blocks, attachments,
                          str(thread_ts) if thread_ts else None, metadata=message_metadata(params))
        self.messages[channel.id].append(message)
        return {"channel": channel.id, "ts": message.ts, "message": message.to_api()}

    def _update(self, params: Params) -> Params:
        channel = self._channel(params)
        message = self._message(channel, arg(params, "ts", "message_not_found"))
        if message.user != BOT_USER_ID:
            raise SlackError("cant_update_message")
        text, blocks, attachments = message_content(params, required=False)
        # Slack keeps whatever the update leaves out; an explicit empty list clears blocks.
        if "text" in params:
            message.text = text
        if "blocks" in params:
            message.blocks = blocks
        if "attachments" in params:
            message.attachments = attachments
        message.edited = True
        return {"channel": channel.id, "ts": message.ts, "text": message.text,
                "message": message.to_api()}

    def _post_ephemeral(self, params: Params) -> Params:
        channel = self._writable(params)
        user = arg(params, "user", "user_not_found")
        if user not in self.users:
            raise SlackError("user_not_found")
        if user not in channel.members:
            raise SlackError("user_not_in_channel")
        text, blocks, attachments = message_content(params, required=True)
        message = Message(channel.id, self._next_ts(), text, blocks, attachments,
                          ephemeral_to=user)
        self.ephemerals[channel.id].append(message)
        return {"message_ts": message.ts}

    def _history(self, params: Params) -> Params:
        """Newest first; `latest` + `inclusive` + `limit=1` fetches one message by its ts."""
        channel = self._channel(params)
        latest, oldest = params.get("latest"), params.get("oldest")
        inclusive = str(params.get("inclusive") or "").lower() in ("1", "true")
        with_metadata = flag(params.get("include_all_metadata"))
        limit = int(params.get("limit") or 100)
        found = [m for m in reversed(self.messages[channel.id]) if m.thread_ts in (None, m.ts)
                 and (latest is None or float(m.ts) < float(str(latest))
                      or (inclusive and m.ts == str(latest)))
                 and (oldest is None or float(m.ts) > float(str(oldest))
                      or (inclusive and m.ts == str(oldest)))]
        shown = [m.to_api_with_metadata() if with_metadata else m.to_api()
                 for m in found[:limit]]
        return {"messages": shown, "has_more": len(found) > limit,
                "response_metadata": {"next_cursor": ""}}

    def _permalink(self, params: Params) -> Params:
        channel = self._channel(params)
        message = self._message(channel, arg(params, "message_ts", "message_not_found"))
        link = (f"https://{TEAM_DOMAIN}.slack.com/archives/{channel.id}/"
                f"p{message.ts.replace('.', '')}")
        if message.thread_ts:
            link += f"?thread_ts={message.thread_ts}&cid={channel.id}"
        return {"channel": channel.id, "permalink": link}

    def _pin(self, params: Params) -> Params:
        channel = self._channel(params)
        if channel.archived:
            raise SlackError("is_archived")
        message = self._message(channel, arg(params, "timestamp", "no_item_specified"))
        if message.ts in self.pins[channel.id]:
            raise SlackError("already_pinned")
        self.pins[channel.id].append(message.ts)
        return {}

    def _view_open(self, params: Params) -> Params:
        arg(params, "trigger_id")
        return {"view": self.views.open(params.get("view"))}

    def _view_update(self, params: Params) -> Params:
        view_id = params.get("view_id") or params.get("external_id")
        if not view_id:
            raise SlackError("invalid_arguments")
        return {"view": self.views.update(str(view_id), params.get("view"), params.get("hash"))}

    def _view_publish(self, params: Params) -> Params:
        user = arg(params, "user_id", "user_not_found")
        if user not in self.users:
            raise SlackError("user_not_found")
        return {"view": self.views.publish(user, params.get("view"), params.get("hash"))}
