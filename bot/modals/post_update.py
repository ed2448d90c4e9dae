"""Post update: the reminder nudge's button and `/vigilo update` open this modal; its text
goes on the timeline as a status update, which is what the update reminder waits for."""

from dataclasses import dataclass

from bot import render
from bot.modals.base import Block, FieldErrors, Meta, Values, banner, modal, text_input, text_value
from bot.modals.flow import Finish, Submission, open_view
from bot.runtime import Bot
from core.effects import Label
from core.keys import format_key
from core.permissions import Action
from core.validation import MAX_TEXT
from services import slack_team, timeline
from services.actor import Actor
from services.records import authorize
from services.slack_team import WorkspaceRef

BLOCK = "update"


@dataclass
class UpdateForm:
    text: str = ""


class PostUpdate:
    callback_id = "post_update"
    title = "Post update"
    blocks: tuple[str, ...] = (BLOCK,)

    def view(self, meta: Meta, form: UpdateForm, error: str | None = None) -> Block:
        blocks = [*banner(error),
                  {"type": "context", "elements": [
                      {"type": "mrkdwn", "text": f"A status update on *{meta.key}*: what is "
                                                 "known, what is being tried, what is next."}]},
                  text_input(BLOCK, "Update", initial=form.text, multiline=True,
                             max_length=MAX_TEXT,
                             placeholder="Still investigating: errors started at 14:02 …")]
        return modal(self.callback_id, f"Update {meta.key or ''}".strip(), blocks, meta,
                     submit="Post")

    def parse(self, values: Values) -> UpdateForm:
        text = text_value(values, BLOCK).strip()
        if not text:
            raise FieldErrors({BLOCK: "Write the update: even \"still investigating\" helps."})
        return UpdateForm(text[:MAX_TEXT])

    def users(self, form: UpdateForm) -> list[str]:
        return []

    def apply(self, sub: Submission, form: UpdateForm) -> Finish:
        post(sub.bot, sub.actor, sub.meta.key or "", form.text,
             f"slack-update:{sub.key}" if sub.key else None, sub.meta.channel)
        return lambda: render.done(f"Update posted on {sub.meta.key}'s timeline; the "
                                   "update reminder starts again from now.")


POST_UPDATE = PostUpdate()


def post(bot: Bot, actor: Actor, key: str, text: str, dedupe_key: str | None,
         channel: str | None = None) -> None:
    """The update on the timeline (a repeat of the same submission adds nothing)."""
    timeline.append_entry(bot.db, actor, key, text, source="slack", label=Label.UPDATE,
                          payload={"channel": channel} if channel else None,
                          dedupe_key=dedupe_key)


def open_post_update(bot: Bot, workspace: WorkspaceRef, actor: Actor, trigger_id: str,
                     key: str, meta: Meta) -> None:
    incident = slack_team.find_incident(bot.db, workspace.id, key)
    authorize(actor, Action.POST_UPDATE, incident)
    meta = Meta(format_key(incident.number), meta.response_url, meta.channel)
    open_view(bot, trigger_id, POST_UPDATE.view(meta, UpdateForm()))
