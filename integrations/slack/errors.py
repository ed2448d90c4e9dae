"""Slack's answers, sorted into what the outbox does next.

429 waits exactly as long as Slack asked; 5xx, unknown hiccups and answers that are not JSON
are retried with backoff;
errors no retry can fix become PermanentFailure with a message that tells the operator what
to change, because that message is what troubleshooting shows.
"""

from collections.abc import Mapping
from typing import Any

from slack_sdk.errors import SlackApiError

from integrations.outbox import PermanentFailure, RetryAfter

DEFAULT_RETRY_AFTER = 10.0
# slack_sdk's stand-in `error` for a body that is not JSON (web/base_client.py).
NOT_JSON = "Received a response in a non-JSON format"

AUTH_ERRORS = frozenset({"not_authed", "invalid_auth", "token_revoked", "token_expired",
                         "account_inactive", "no_permission", "org_login_required",
                         "ekm_access_denied", "team_access_not_granted"})
# Slack's own hiccups, answered with HTTP 200: retrying later usually works.
TRANSIENT_ERRORS = frozenset({"internal_error", "fatal_error", "service_unavailable",
                              "request_timeout", "team_added_to_org"})

# The scope each method needs, for when Slack's answer does not name it.
SCOPES = {"conversations.create": "channels:manage", "conversations.invite": "channels:manage",
          "conversations.setTopic": "channels:manage", "conversations.archive": "channels:manage",
          "conversations.unarchive": "channels:manage", "conversations.list": "channels:read",
          "conversations.join": "channels:join", "chat.postMessage": "chat:write",
          "chat.update": "chat:write", "pins.add": "pins:write"}


class SlackUnavailable(RuntimeError):
    """Slack is down or failed this request: retried with backoff by the outbox."""


def error_code(error: SlackApiError) -> str:
    data = error.response.data if error.response is not None else None
    if isinstance(data, Mapping):
        return str(data.get("error") or "")
    return ""


def retry_after(headers: Mapping[str, Any] | None) -> float | None:
    for name, value in (headers or {}).items():
        if str(name).lower() == "retry-after":
            raw = value[0] if isinstance(value, list | tuple) and value else value
            try:
                return max(0.0, float(str(raw).strip()))
            except ValueError:
                return None
    return None


def translate(error: SlackApiError, method: str, where: str = "") -> Exception:
    """The exception the outbox should see for this Slack answer."""
    response = error.response
    status = int(getattr(response, "status_code", 200) or 200)
    code = error_code(error)
    wait = retry_after(getattr(response, "headers", None))
    if status == 429 or code == "ratelimited":
        return RetryAfter(DEFAULT_RETRY_AFTER if wait is None else wait,
                          f"Slack rate-limited {method}")
    if status >= 500:
        if wait is not None:
            return RetryAfter(wait, f"Slack answered HTTP {status} to {method}")
        return SlackUnavailable(f"Slack answered HTTP {status} to {method}"
                                + (f" ({code})" if code else ""))
    if code in TRANSIENT_ERRORS:
        return SlackUnavailable(f"Slack answered {code} to {method}")
    if code.startswith(NOT_JSON):
        # A proxy's error page, say: nothing was refused, and the call may have happened;
        # every Slack effect is safe to run again (a channel made meanwhile is adopted).
        return SlackUnavailable(f"Slack's answer to {method} was not JSON (HTTP {status})")
    return PermanentFailure(explain(code, method, where, response))


def explain(code: str, method: str, where: str, response: Any = None) -> str:
    """What went wrong and what the operator should do about it."""
    place = where or "the incident channel"
    if code == "missing_scope":
        data = getattr(response, "data", None)
        needed = data.get("needed") if isinstance(data, Mapping) else None
        needed = needed or SCOPES.get(method)
        scope = f"the {needed} scope" if needed else "a scope it needs"
        return (f"the Slack app lacks {scope} for {method}: reinstall it from manifest.yml "
                "(Slack → Your apps → Vigilo → Reinstall)")
    if code in AUTH_ERRORS:
        return (f"Slack refused the bot token ({code}) on {method}: set SLACK_BOT_TOKEN to "
                "the app's current xoxb- token, or reinstall the app from manifest.yml")
    if code == "channel_not_found":
        return f"{place} no longer exists in Slack (deleted, or the bot cannot see it)"
    if code == "is_archived":
        return f"{place} is archived: unarchive it in Slack, then retry"
    if code == "not_in_channel":
        return f"the Vigilo bot is not in {place} and could not join it: invite @vigilo there"
    if code == "restricted_action":
        return (f"the Slack workspace does not let apps call {method}: a Slack admin must "
                "allow apps to manage channels")
    if code in ("invalid_blocks", "msg_too_long", "invalid_arguments", "too_long"):
        return f"Slack refused the {method} request ({code}): this is a Vigilo bug, report it"
    return f"Slack refused {method}: {code or 'unknown error'}"
