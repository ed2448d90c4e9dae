"""Records, request decoding and Block Kit checks shared by the sandbox's other modules.

Limits are Slack's documented ones; problems quote Slack's `[json-pointer:...]` wording so a
failing test points at the offending block the way Slack's own answer would.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

TEAM_ID = "T0SANDBOX"
TEAM_NAME = "Sandbox"
TEAM_DOMAIN = "sandbox"
BOT_USER_ID = "U0VIGILO"
BOT_ID = "B0VIGILO"
BOT_NAME = "vigilo"

MAX_MESSAGE_TEXT = 40_000
MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_SECTION_TEXT = 3000
MAX_SECTION_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150

Params = dict[str, Any]
# Fields that slack_sdk form-encodes as JSON text; recorded decoded so tests compare dicts.
_JSON_FIELDS = ("blocks", "attachments", "view", "metadata")


class SlackError(Exception):
    """An `ok: false` answer; `extra` holds Slack's side fields such as `response_metadata`."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


def collect_text(node: Any) -> Iterator[str]:
    """Every `text` string in a block tree, depth first."""
    if isinstance(node, dict):
        if isinstance(node.get("text"), str):
            yield node["text"]
        for value in node.values():
            yield from collect_text(value)
    elif isinstance(node, list):
        for item in node:
            yield from collect_text(item)


def too_long(text_object: Any, limit: int, at: str) -> list[str]:
    text = text_object.get("text") if isinstance(text_object, dict) else text_object
    if isinstance(text, str) and len(text) > limit:
        return [f"must be less than {limit + 1} characters [json-pointer:{at}/text]"]
    return []


def block_problems(blocks: list[Any], limit: int, pointer: str) -> list[str]:
    """What Slack would reject in `blocks`, as Slack words it; empty when they are fine."""
    problems: list[str] = []
    if len(blocks) > limit:
        problems.append(f"no more than {limit} items allowed [json-pointer:{pointer}]")
    for i, block in enumerate(blocks):
        at = f"{pointer}/{i}"
        if not isinstance(block, dict) or not block.get("type"):
            problems.append(f"missing required field: type [json-pointer:{at}]")
            continue
        if block["type"] == "section":
            problems += too_long(block.get("text"), MAX_SECTION_TEXT, f"{at}/text")
            fields = block.get("fields") or []
            if len(fields) > MAX_SECTION_FIELDS:
                problems.append(f"no more than {MAX_SECTION_FIELDS} items allowed "
                                f"[json-pointer:{at}/fields]")
            for j, item in enumerate(fields):
                problems += too_long(item, MAX_FIELD_TEXT, f"{at}/fields/{j}")
        elif block["type"] == "header":
            problems += too_long(block.get("text"), MAX_HEADER_TEXT, f"{at}/text")
    return problems



def flag(value: Any) -> bool:
    # slack_sdk turns booleans into "1"/"0" in form bodies but keeps them in JSON bodies.
    return value is True or str(value).lower() in {"1", "true"}


def arg(params: Params, key: str, error: str = "invalid_arguments") -> str:
    """A required string argument; missing ones answer `error`, as Slack does per method."""
    value = params.get(key)
    if value is None or value == "":
        raise SlackError(error)
    return str(value)


def message_content(params: Params, *, required: bool) -> tuple[str, list[Params], list[Params]]:
    """Text, blocks and attachments of a message call, checked as Slack checks them."""
    text = str(params.get("text") or "")
    blocks, attachments = params.get("blocks"), params.get("attachments")
    if blocks is not None and not isinstance(blocks, list):
        raise SlackError("invalid_blocks_format")
    if attachments is not None and not isinstance(attachments, list):
        raise SlackError("invalid_attachments")
    if required and not (text or blocks or attachments):
        raise SlackError("no_text")
    if len(text) > MAX_MESSAGE_TEXT:
        raise SlackError("msg_too_long")
    problems = block_problems(blocks or [], MAX_MESSAGE_BLOCKS, "/blocks")
    if problems:
        raise SlackError("invalid_blocks", errors=problems,
                         response_metadata={"messages": [f"[ERROR] {p}" for p in problems]})
    return text, blocks or [], attachments or []


