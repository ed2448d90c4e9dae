"""Block Kit inputs for modals, reading their submitted values, and the modal's metadata."""

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from integrations.slack.blocks import clip

Block = dict[str, Any]
Values = dict[str, dict[str, Any]]
ACTION = "value"  # every input's action_id: the block_id names the field
MAX_TITLE = 24  # Slack's limit for a modal's title, submit and close labels


class FieldErrors(Exception):
    """Problems to show under the inputs (`response_action: errors`), by block id."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True)
class Meta:
    """What a modal carries between opening and submission (`private_metadata`)."""

    key: str | None = None
    response_url: str | None = None  # where the outcome is reported; else a DM
    channel: str | None = None
    item: str | None = None  # what in the incident the modal is about (an entry, a page)

    def dump(self) -> str:
        return json.dumps({k: v for k, v in asdict(self).items() if v})

    @classmethod
    def load(cls, text: str | None) -> "Meta":
        try:
            data = json.loads(text or "{}")
        except ValueError:
            return cls()
        if not isinstance(data, dict):
            return cls()
        return cls(**{k: str(v) for k, v in data.items()
                      if k in ("key", "response_url", "channel", "item") and v})


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def modal(callback_id: str, title: str, blocks: list[Block], meta: Meta, *,
          submit: str | None = "Submit") -> Block:
    view: Block = {"type": "modal", "callback_id": callback_id,
                   "title": plain(clip(title, MAX_TITLE)), "close": plain("Cancel"),
                   "blocks": blocks, "private_metadata": meta.dump()}
    if submit:
        view["submit"] = plain(submit)
    return view


def notice(title: str, text: str) -> Block:
    """A modal that only says something (progress, outcome)."""
    return {"type": "modal", "title": plain(clip(title, MAX_TITLE)), "close": plain("Close"),
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": clip(text, 3000)}}]}


def banner(error: str | None) -> list[Block]:
    if not error:
        return []
    return [{"type": "section", "text": {"type": "mrkdwn", "text": clip(f"⚠️ {error}", 3000)}}]


def _input(block_id: str, label: str, element: Block, *, optional: bool = False,
           hint: str | None = None) -> Block:
    block: Block = {"type": "input", "block_id": block_id, "label": plain(label),
                    "element": {**element, "action_id": ACTION}, "optional": optional}
    if hint:
        block["hint"] = plain(hint)
    return block


def text_input(block_id: str, label: str, *, initial: str | None = None,
               multiline: bool = False, optional: bool = False, max_length: int | None = None,
               placeholder: str | None = None, hint: str | None = None) -> Block:
    element: Block = {"type": "plain_text_input", "multiline": multiline}
    if initial:
        element["initial_value"] = initial[:max_length] if max_length else initial
    if max_length:
        element["max_length"] = max_length
    if placeholder:
        element["placeholder"] = plain(placeholder)
    return _input(block_id, label, element, optional=optional, hint=hint)


def option(value: str, label: str) -> Block:
    return {"text": plain(label), "value": value}


def select_input(block_id: str, label: str, options: list[tuple[str, str]],
                 initial: str | None = None) -> Block:
    element: Block = {"type": "static_select", "options": [option(v, t) for v, t in options]}
    chosen = next((option(v, t) for v, t in options if v == initial), None)
    if chosen:
        element["initial_option"] = chosen
    return _input(block_id, label, element)


def user_input(block_id: str, label: str, initial: str | None = None) -> Block:
    element: Block = {"type": "users_select"}
    if initial:
        element["initial_user"] = initial
    return _input(block_id, label, element)


def users_input(block_id: str, label: str, initial: list[str] | None = None) -> Block:
    element: Block = {"type": "multi_users_select"}
    if initial:
        element["initial_users"] = initial
    return _input(block_id, label, element)


def datetime_input(block_id: str, label: str, initial: datetime | None, *,
                   optional: bool = False) -> Block:
    element: Block = {"type": "datetimepicker"}
    if initial is not None:
        element["initial_date_time"] = int(initial.timestamp())
    return _input(block_id, label, element, optional=optional)


def checkbox_input(block_id: str, label: str, value: str, text: str, checked: bool) -> Block:
    box = option(value, text)
    element: Block = {"type": "checkboxes", "options": [box]}
    if checked:
        element["initial_options"] = [box]
    return _input(block_id, label, element, optional=True)


# --- reading a submission --------------------------------------------------------------------

def _state(values: Values, block_id: str) -> dict[str, Any]:
    return (values.get(block_id) or {}).get(ACTION) or {}


def text_value(values: Values, block_id: str) -> str:
    return str(_state(values, block_id).get("value") or "")


def select_value(values: Values, block_id: str) -> str | None:
    chosen = _state(values, block_id).get("selected_option") or {}
    return chosen.get("value")


def user_value(values: Values, block_id: str) -> str | None:
    return _state(values, block_id).get("selected_user") or None


def users_value(values: Values, block_id: str) -> list[str]:
    return list(dict.fromkeys(_state(values, block_id).get("selected_users") or []))


def checked(values: Values, block_id: str, value: str) -> bool:
    return any(o.get("value") == value
               for o in _state(values, block_id).get("selected_options") or [])


def datetime_value(values: Values, block_id: str) -> datetime | None:
    stamp = _state(values, block_id).get("selected_date_time")
    if stamp in (None, ""):
        return None
    try:
        return datetime.fromtimestamp(int(stamp), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        raise FieldErrors({block_id: "That is not a date and time I can read."}) from None
