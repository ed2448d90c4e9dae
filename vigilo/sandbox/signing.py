"""Requests as Slack sends them to /slack/events: signed bodies for tests and the demo.

Slack signs `v0:{timestamp}:{raw body}` with the app's signing secret (HMAC-SHA256) and puts
the hex digest, prefixed `v0=`, in X-Slack-Signature. The body builders produce the exact
fields Slack posts, so Bolt parses them as it would parse Slack's own.
"""

import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import urlencode

from vigilo.sandbox.slack_model import TEAM_DOMAIN, TEAM_ID

APP_ID = "A0VIGILO"


def signature(secret: str, body: bytes | str, ts: int | str) -> str:
    raw = body.encode("utf-8") if isinstance(body, str) else body
    base = f"v0:{ts}:".encode() + raw
    return "v0=" + hmac.new(secret.encode("utf-8"), base, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes | str, ts: int | None = None) -> dict[str, str]:
    """The two headers Slack adds; `ts` defaults to now (Bolt refuses anything > 5 min old)."""
    stamp = int(time.time()) if ts is None else ts
    return {"X-Slack-Request-Timestamp": str(stamp),
            "X-Slack-Signature": signature(secret, body, stamp)}


def slash_command(text: str, *, user_id: str, user_name: str, channel_id: str,
                  response_url: str, command: str = "/vigilo", channel_name: str = "",
                  trigger_id: str | None = None) -> tuple[bytes, str]:
    """A slash-command POST body and its content type."""
    fields = {
        "token": "deprecated-verification-token", "team_id": TEAM_ID,
        "team_domain": TEAM_DOMAIN, "channel_id": channel_id,
        "channel_name": channel_name or channel_id, "user_id": user_id,
        "user_name": user_name, "command": command, "text": text,
        "api_app_id": APP_ID, "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id or f"{int(time.time())}.{abs(hash(text)) % 10**8}.sandbox",
    }
    return urlencode(fields).encode("utf-8"), "application/x-www-form-urlencoded"


def event_callback(event: dict[str, Any], *, event_id: str,
                   event_time: int | None = None) -> tuple[bytes, str]:
    """An Events API delivery wrapping `event` (e.g. a channel `message`)."""
    payload = {
        "token": "deprecated-verification-token", "team_id": TEAM_ID, "api_app_id": APP_ID,
        "event": event, "type": "event_callback", "event_id": event_id,
        "event_time": event_time or int(time.time()),
        "authorizations": [{"team_id": TEAM_ID, "user_id": "U0VIGILO", "is_bot": True,
                            "is_enterprise_install": False}],
        "is_ext_shared_channel": False,
    }
    return json.dumps(payload).encode("utf-8"), "application/json"


def message_event(channel_id: str, user_id: str, text: str, ts: str) -> dict[str, Any]:
    return {"type": "message", "channel": channel_id, "user": user_id, "text": text,
            "ts": ts, "event_ts": ts, "channel_type": "channel", "team": TEAM_ID}


def block_action(action_id: str, value: str, *, user_id: str, user_name: str,
                 channel_id: str, response_url: str, message_ts: str = "") -> tuple[bytes, str]:
    """An interactivity POST: someone clicked a button in a message."""
    payload = {
        "type": "block_actions", "team": {"id": TEAM_ID, "domain": TEAM_DOMAIN},
        "user": {"id": user_id, "username": user_name, "name": user_name, "team_id": TEAM_ID},
        "api_app_id": APP_ID, "token": "deprecated-verification-token",
        "container": {"type": "message", "message_ts": message_ts, "channel_id": channel_id,
                      "is_ephemeral": False},
        "trigger_id": f"{int(time.time())}.{abs(hash(action_id)) % 10**8}.sandbox",
        "channel": {"id": channel_id, "name": channel_id},
        "message": {"type": "message", "ts": message_ts, "text": ""},
        "response_url": response_url,
        "actions": [{"type": "button", "action_id": action_id, "block_id": "inc_next_moves",
                     "value": value, "action_ts": str(time.time())}],
    }
    return urlencode({"payload": json.dumps(payload)}).encode("utf-8"), (
        "application/x-www-form-urlencoded")
