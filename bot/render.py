"""Ephemeral replies: confirmations, incident lines, help and error text."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.durations import ago_text
from core.errors import DomainError, NotFound, PermissionDenied
from core.severity import Severity
from integrations.slack.blocks import (
    SEVERITY_LABELS,
    SEVERITY_MARKS,
    STATUS_LABELS,
    clip,
    escape,
)
from store.models import Incident
from store.types import utcnow

MAX_ECHO = 300  # how much of what someone typed a reply repeats back
MAX_TEXT = 3000  # a message's text stays readable, and fits a section if it becomes one


@dataclass
class Reply:
    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    # Something worth waiting for (a new incident's channel): fetched off the job threads,
    # and sent as a second reply that replaces this one.
    follow_up: Callable[[], "Reply | None"] | None = None
    replace: bool = False

    def kwargs(self) -> dict[str, Any]:
        out: dict[str, Any] = {"text": clip(self.text, MAX_TEXT), "response_type": "ephemeral",
                               "replace_original": self.replace}
        if self.blocks:
            out["blocks"] = self.blocks
        return out


# A reply worth building off the job threads, after the change it reports is committed (a
# new incident's reply reads its runbooks and settings): the reply threads build it.
Later = Callable[[], Reply]


def echo(text: str) -> str:
    """What someone typed, quoted back safely: no pings, no markup, not too long."""
    return escape(clip(" ".join(text.split()), MAX_ECHO))


def chip(severity: str) -> str:
    mark = SEVERITY_MARKS.get(severity, "")
    return f"{mark} {severity.upper()} {SEVERITY_LABELS.get(severity, '')}".strip()


def status_text(status: str) -> str:
    return STATUS_LABELS.get(status, status)


def age(since: datetime, now: datetime | None = None) -> str:
    """`just now`, `12 min ago`, `3 h 5 min ago`."""
    return ago_text((now or utcnow()) - since)


def channel_link(channel_id: str | None) -> str:
    return f"<#{channel_id}>" if channel_id else "no channel yet"


def incident_line(incident: Incident, key: str, url: str, commander: str | None,
                  now: datetime | None = None) -> str:
    """`🔴 P1 <url|INC-0042> Checkout is down · Investigating · Alice · 3h · #inc-…`"""
    return (f"{chip(incident.severity)} *<{url}|{key}>* {escape(incident.title)} · "
            f"{status_text(incident.status)} · {escape(commander) if commander else 'no commander'}"
            f" · declared {age(incident.created_at, now)} · "
            f"{channel_link(incident.slack_channel_id)}")


def done(text: str, blocks: list[dict[str, Any]] | None = None) -> Reply:
    return Reply(f"✅ {text}", blocks or [])


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, MAX_TEXT)}}


# --- errors ----------------------------------------------------------------------------------

def error(err: DomainError) -> Reply:
    mark = "🔒" if isinstance(err, PermissionDenied) else "🔎" if isinstance(err, NotFound) else "⚠️"
    return Reply(f"{mark} {err.message}")


def usage_error(message: str, usage: str | None, near: list[str] | None = None) -> Reply:
    """Short: what was wrong and the usage of that one subcommand (the list is `help`'s)."""
    lines = [f"⚠️ {message}"]
    if usage:
        lines.append(f"Usage: `/vigilo {usage}`")
    else:
        if near:
            lines.append("Did you mean " + " or ".join(f"`/vigilo {n}`" for n in near) + "?")
        lines.append("`/vigilo help` lists every subcommand.")
    return Reply("\n".join(lines))


def unsaid() -> Reply:
    """The change was recorded, but building the words about it failed."""
    return Reply("✅ Done, but Vigilo could not put this reply together. "
                 "`/vigilo list` shows where things stand.")


def failure() -> Reply:
    return Reply("💥 Something went wrong on Vigilo's side and nothing was changed. "
                 "Try again; if it keeps failing, tell your Vigilo admin.")


def help_text(subcommands: list[tuple[str, str]]) -> str:
    """Every subcommand with its usage; inside an incident channel the KEY can be left out."""
    lines = ["*`/vigilo` subcommands* (KEY like INC-0042; inside an incident channel it is "
             "implied):"]
    lines += [f"• `{usage}` — {summary}" for usage, summary in subcommands]
    return "\n".join(lines)


def severity_list() -> str:
    return ", ".join(f"{s.value} ({s.label})" for s in Severity)


def declared(incident: Incident, key: str, url: str, channel_id: str | None, expected: bool,
             buttons: list[dict[str, Any]]) -> Reply:
    """The reply to a declaration: the key, the channel, and the next moves."""
    where = (f"Channel: <#{channel_id}>" if channel_id
             else "The incident channel is on its way." if expected
             else "This workspace opens no channel on declaration.")
    text = (f"{chip(incident.severity)} Declared *<{url}|{key}>*: {escape(incident.title)}\n"
            f"{where}")
    return Reply(text, [section(text), *buttons])
