"""What `vigilo demo` prints: each request sent, each call Slack received, each timeline entry."""

import threading
from collections.abc import Callable, Iterable
from typing import Any, TextIO

from services.queries import IncidentDetail
from store.models import TimelineEvent

_WIDTH = 96

ANNOUNCEMENTS = "incidents"  # the demo's announcements channel (announce_channel)


def _short(text: Any, width: int = _WIDTH) -> str:
    line = " ".join(str(text or "").split())
    return line if len(line) <= width else line[: width - 1] + "…"


def _message_text(params: dict[str, Any]) -> str:
    text = params.get("text")
    if text:
        return str(text)
    for block in params.get("blocks") or []:
        inner = block.get("text") if isinstance(block, dict) else None
        if isinstance(inner, dict) and inner.get("text"):
            return str(inner["text"])
    return "(blocks)"


def _buttons(params: dict[str, Any]) -> str:
    labels = [e.get("text", {}).get("text", "") for b in params.get("blocks") or []
              if isinstance(b, dict) and b.get("type") == "actions"
              for e in b.get("elements") or []]
    return f"  [{' | '.join(labels)}]" if labels else ""


class Narrator:
    """Thread-safe printer: Slack calls arrive on the sandbox's server threads."""

    def __init__(self, out: TextIO,
                 channel_name: Callable[[str], str | None] = lambda _: None) -> None:
        self.out = out
        self.lock = threading.Lock()
        self.channel_name = channel_name
        self.seen_events: set[int] = set()

    def say(self, text: str = "") -> None:
        with self.lock:
            print(text, file=self.out, flush=True)

    def step(self, number: int, who: str, where: str, what: str) -> None:
        self.say(f"\n[{number}] {who} in {where}: {what}")

    def sent(self, status: int, millis: float, body: str) -> None:
        answer = f" — {_short(body, 60)}" if body.strip() else ""
        self.say(f"    → POST /slack/events (signed) answered {status} in {millis:.0f} ms{answer}")

    def _where(self, params: dict[str, Any]) -> str:
        channel = str(params.get("channel") or "")
        name = self.channel_name(channel) if channel else None
        return f"#{name}" if name else channel

    def slack_call(self, method: str, params: dict[str, Any]) -> None:
        """FakeSlack's on_call hook: one line per Web API call it accepted."""
        where = self._where(params)
        if method == "conversations.create":
            line = f"creates channel #{params.get('name')}"
        elif method == "conversations.invite":
            users = params.get("users")
            line = f"invites {users if isinstance(users, str) else ','.join(users or [])}"
            line += f" to {where}"
        elif method == "conversations.setTopic":
            line = f"sets the topic of {where}: {_short(params.get('topic'), 70)}"
        elif method == "chat.postMessage":
            line = (f"posts in {where}: {_short(_message_text(params), 60)}"
                    f"{_buttons(params)}")
        elif method == "chat.update" and where == f"#{ANNOUNCEMENTS}":
            line = f"updates the incident's card in {where}: {_short(_message_text(params), 60)}"
        elif method == "chat.update":
            line = f"updates the pinned report in {where}{_buttons(params)}"
        elif method == "pins.add":
            line = f"pins the situation report in {where}"
        elif method == "conversations.archive":
            line = f"archives {where}"
        elif method == "chat.postEphemeral":
            line = f"shows {params.get('user')} only: {_short(_message_text(params), 60)}"
        elif method == "response_url":
            payload = params.get("payload") or {}
            line = f"replies to the command: {_short(_message_text(payload), 70)}"
        elif method in ("views.publish", "views.open", "views.update"):
            line = f"{method} ({(params.get('view') or {}).get('type', 'view')})"
        else:
            line = method
        self.say(f"    Slack ← {line}")

    def timeline(self, events: Iterable[TimelineEvent]) -> None:
        for event in events:
            if event.id is None or event.id in self.seen_events:
                continue
            self.seen_events.add(event.id)
            self.say(f"    timeline + {event.at:%H:%M:%S} {event.source:<6} "
                     f"{_short(event.text, 72)}")

    def show(self, detail: IncidentDetail) -> None:
        """What `vigilo incident show` prints."""
        incident = detail.incident
        people = ", ".join(f"{r.name} ({r.role})" for r in detail.responders)
        lines = [f"\n$ vigilo incident show {detail.key}",
                 f"{detail.key} [{incident.severity}] {incident.status}: {incident.title}",
                 f"  commander: {detail.commander or '-'}", f"  responders: {people}",
                 f"  root cause: {incident.root_cause or '-'}",
                 *(f"  {e.at:%H:%M:%S} {e.source:<6} {e.text}" for e in detail.timeline)]
        self.say("\n".join(lines))

    def links(self, links: dict[str, str]) -> None:
        """Where to look while the demo keeps serving (Demo.links)."""
        say = self.say
        say(f"\nSign in as Dana (opens the incident list; one use, 10 minutes):\n  "
            f"{links['sign_in']}")
        say(f"Incident page, read-only share link:\n  {links['share']}")
        say(f"JSON API:\n  {links['api']}")
        say("Your own `vigilo serve` against this sandbox Slack and database, while the demo "
            f"runs:\n  {links['serve']}")