@dataclass
class User:
    id: str
    name: str
    real_name: str
    is_admin: bool = False
    is_owner: bool = False
    email: str | None = None
    is_bot: bool = False
    phone: str = ""  # Slack's profile field is free text, empty when unset

    def to_api(self) -> Params:
        profile: Params = {"real_name": self.real_name, "display_name": self.name,
                           "phone": self.phone}
        if self.email:
            profile["email"] = self.email
        return {
            "id": self.id, "team_id": TEAM_ID, "name": self.name, "real_name": self.real_name,
            "deleted": False, "is_admin": self.is_admin, "is_owner": self.is_owner,
            "is_bot": self.is_bot, "tz": "UTC", "profile": profile,
        }


@dataclass
class Channel:
    id: str
    name: str
    is_private: bool = False
    members: list[str] = field(default_factory=list)
    topic: str = ""
    archived: bool = False
    is_im: bool = False
    created: int = 0
    creator: str = ""  # the user who made it (the bot for channels made through the API)

    def to_api(self) -> Params:
        return {
            "id": self.id, "name": self.name, "is_channel": not self.is_im and not self.is_private,
            "is_group": self.is_private, "is_im": self.is_im, "is_private": self.is_private,
            "is_archived": self.archived, "is_member": BOT_USER_ID in self.members,
            "created": self.created, "creator": self.creator,
            "num_members": len(self.members),
            "topic": {"value": self.topic, "creator": "", "last_set": 0},
            "purpose": {"value": "", "creator": "", "last_set": 0},
        }


@dataclass
class Message:
    channel: str
    ts: str
    text: str
    blocks: list[Params] = field(default_factory=list)
    attachments: list[Params] = field(default_factory=list)
    thread_ts: str | None = None
    user: str = BOT_USER_ID
    edited: bool = False
    ephemeral_to: str | None = None
    metadata: Params | None = None  # chat.postMessage's `metadata` (event_type, event_payload)

    @property
    def full_text(self) -> str:
        """`text` plus every text inside the blocks: what a reader of the message sees."""
        return "\n".join([self.text, *collect_text(self.blocks), *collect_text(self.attachments)])

    def to_api(self) -> Params:
        out: Params = {"type": "message", "user": self.user, "ts": self.ts,
                       "text": self.text, "blocks": self.blocks, "team": TEAM_ID}
        if self.user == BOT_USER_ID:  # a person's message (add_message) carries no bot_id
            out["bot_id"] = BOT_ID
        if self.attachments:
            out["attachments"] = self.attachments
        if self.thread_ts:
            out["thread_ts"] = self.thread_ts
        return out

    def to_api_with_metadata(self) -> Params:
        """As conversations.history answers with include_all_metadata=true."""
        out = self.to_api()
        if self.metadata:
            out["metadata"] = self.metadata
        return out


@dataclass(frozen=True)
class Call:
    """One request as Slack saw it; `error` is None when it answered `ok: true`."""

    method: str
    params: Params
    at: float
    status: int = 200
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def decode_params(query: str, body: bytes, content_type: str) -> Params:
    """Merge query string and body (JSON or form-encoded) the way Slack accepts both."""
    params: Params = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
    if body and "json" in content_type:
        try:
            loaded = json.loads(body)
        except ValueError:
            raise SlackError("invalid_json") from None
        if not isinstance(loaded, dict):
            raise SlackError("invalid_json")
        params.update(loaded)
    elif body:
        form = parse_qs(body.decode("utf-8"), keep_blank_values=True)
        params.update({k: v[-1] for k, v in form.items()})
    for key in _JSON_FIELDS:
        value = params.get(key)
        if isinstance(value, str) and value.startswith(("[", "{")):
            # Undecodable text stays text: the method then answers invalid_blocks_format.
            with contextlib.suppress(ValueError):
                params[key] = json.loads(value)
    return params


def bearer_token(header: str) -> str:
    """The token of an `Authorization: Bearer ...` header, or "" for anything else."""
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def message_metadata(params: Params) -> Params | None:
    """`metadata` arrives as an object in a JSON body, as JSON text in a form body."""
    raw = params.get("metadata")
    if isinstance(raw, str) and raw:
        try:
            raw = json.loads(raw)
        except ValueError:
            raise SlackError("invalid_metadata_format") from None
    if raw is None or raw == "":
        return None
    if not isinstance(raw, dict) or not raw.get("event_type"):
        raise SlackError("invalid_metadata_schema")
    return raw
