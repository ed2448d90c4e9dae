"""The New change modal (`/vigilo change`): a change recorded from Slack, through the same
service and the same checks as `POST /ws/{slug}/changes/` and `vigilo change add`, so it shows
up in Suggest cause and in the situation reports it matches."""

from dataclasses import dataclass, field
from datetime import datetime

from bot import render
from bot.modals.base import (
    Block,
    Meta,
    Values,
    banner,
    datetime_input,
    datetime_value,
    modal,
    text_input,
    text_value,
)
from bot.modals.flow import Finish, Submission, open_view
from bot.runtime import Bot
from core.change_keys import format_change_key
from core.permissions import Action
from core.validation import MAX_TEXT
from services import change_requests
from services.actor import Actor
from services.change_requests import MAX_CHANGE_TITLE, MAX_LINK, NewChange, clean_change
from services.records import authorize
from store.types import utcnow


@dataclass
class ChangeForm:
    title: str = ""
    description: str = ""
    assets: str = ""
    link: str = ""
    started_at: datetime = field(default_factory=utcnow)
    finished_at: datetime | None = None
    change: NewChange | None = None  # the checked change, once parsed


class NewChangeModal:
    callback_id = "new_change"
    title = "Record a change"
    blocks: tuple[str, ...] = ("title", "description", "assets", "link", "started_at",
                               "finished_at")

    def view(self, meta: Meta, form: ChangeForm, error: str | None = None) -> Block:
        finished: Block = datetime_input("finished_at", "Finished", form.finished_at,
                                         optional=True)
        blocks = [
            *banner(error),
            text_input("title", "Title", initial=form.title, max_length=MAX_CHANGE_TITLE,
                       placeholder="Deploy checkout v2.14"),
            text_input("description", "Description", initial=form.description,
                       multiline=True, optional=True, max_length=MAX_TEXT),
            text_input("assets", "Affected assets", initial=form.assets, optional=True,
                       hint="Comma-separated service names: Suggest cause matches them "
                            "against incidents' services"),
            text_input("link", "Link", initial=form.link, optional=True, max_length=MAX_LINK,
                       placeholder="https://ci.example.com/runs/1234"),
            datetime_input("started_at", "Started", form.started_at),
            finished,
        ]
        return modal(self.callback_id, self.title, blocks, meta, submit="Record")

    def parse(self, values: Values) -> ChangeForm:
        form = ChangeForm(text_value(values, "title"), text_value(values, "description"),
                          text_value(values, "assets"), text_value(values, "link"),
                          datetime_value(values, "started_at") or utcnow(),
                          datetime_value(values, "finished_at"))
        # Every check is on the form alone: field errors come back inside the modal.
        form.change = clean_change(form.title, form.description, form.assets, None,
                                   form.link, form.started_at, form.finished_at)
        return form

    def users(self, form: ChangeForm) -> list[str]:
        return []

    def apply(self, sub: Submission, form: ChangeForm) -> Finish:
        assert form.change is not None
        row, _ = change_requests.create(sub.bot.db, sub.actor, form.change,
                                        idempotency_key=sub.key or None)
        assets = ", ".join(row.affected_assets) or "no assets"
        return lambda: render.done(
            f"Recorded {format_change_key(row.number)}: {render.echo(row.title)} "
            f"({render.echo(assets)}). Incidents on those services will see it in Suggest "
            "cause.")


NEW_CHANGE = NewChangeModal()


def open_new_change(bot: Bot, actor: Actor, trigger_id: str, meta: Meta) -> None:
    authorize(actor, Action.DECLARE)  # who may record a change, as the API and CLI check
    open_view(bot, trigger_id, NEW_CHANGE.view(meta, ChangeForm()))
