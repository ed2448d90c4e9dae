"""The sandbox's views: modals and home tabs, checked against Slack's limits."""

from __future__ import annotations

import json
import time
from typing import Any

from vigilo.sandbox.slack_model import (
    MAX_VIEW_BLOCKS,
    Params,
    SlackError,
    block_problems,
    too_long,
)

MAX_VIEW_TITLE = 24
MAX_PRIVATE_METADATA = 3000
MAX_CALLBACK_ID = 255


def _invalid(problems: list[str]) -> SlackError:
    return SlackError("invalid_arguments",
                      response_metadata={"messages": [f"[ERROR] {p}" for p in problems]})


def _parse_view(view: Any, kinds: set[str]) -> Params:
    if isinstance(view, str):  # a caller may hand over the view already serialised
        try:
            view = json.loads(view)
        except ValueError:
            raise _invalid(["invalid JSON [json-pointer:/view]"]) from None
    if not isinstance(view, dict):
        raise _invalid(["missing required field: view"])
    if view.get("type") not in kinds:
        raise _invalid([f"must be one of {sorted(kinds)} [json-pointer:/view/type]"])
    blocks = view.get("blocks")
    if not isinstance(blocks, list):
        raise _invalid(["missing required field: blocks [json-pointer:/view/blocks]"])
    problems = block_problems(blocks, MAX_VIEW_BLOCKS, "/view/blocks")
    if view["type"] == "modal":
        if not isinstance(view.get("title"), dict):
            problems.append("missing required field: title [json-pointer:/view/title]")
        for key in ("title", "submit", "close"):
            problems += too_long(view.get(key), MAX_VIEW_TITLE, f"/view/{key}")
    if len(str(view.get("private_metadata") or "")) > MAX_PRIVATE_METADATA:
        problems.append(f"must be less than {MAX_PRIVATE_METADATA + 1} characters "
                        "[json-pointer:/view/private_metadata]")
    if len(str(view.get("callback_id") or "")) > MAX_CALLBACK_ID:
        problems.append(f"must be less than {MAX_CALLBACK_ID + 1} characters "
                        "[json-pointer:/view/callback_id]")
    if problems:
        raise _invalid(problems)
    return view


class ViewStore:
    """Views by id, plus each user's published home tab. The caller holds the state lock."""

    def __init__(self, team_id: str, bot_id: str) -> None:
        self._team_id = team_id
        self._bot_id = bot_id
        self.views: dict[str, Params] = {}
        self.homes: dict[str, str] = {}
        self._count = 0

    def _store(self, view: Params, view_id: str | None = None) -> Params:
        # Every store gets a fresh hash, so a stale `hash` from an earlier answer conflicts.
        self._count += 1
        view_id = view_id or f"V{self._count:07d}"
        stored: Params = {
            "id": view_id, "team_id": self._team_id, "app_id": "A0VIGILO",
            "bot_id": self._bot_id, "app_installed_team_id": self._team_id,
            "type": view["type"], "blocks": view["blocks"],
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "external_id": view.get("external_id", ""),
            "state": {"values": {}}, "hash": f"{int(time.time())}.{self._count:08x}",
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "root_view_id": view_id, "previous_view_id": None,
        }
        for key in ("title", "submit", "close"):
            if key in view:
                stored[key] = view[key]
        self.views[view_id] = stored
        return stored

    def _find(self, ref: str) -> Params:
        if ref in self.views:
            return self.views[ref]
        for view in self.views.values():
            if view["external_id"] and view["external_id"] == ref:
                return view
        raise SlackError("not_found")

    def open(self, view: Any) -> Params:
        return self._store(_parse_view(view, {"modal"}))

    def update(self, ref: str, view: Any, expected_hash: Any) -> Params:
        current = self._find(ref)
        if expected_hash and expected_hash != current["hash"]:
            raise SlackError("hash_conflict")
        return self._store(_parse_view(view, {current["type"]}), current["id"])

    def publish(self, user_id: str, view: Any, expected_hash: Any) -> Params:
        parsed = _parse_view(view, {"home"})
        current = self.views.get(self.homes.get(user_id, ""))
        if current and expected_hash and expected_hash != current["hash"]:
            raise SlackError("hash_conflict")
        stored = self._store(parsed, current["id"] if current else None)
        self.homes[user_id] = stored["id"]
        return stored
