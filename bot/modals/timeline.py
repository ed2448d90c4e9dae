"""The timeline editor in a modal: the latest entries (paged), each with its actions, and
the forms that edit an entry or add one at a chosen time.

The list is one modal that its buttons redraw in place (`views.update`); Edit and Add turn it
into their form, whose submission goes through the same flow as every other modal (field
errors in place, the outcome reported to the person).
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot import render
from bot.modals.base import (
    Block,
    FieldErrors,
    Meta,
    Values,
    banner,
    datetime_input,
    datetime_value,
    modal,
    plain,
    select_input,
    select_value,
    text_input,
    text_value,
)
from bot.modals.flow import Finish, Submission
from core.errors import InvalidInput
from core.validation import MAX_TEXT
from integrations.slack.blocks import button, clip, escape
from services import timeline_editor
from services.slack_team import members_by_slack_id
from services.timeline_editor import EditorPage, EntryView
from store.types import utcnow

LIST = "timeline_editor"
ACTION_ENTRY = "tl_entry"  # overflow menu: value "<verb> <KEY> <event id>"
ACTION_PAGE = "tl_page"  # value "<KEY> <page>"
ACTION_ADD = "tl_add"  # value "<KEY>"
SLACK_INPUT = 3000
SHOWN_TEXT = 500


def list_view(editor: EditorPage, meta: Meta, note: str | None = None,
              error: str | None = None) -> Block:
    meta = Meta(editor.key, meta.response_url, meta.channel, str(editor.page))
    head = (f"*Timeline of {editor.key}* · {editor.total} entries, newest first · page "
            f"{editor.page} of {editor.pages} · times in UTC")
    blocks: list[Block] = [*banner(error),
                           {"type": "section", "text": {"type": "mrkdwn", "text": head}}]
    if note:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": note}]})
    controls = [button(ACTION_ADD, "Add an entry", editor.key, style="primary")]
    if editor.page > 1:
        controls.append(button(ACTION_PAGE, "‹ Newer", f"{editor.key} {editor.page - 1}"))
    if editor.page < editor.pages:
        controls.append(button(ACTION_PAGE, "Older ›", f"{editor.key} {editor.page + 1}"))
    blocks.append({"type": "actions", "elements": controls})
    blocks += [entry_block(editor.key, e) for e in editor.entries]
    view = modal(LIST, f"Timeline {editor.key}", blocks, meta, submit=None)
    view["close"] = plain("Done")
    return view


def entry_block(key: str, entry: EntryView) -> Block:
    marks = []
    if entry.edited:
        marks.append("edited")
    if entry.hidden:
        marks.append("hidden from the postmortem")
    if not entry.editable:
        marks.append("recorded change")
    text = entry.text if len(entry.text) <= SHOWN_TEXT else (
        entry.text[:SHOWN_TEXT] + f"… ({len(entry.text) - SHOWN_TEXT:,} more characters)")
    line = (f"*{entry.at:%Y-%m-%d %H:%M}* · {escape(entry.actor or 'Vigilo')}"
            f"{' · _' + ', '.join(marks) + '_' if marks else ''}\n{escape(text)}")
    options = []
    if entry.editable:
        options += [("edit", "Edit the text"), ("delete", "Delete")]
    options.append(("show", "Show in the postmortem") if entry.hidden
                   else ("hide", "Hide from the postmortem"))
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(line, 3000)},
            "accessory": {"type": "overflow", "action_id": ACTION_ENTRY, "options": [
                {"text": plain(label), "value": f"{verb} {key} {entry.id}"}
                for verb, label in options]}}


@dataclass
class EntryForm:
    text: str = ""


class EditEntry:
    callback_id = "timeline_edit_entry"
    title = "Edit entry"
    blocks: tuple[str, ...] = ("text",)

    def view(self, meta: Meta, form: EntryForm, error: str | None = None) -> Block:
        blocks = [*banner(error),
                  {"type": "context", "elements": [{"type": "mrkdwn", "text": (
                      f"Editing an entry on *{meta.key}*'s timeline. The previous text is "
                      "kept, and the edit is audited.")}]},
                  text_input("text", "Text", initial=form.text, multiline=True,
                             max_length=SLACK_INPUT)]
        return modal(self.callback_id, self.title, blocks, meta, submit="Save")

    def parse(self, values: Values) -> EntryForm:
        return EntryForm(text_value(values, "text")[:MAX_TEXT])

    def users(self, form: EntryForm) -> list[str]:
        return []

    def apply(self, sub: Submission, form: EntryForm) -> Finish:
        event_id = int(sub.meta.item or 0)
        timeline_editor.edit(sub.bot.db, sub.actor, sub.meta.key or "", event_id, form.text)
        return lambda: render.done(f"Edited the entry on {sub.meta.key}'s timeline.")


@dataclass
class AddForm:
    text: str = ""
    at: datetime | None = None


class AddEntry:
    callback_id = "timeline_add_entry"
    title = "Add to the timeline"
    blocks: tuple[str, ...] = ("text", "at")

    def view(self, meta: Meta, form: AddForm, error: str | None = None) -> Block:
        blocks = [*banner(error),
                  text_input("text", "What happened", initial=form.text, multiline=True,
                             max_length=SLACK_INPUT,
                             placeholder="We noticed the error rate climbing"),
                  datetime_input("at", "When it happened", form.at or utcnow())]
        return modal(self.callback_id, self.title, blocks, meta, submit="Add")

    def parse(self, values: Values) -> AddForm:
        at = datetime_value(values, "at")
        if at is not None and at > utcnow() + timedelta(minutes=1):  # as the service checks it
            raise InvalidInput("That time is in the future.", field="at")
        return AddForm(text_value(values, "text")[:MAX_TEXT], at)

    def users(self, form: AddForm) -> list[str]:
        return []

    def apply(self, sub: Submission, form: AddForm) -> Finish:
        event = timeline_editor.add_at(sub.bot.db, sub.actor, sub.meta.key or "", form.text,
                                       form.at)
        when = f"{event.at:%Y-%m-%d %H:%M} UTC" if event else ""
        return lambda: render.done(f"Added to {sub.meta.key}'s timeline at {when}.")


EDIT = EditEntry()
ADD = AddEntry()


@dataclass
class MessageForm:
    incident: str | None = None  # the key chosen
    text: str = ""
    options: tuple[tuple[str, str], ...] = ()  # (key, label) of the incidents offered
    too_long: int = 0  # the message's length when it did not fit Slack's form


class FromMessage:
    """The message shortcut "Add to incident timeline": which incident, and the text."""

    callback_id = "timeline_from_message"
    title = "Add to timeline"
    blocks: tuple[str, ...] = ("incident", "text")

    def view(self, meta: Meta, form: MessageForm, error: str | None = None) -> Block:
        note = ("The message goes on the incident's timeline at the time it was posted, "
                "under its author's name.")
        if form.too_long:
            note += (f" It is {form.too_long:,} characters and Slack's form holds "
                     f"{SLACK_INPUT:,}: shorten it here, or add the rest with /vigilo log.")
        blocks = [*banner(error), {"type": "context", "elements": [
            {"type": "mrkdwn", "text": note}]}]
        if form.options:
            blocks.append(select_input("incident", "Incident", list(form.options),
                                       form.incident))
        else:
            blocks.append(text_input("incident", "Incident key", initial=form.incident,
                                     placeholder="INC-0042"))
        blocks.append(text_input("text", "Text", initial=form.text, multiline=True,
                                 max_length=SLACK_INPUT))
        view = modal(self.callback_id, self.title, blocks, meta, submit="Add")
        return view

    def parse(self, values: Values) -> MessageForm:
        key = select_value(values, "incident") or text_value(values, "incident").strip()
        if not key:
            raise FieldErrors({"incident": "Choose the incident."})
        return MessageForm(key, text_value(values, "text")[:MAX_TEXT])

    def users(self, form: MessageForm) -> list[str]:
        return []

    def apply(self, sub: Submission, form: MessageForm) -> Finish:
        channel, ts, author = _message_ref(sub.meta.item)
        # Met when the form opened (after ack): the author is a member by now.
        known = members_by_slack_id(sub.bot.db, sub.workspace.id, [author] if author else [])
        event = timeline_editor.add_at(
            sub.bot.db, sub.actor, form.incident or "", form.text, ts_time(ts),
            source="slack", payload={"channel": channel, "ts": ts, "via": "shortcut"},
            dedupe_key=f"slack:{channel}:{ts}" if channel and ts else None,
            author_id=known[author].id if author in known else None)
        key = form.incident
        if event is None:
            return lambda: render.done(f"That message is on {key}'s timeline already.")
        return lambda: render.done(f"Added the message to {key}'s timeline.")


def _message_ref(item: str | None) -> tuple[str, str, str | None]:
    parts = (item or "").split()
    return (parts[0] if parts else "", parts[1] if len(parts) > 1 else "",
            parts[2] if len(parts) > 2 else None)


def ts_time(ts: str) -> datetime | None:
    try:
        return datetime.fromtimestamp(float(ts), UTC)
    except (TypeError, ValueError, OverflowError):
        return None


FROM_MESSAGE = FromMessage()
KINDS = (EDIT, ADD, FROM_MESSAGE)
