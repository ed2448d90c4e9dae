"""The Assign modal: who owns an action item (from its Assign… button)."""

from dataclasses import dataclass

from bot import render
from bot.modals.base import Block, FieldErrors, Meta, Values, banner, modal, user_input, user_value
from bot.modals.flow import Finish, Submission
from services import action_items


@dataclass
class AssignForm:
    owner: str | None = None  # Slack user id
    text: str = ""  # the item, to remind the person which one


class AssignItem:
    callback_id = "assign_action_item"
    title = "Assign action item"
    blocks: tuple[str, ...] = ("owner",)

    def view(self, meta: Meta, form: AssignForm, error: str | None = None) -> Block:
        blocks = [*banner(error),
                  {"type": "context", "elements": [{"type": "mrkdwn", "text": (
                      f"Action item #{meta.item}: {render.echo(form.text)}")}]},
                  user_input("owner", "Owner", form.owner)]
        return modal(self.callback_id, self.title, blocks, meta, submit="Assign")

    def parse(self, values: Values) -> AssignForm:
        owner = user_value(values, "owner")
        if owner is None:
            raise FieldErrors({"owner": "Choose who owns it."})
        return AssignForm(owner)

    def users(self, form: AssignForm) -> list[str]:
        return [form.owner] if form.owner else []

    def apply(self, sub: Submission, form: AssignForm) -> Finish:
        number = int(sub.meta.item or 0)
        action_items.assign(sub.bot.db, sub.actor, number, sub.members.get(form.owner or ""))
        return lambda: render.done(f"Action item #{number} is now <@{form.owner}>'s.")


ASSIGN = AssignItem()
