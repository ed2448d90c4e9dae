"""The Edit incident modal: the fields a commander or an admin may change."""

from dataclasses import dataclass, field
from datetime import datetime

from bot import render
from bot.modals.base import (
    Block,
    Meta,
    Values,
    banner,
    checkbox_input,
    checked,
    datetime_input,
    datetime_value,
    modal,
    text_input,
    text_value,
)
from bot.modals.flow import Finish, Submission
from core.validation import MAX_TITLE, clean_title
from services import incidents, slack_team
from store.models import Incident
from store.types import utcnow

PUBLISH = "publish"


@dataclass
class EditForm:
    title: str = ""
    description: str | None = ""  # None: too long for a modal, left as it is
    services: str = ""
    detected_at: datetime = field(default_factory=utcnow)
    auto_publish_to_status: bool = True

    @classmethod
    def of(cls, incident: Incident) -> "EditForm":
        description = incident.description if len(incident.description) <= 3000 else None
        return cls(incident.title, description, ", ".join(incident.services),
                   incident.detected_at, incident.auto_publish_to_status)


class EditIncident:
    callback_id = "edit_incident"
    title = "Edit incident"
    blocks: tuple[str, ...] = ("title", "description", "services", "detected_at",
                               "auto_publish_to_status")

    def view(self, meta: Meta, form: EditForm, error: str | None = None) -> Block:
        blocks = [
            *banner(error),
            text_input("title", "Title", initial=form.title, max_length=MAX_TITLE),
            # Slack caps a text input at 3,000 characters: a longer description is edited on
            # the web, and left alone here (the field is then absent from the form).
            *([text_input("description", "Description", initial=form.description,
                          multiline=True, optional=True, max_length=3000)]
              if form.description is not None else []),
            text_input("services", "Affected services", initial=form.services, optional=True,
                       hint="Comma-separated"),
            datetime_input("detected_at", "Detected at", form.detected_at),
            checkbox_input("auto_publish_to_status", "Status page", PUBLISH,
                           "Publish to the status page at the workspace's severity",
                           form.auto_publish_to_status),
        ]
        return modal(self.callback_id, f"Edit {meta.key or 'incident'}", blocks, meta,
                     submit="Save")

    def parse(self, values: Values) -> EditForm:
        clean_title(text_value(values, "title"))
        return EditForm(title=text_value(values, "title"),
                        description=(text_value(values, "description")
                                     if "description" in values else None),
                        services=text_value(values, "services"),
                        detected_at=datetime_value(values, "detected_at") or utcnow(),
                        auto_publish_to_status=checked(values, "auto_publish_to_status",
                                                       PUBLISH))

    def users(self, form: EditForm) -> list[str]:
        return []

    def apply(self, sub: Submission, form: EditForm) -> Finish:
        key = sub.meta.key or ""
        changes: dict[str, object] = {"title": form.title, "services": form.services,
                                      "auto_publish_to_status": form.auto_publish_to_status}
        if form.description is not None:
            changes["description"] = form.description
        # The picker holds whole seconds: an untouched time is not an edit.
        current = slack_team.find_incident(sub.bot.db, sub.workspace.id, key)
        if int(current.detected_at.timestamp()) != int(form.detected_at.timestamp()):
            changes["detected_at"] = form.detected_at
        incident = incidents.edit_incident(sub.bot.db, sub.actor, key, **changes)
        return lambda: render.done(f"Saved {sub.meta.key}: {render.echo(incident.title)}.")
