"""One modal per postmortem section. A section holds up to 12,000 characters and a Slack
input 3,000, so the text is split across up to four inputs (at line breaks where it can)
and joined back on submission: nothing is ever cut."""

from dataclasses import dataclass, field

from bot import render
from bot.modals.base import Block, Meta, Values, banner, modal, text_input, text_value
from bot.modals.flow import Finish, Submission, open_view
from bot.runtime import Bot
from core.errors import InvalidInput
from core.keys import format_key
from core.permissions import Action
from core.postmortem import (
    INPUTS,
    SLACK_INPUT,
    PmStatus,
    Section,
    check_editable,
    clean_section,
    join_inputs,
    split_for_inputs,
)
from services import postmortems, slack_team
from services.actor import Actor
from services.postmortem_view import get_postmortem
from services.records import authorize
from services.slack_team import WorkspaceRef

PARTS = tuple(f"part_{n}" for n in range(1, INPUTS + 1))


@dataclass
class SectionForm:
    parts: list[str] = field(default_factory=list)
    draft_source: str = ""  # the text shown is a suggestion from here, not yet accepted
    draft_note: str = ""  # what became of an AI draft


class SectionModal:
    blocks: tuple[str, ...] = PARTS

    def __init__(self, section: Section) -> None:
        self.section = section
        self.callback_id = f"pm_section_{section.value}"
        self.title = section.heading

    def view(self, meta: Meta, form: SectionForm, error: str | None = None) -> Block:
        parts = [p for p in form.parts if p] or [""]
        shown = min(INPUTS, len(parts) + 1) if len(parts) < INPUTS else INPUTS
        note = (f"Postmortem of *{meta.key}*: {self.section.heading}.")
        if form.draft_source:
            source = ("from the incident's record" if form.draft_source == "record"
                      else f"by {form.draft_source}")
            note += f" This is a first draft {source}: edit it, or save it as it is to accept it."
        if form.draft_note:
            note += f"\n_{form.draft_note}_"
        blocks: list[Block] = [*banner(error), {"type": "context", "elements": [
            {"type": "mrkdwn", "text": note}]}]
        for index in range(shown):
            label = self.section.heading if index == 0 else f"…continued (part {index + 1})"
            blocks.append(text_input(PARTS[index], label,
                                     initial=parts[index] if index < len(parts) else None,
                                     multiline=True, optional=index > 0,
                                     max_length=SLACK_INPUT,
                                     hint=("Longer text continues in the next box."
                                           if index == shown - 1 and index < INPUTS - 1
                                           else None)))
        return modal(self.callback_id, f"{self.section.heading}", blocks, meta, submit="Save")

    def parse(self, values: Values) -> SectionForm:
        parts = [text_value(values, part) for part in PARTS if part in values]
        clean_section(join_inputs(parts))
        return SectionForm(parts)

    def users(self, form: SectionForm) -> list[str]:
        return []

    def apply(self, sub: Submission, form: SectionForm) -> Finish:
        key = sub.meta.key or ""
        postmortems.edit_section(sub.bot.db, sub.actor, key, self.section,
                                 join_inputs(form.parts))
        return lambda: render.done(f"Saved the {self.section.heading.lower()} of {key}'s "
                                   "postmortem.")


KINDS = {section: SectionModal(section) for section in Section}


def open_section(bot: Bot, workspace: WorkspaceRef, actor: Actor, trigger_id: str, key: str,
                 section: Section, meta: Meta) -> None:
    incident = slack_team.find_incident(bot.db, workspace.id, key)
    authorize(actor, Action.POST_UPDATE, incident)
    view = get_postmortem(bot.db, workspace.id, key)
    check_editable(PmStatus(view.status))
    shown = view.section(section)
    if len(shown.shown) > INPUTS * SLACK_INPUT + INPUTS:  # cannot happen under the limit
        raise InvalidInput("This section is too long to edit in Slack; edit it on the web.")
    meta = Meta(format_key(incident.number), meta.response_url, meta.channel)
    form = SectionForm(split_for_inputs(shown.shown) if shown.shown else [],
                       shown.draft_source if shown.is_draft else "",
                       shown.draft_note if not shown.text else "")
    open_view(bot, trigger_id, KINDS[section].view(meta, form))
