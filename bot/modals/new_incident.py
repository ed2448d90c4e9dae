"""The New incident modal: title, description, severity, detected at, services, commander."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot import render
from bot.modals.base import (
    Block,
    Meta,
    Values,
    banner,
    datetime_input,
    datetime_value,
    modal,
    select_input,
    select_value,
    text_input,
    text_value,
    user_input,
    user_value,
)
from bot.modals.flow import Finish, Submission
from bot.runtime import Bot
from bot.suggestions import runbook_blocks
from core.errors import InvalidInput
from core.keys import format_key
from core.severity import DEFAULT_SEVERITY, Severity
from core.validation import MAX_TITLE, clean_services, clean_title
from integrations.slack.blocks import next_move_blocks
from services import incidents
from services.slack_team import WorkspaceRef
from store.models import Incident
from store.types import utcnow

CLOCK_SKEW = timedelta(minutes=2)
SEVERITY_OPTIONS = [(s.value, f"{s.value.upper()} — {s.label}") for s in Severity]


@dataclass
class NewForm:
    title: str = ""
    description: str = ""
    severity: str = DEFAULT_SEVERITY.value
    detected_at: datetime = field(default_factory=utcnow)
    services: str = ""
    commander: str | None = None


class NewIncident:
    callback_id = "new_incident"
    title = "New incident"
    blocks: tuple[str, ...] = ("title", "description", "severity", "detected_at", "services",
                               "commander")

    def view(self, meta: Meta, form: NewForm, error: str | None = None) -> Block:
        blocks = [
            *banner(error),
            text_input("title", "Title", initial=form.title, max_length=MAX_TITLE,
                       placeholder="What is broken, in a few words"),
            text_input("description", "Description", initial=form.description, multiline=True,
                       optional=True, max_length=3000,
                       placeholder="Impact, symptoms, what you have tried"),
            select_input("severity", "Severity", SEVERITY_OPTIONS, form.severity),
            datetime_input("detected_at", "Detected at", form.detected_at),
            text_input("services", "Affected services", initial=form.services, optional=True,
                       placeholder="checkout, payments-api", hint="Comma-separated"),
            user_input("commander", "Commander", form.commander),
        ]
        return modal(self.callback_id, self.title, blocks, meta, submit="Declare")

    def parse(self, values: Values) -> NewForm:
        """Checks what needs no database here, so its errors come back even for a form
        submitted by someone Vigilo has not met yet."""
        clean_title(text_value(values, "title"))
        clean_services(text_value(values, "services"))
        detected = datetime_value(values, "detected_at") or utcnow()
        if detected > utcnow() + CLOCK_SKEW:
            raise InvalidInput("Detected at is in the future.", field="detected_at")
        return NewForm(title=text_value(values, "title"),
                       description=text_value(values, "description"),
                       severity=select_value(values, "severity") or DEFAULT_SEVERITY.value,
                       detected_at=detected,
                       services=text_value(values, "services"),
                       commander=user_value(values, "commander"))

    def users(self, form: NewForm) -> list[str]:
        return [form.commander] if form.commander else []

    def apply(self, sub: Submission, form: NewForm) -> Finish:
        # A clock a little ahead of ours is "now"; a time really in the future stays an error.
        now = utcnow()
        detected = now if now < form.detected_at <= now + CLOCK_SKEW else form.detected_at
        incident = incidents.declare(
            sub.bot.db, sub.actor, title=form.title, description=form.description,
            severity=form.severity, detected_at=detected, services=form.services,
            commander_id=sub.members.get(form.commander or ""),
            idempotency_key=sub.key or None)
        return lambda: declared_reply(sub.bot, sub.workspace, incident)


def declared_reply(bot: Bot, workspace: WorkspaceRef, incident: Incident) -> render.Reply:
    """Names the key at once, and links the channel in a follow-up that replaces this reply
    once the outbox has made it (bounded wait)."""
    key = format_key(incident.number)
    url = bot.incident_url(workspace, key)
    buttons = [*next_move_blocks(incident.status, key),
               *runbook_blocks(bot, workspace, incident)]
    expected = bot.channel_coming(workspace)
    reply = render.declared(incident, key, url, None, expected, buttons)
    if expected:
        def with_channel() -> render.Reply | None:
            made = bot.made_channel(workspace, incident.number)
            if made is None:
                return None  # the first reply said it is on its way; the page will link it
            later = render.declared(incident, key, url, made, True, buttons)
            later.replace = True
            return later

        reply.follow_up = with_channel
    return reply
