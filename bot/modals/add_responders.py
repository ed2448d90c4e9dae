"""The Add responders modal: several people at once, as responders or observers."""

from dataclasses import dataclass, field

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
    users_input,
    users_value,
)
from bot.modals.flow import Finish, Submission
from core.permissions import ResponderRole, parse_responder_role
from services import responders

ROLE_OPTIONS = [(ResponderRole.RESPONDER.value, "Responder — works the incident"),
                (ResponderRole.OBSERVER.value, "Observer — follows along")]


@dataclass
class AddForm:
    members: list[str] = field(default_factory=list)
    role: str = ResponderRole.RESPONDER.value


class AddResponders:
    callback_id = "add_responders"
    title = "Add responders"
    blocks: tuple[str, ...] = ("members", "role")

    def view(self, meta: Meta, form: AddForm, error: str | None = None) -> Block:
        blocks = [*banner(error),
                  {"type": "context", "elements": [
                      {"type": "mrkdwn", "text": f"Incident *{meta.key}*"}]},
                  users_input("members", "People", form.members),
                  select_input("role", "Role", ROLE_OPTIONS, form.role)]
        return modal(self.callback_id, self.title, blocks, meta, submit="Add")

    def parse(self, values: Values) -> AddForm:
        members = users_value(values, "members")
        if not members:
            raise FieldErrors({"members": "Pick at least one person."})
        return AddForm(members, select_value(values, "role") or ResponderRole.RESPONDER.value)

    def users(self, form: AddForm) -> list[str]:
        return form.members

    def apply(self, sub: Submission, form: AddForm) -> Finish:
        key = sub.meta.key or ""
        role = parse_responder_role(form.role)
        ids = [sub.members[user] for user in form.members]
        added = responders.add_responders(sub.bot.db, sub.actor, key, ids, role)
        added_ids = {row.member_id for row in added}
        names = ", ".join(f"<@{u}>" for u in form.members if sub.members[u] in added_ids)
        if not names:
            return lambda: render.Reply(f"Everyone you picked is already on {key}.")
        return lambda: render.done(f"Added {names} to {key} as {role.value}s.")
