"""The Resolve modal: resolve the incident, with its root cause when known."""

from dataclasses import dataclass

from bot import render
from bot.modals.base import Block, Meta, Values, banner, modal, text_input, text_value
from bot.modals.flow import Finish, Submission
from core.fsm import Move
from core.validation import MAX_TEXT
from services import incidents


@dataclass
class ResolveForm:
    root_cause: str = ""


class Resolve:
    callback_id = "resolve_incident"
    title = "Resolve"
    blocks: tuple[str, ...] = ("root_cause",)

    def view(self, meta: Meta, form: ResolveForm, error: str | None = None) -> Block:
        blocks = [*banner(error),
                  {"type": "context", "elements": [
                      {"type": "mrkdwn", "text": f"Resolving *{meta.key}*: the user-facing "
                                                 "impact is over and the cause is fixed."}]},
                  text_input("root_cause", "Root cause", initial=form.root_cause,
                             multiline=True, optional=True, max_length=3000,
                             placeholder="What caused it (you can add it later with "
                                         "/vigilo cause)")]
        return modal(self.callback_id, f"Resolve {meta.key or ''}".strip(), blocks, meta,
                     submit="Resolve")

    def parse(self, values: Values) -> ResolveForm:
        return ResolveForm(text_value(values, "root_cause")[:MAX_TEXT])

    def users(self, form: ResolveForm) -> list[str]:
        return []

    def apply(self, sub: Submission, form: ResolveForm) -> Finish:
        incident = incidents.transition(sub.bot.db, sub.actor, sub.meta.key or "", Move.RESOLVE,
                                        root_cause=form.root_cause)
        return lambda: render.done(f"{sub.meta.key} is {render.status_text(incident.status)}.")
