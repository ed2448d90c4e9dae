"""Slack deliveries as inbox rows (services.inbox_writer stores them before the ack).

`Ticket` follows one delivery through the work it causes (`Bot.later` jobs, follow-ups):
when the last of it ends, the row is marked done. A crash before that leaves it pending,
and the inbox worker takes it again.
"""

import contextvars
import hashlib
import threading
from collections.abc import Callable
from typing import Any

from services.inbox_writer import Incoming
from store.inbox_models import DISPATCH, MESSAGE

MESSAGE_EVENTS = {"message"}
READS = frozenset({"url_verification", "block_suggestion"})


def incoming(raw: str, body: dict[str, Any], content_type: str) -> Incoming | None:
    """The inbox row for a parsed request; None for Slack's own handshakes (url_verification,
    ssl_check), which carry nothing a person typed, and for reads answered in the response
    itself (block_suggestion: the options of an external select), which a replay could not
    deliver to anyone."""
    if body.get("type") in READS or body.get("ssl_check"):
        return None
    event = body.get("event") if body.get("type") == "event_callback" else None
    team_id = team_of(body)
    if isinstance(event, dict) and body.get("event_id"):
        # Slack's redeliveries of an event keep its event_id.
        key = f"event:{team_id}:{body['event_id']}"
        kind = MESSAGE if event.get("type") in MESSAGE_EVENTS else DISPATCH
    else:
        # Commands and interactions are never redelivered; their bodies are unique
        # (trigger ids), so the digest only guards against a replayed request.
        key = "request:" + hashlib.sha256(raw.encode("utf-8")).hexdigest()
        kind = DISPATCH
    return Incoming(key, team_id[:32], kind, raw, content_type[:100])


def team_of(body: dict[str, Any]) -> str:
    team, user = body.get("team"), body.get("user")
    found = (body.get("team_id") or (team.get("id") if isinstance(team, dict) else team)
             or (user.get("team_id") if isinstance(user, dict) else None))
    return str(found or "")


CURRENT: contextvars.ContextVar["Ticket | None"] = contextvars.ContextVar("vigilo_ticket",
                                                                          default=None)


class Ticket:
    """Counts the work one delivery caused; `finished` runs when the last piece ends."""

    def __init__(self, finished: Callable[[], None]) -> None:
        self._finished = finished
        self._held = 1  # the dispatch itself
        self._lock = threading.Lock()

    def hold(self) -> None:
        with self._lock:
            self._held += 1

    def release(self) -> None:
        with self._lock:
            self._held -= 1
            last = self._held == 0
        if last:
            self._finished()

    def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run `fn` as part of this delivery's work (and release it after)."""
        token = CURRENT.set(self)
        try:
            return fn(*args)
        finally:
            CURRENT.reset(token)
            self.release()
