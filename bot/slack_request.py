"""Slack request bodies, parsed by what they are rather than by what their text looks like.

Bolt 1.30's parser (`slack_bolt.request.internals.parse_body`) sniffs the raw text: a form
body that merely *contains* the word "payload" anywhere (a slash command "declare payload
service down", a channel called #payments-payload, a user named payload) is taken for an
interactivity payload, no `payload` field is found, the body becomes `{}` and Bolt answers
404 "unhandled request"; a JSON body that is not an object, or whose fields have other types
than Slack's, makes Bolt's context builders raise (500). Here the content type decides: a
form is split into its fields first and only a field named `payload` is JSON; JSON must be an
object; and the few fields Bolt and our listeners read must have Slack's types. Bolt then
gets the parsed body as is (`SlackRequest`) and never parses the text itself.
"""

import json
from typing import Any
from urllib.parse import parse_qsl

from slack_bolt import BoltRequest

MAX_BODY = 1_000_000  # bytes; a full modal's state is well under this, Slack's own cap is lower
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"

# Field → the types Slack sends; anything else is a request Slack did not send.
_TOP: dict[str, tuple[type, ...]] = {
    "type": (str,), "team_id": (str,), "api_app_id": (str,), "event_id": (str,),
    "team": (dict, str), "user": (dict, str), "channel": (dict, str), "enterprise": (dict, str),
    "event": (dict,), "view": (dict,), "actions": (list,), "authorizations": (list,),
    "container": (dict,), "message": (dict,), "command": (str,), "text": (str,),
    "user_id": (str,), "channel_id": (str,), "trigger_id": (str,), "response_url": (str,),
    "callback_id": (str,), "enterprise_id": (str,), "is_enterprise_install": (bool, str),
    # block_suggestion: Bolt matches action_id as text, the listener searches `value`.
    "action_id": (str,), "block_id": (str,), "value": (str,),
}
# Slack leaves these out rather than send null (and Bolt reads them as present objects).
_NEVER_NULL = {"event", "view", "actions", "authorizations", "container", "message"}
_NESTED_IDS = ("team", "user", "channel", "enterprise")


class BadRequest(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def parse(raw: str, content_type: str | None) -> dict[str, Any]:
    """The request's fields, as Slack meant them; BadRequest (4xx, with why) otherwise."""
    kind = media_type(content_type)
    if "\x00" in raw:  # Slack escapes NUL in JSON and percent-encodes it in forms
        raise BadRequest(400, "the body holds a raw NUL character")
    if kind == FORM:
        fields = dict(parse_qsl(raw, keep_blank_values=True))
        body = _json(fields["payload"], "the payload field") if "payload" in fields else fields
    elif kind == JSON:
        body = _json(raw, "the body")
    else:
        raise BadRequest(415, f"unsupported content type '{kind or 'none'}': Slack sends "
                              f"{FORM} or {JSON}")
    check_shape(body)
    return body


def _json(text: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise BadRequest(400, f"{what} is not JSON ({error.msg})") from None
    except ValueError:  # e.g. a number too long to convert
        raise BadRequest(400, f"{what} is not JSON Slack sends") from None
    if not isinstance(value, dict):
        raise BadRequest(400, f"{what} is JSON but not an object")
    return value


def check_shape(body: dict[str, Any]) -> None:
    for name, types in _TOP.items():
        if name not in body or (body[name] is None and name not in _NEVER_NULL):
            continue
        if not isinstance(body[name], types):
            raise BadRequest(400, f"field '{name}' has the wrong type")
    for name in _NESTED_IDS:
        value = body.get(name)
        if isinstance(value, dict) and not isinstance(value.get("id", ""), str | None):
            raise BadRequest(400, f"field '{name}.id' is not a string")
    for item in body.get("authorizations") or []:
        if not isinstance(item, dict):
            raise BadRequest(400, "field 'authorizations' holds something other than objects")
    for item in body.get("actions") or []:
        if not isinstance(item, dict):
            raise BadRequest(400, "field 'actions' holds something other than objects")
    event = body.get("event")
    if isinstance(event, dict):
        for name in ("type", "subtype", "channel", "user", "ts", "text", "thread_ts"):
            if event.get(name) is not None and not isinstance(event[name], str):
                raise BadRequest(400, f"field 'event.{name}' is not a string")
        for name in ("message", "previous_message"):
            if event.get(name) is not None and not isinstance(event[name], dict):
                raise BadRequest(400, f"field 'event.{name}' is not an object")
    view = body.get("view")
    if body.get("type") in ("view_submission", "view_closed") and not (
            isinstance(view, dict) and isinstance(view.get("type"), str)):
        raise BadRequest(400, "a view submission needs its view, with the view's type")
    if isinstance(view, dict):
        state = view.get("state")
        if state is not None and not (isinstance(state, dict)
                                      and isinstance(state.get("values", {}), dict)):
            raise BadRequest(400, "field 'view.state' is not Slack's shape")


class SlackRequest(BoltRequest):
    """A BoltRequest built from a body we parsed. `replay` marks a delivery taken again from
    the inbox, long after its signature's timestamp: Bolt's own check would refuse it, so it
    is skipped there (the signature was checked when the delivery arrived)."""

    def __init__(self, raw: str, body: dict[str, Any], headers: dict[str, Any], *,
                 query: str = "", context: dict[str, Any] | None = None,
                 replay: bool = False) -> None:
        super().__init__(body=body, query=query, headers=headers, context=context,
                         mode="socket_mode")
        self.raw_body = raw
        self.mode = "socket_mode" if replay else "http"
        self.replay = replay

    def to_copyable(self) -> "SlackRequest":
        return SlackRequest(self.raw_body, dict(self.body), dict(self.headers),
                            context=self.context.to_copyable(), replay=self.replay)
