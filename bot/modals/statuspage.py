"""The status-page modal: what the public reads now, and publish / update / withdraw with a
public status and words written for the public.

The message starts empty, always: public words are written by a person for the public, never
drafted from the internal timeline. The same service calls (and permissions) as
`/vigilo statuspage publish|update|withdraw`.
"""

from dataclasses import dataclass

from bot import render
from bot.modals.base import (
    Block,
    FieldErrors,
    Meta,
    Values,
    banner,
    modal,
    select_input,
    select_value,
    text_input,
    text_value,
)
from bot.modals.flow import Finish, Submission
from core import statuspage as public
from core.errors import InvalidInput
from core.validation import clean_text
from services import statuspage
from services.statuspage import Current

ACTIONS = {"publish": "Publish on the status page", "update": "Post an update",
           "withdraw": "Withdraw from the status page"}
STATUS_OPTIONS = [(s, public.LABELS[s]) for s in public.PUBLIC_STATUSES]
OFF = "off"  # Meta.item when the incident is not on the page now


@dataclass
class StatusForm:
    action: str = "publish"
    status: str = public.INVESTIGATING
    message: str = ""

    @classmethod
    def of(cls, now: Current, incident_public: str) -> "StatusForm":
        shown = now.status if now.published and now.status else incident_public
        return cls(now.suggested, shown, "")


def shown_now(now: Current) -> str:
    """Meta.item: the public status on the page now, or OFF."""
    return now.status if now.published and now.status else OFF


class StatusPageModal:
    callback_id = "status_page"
    title = "Status page"
    blocks: tuple[str, ...] = ("message", "status", "action")

    def view(self, meta: Meta, form: StatusForm, error: str | None = None) -> Block:
        now = meta.item or OFF
        where = (f"*{meta.key}* is on the public status page as "
                 f"*{public.LABELS.get(now, now)}*." if now != OFF else
                 f"*{meta.key}* is not on the public status page.")
        blocks = [
            *banner(error),
            {"type": "context", "elements": [{"type": "mrkdwn", "text": where}]},
            select_input("action", "What to do", list(ACTIONS.items()), form.action),
            select_input("status", "Public status", STATUS_OPTIONS, form.status),
            text_input("message", "Message for the public", initial=form.message,
                       multiline=True, optional=True, max_length=public.MAX_MESSAGE,
                       placeholder="What customers see: impact and what happens next",
                       hint="Written for the public; nothing internal is copied here. "
                            "Not needed to withdraw."),
        ]
        return modal(self.callback_id, f"Status page {meta.key or ''}".strip(), blocks, meta,
                     submit="Submit")

    def parse(self, values: Values) -> StatusForm:
        """Everything the form can check without the database, so the errors come back in
        the modal at once (`response_action: errors`)."""
        action = select_value(values, "action") or ""
        status = select_value(values, "status") or ""
        message = text_value(values, "message")
        errors: dict[str, str] = {}
        if action not in ACTIONS:
            errors["action"] = "Choose publish, update or withdraw."
        if status not in public.PUBLIC_STATUSES:
            errors["status"] = "Choose the public status."
        if action == "withdraw" and message.strip():
            errors["message"] = ("Withdrawing posts no words: clear the message, or choose "
                                 "Post an update.")
        elif action in ("publish", "update"):
            if not message.strip():
                errors["message"] = "Write the words the public will read."
            else:
                try:
                    clean_text(message, what="public message", limit=public.MAX_MESSAGE,
                               field_name="message")
                except InvalidInput as error:
                    errors["message"] = error.message
        if errors:
            raise FieldErrors(errors)
        return StatusForm(action, status, message)

    def users(self, form: StatusForm) -> list[str]:
        return []

    def apply(self, sub: Submission, form: StatusForm) -> Finish:
        db, key = sub.bot.db, sub.meta.key or ""
        url = f"{sub.bot.base_url}/status/{sub.workspace.slug}"
        if form.action == "withdraw":
            statuspage.withdraw(db, sub.actor, key)
            return lambda: render.done(f"{key} is off the public status page.")
        if form.action == "publish":
            row = statuspage.publish(db, sub.actor, key, form.message, form.status)
            said = f"{key} is on the public status page ({public.LABELS[row.status]}): {url}"
        else:
            row = statuspage.update(db, sub.actor, key, form.message, form.status)
            said = f"Status page updated for {key} ({public.LABELS[row.status]}): {url}"
        return lambda: render.done(said)
