"""Opening modals and handling their submission.

A submission is answered from what the form itself can check, without the database: field
errors come back inside the modal (`response_action: errors`) at once. Everything else —
who the people are (the database, Slack for newcomers), permissions, the service call —
runs after ack(): the modal shows "one moment", then is updated with the outcome, or redrawn
with what was typed and the reason. A database transaction before the ack made acks miss
Slack's 3 seconds under load (bench/bench_slack_forms.py). The submission is in the inbox
before the ack, so a crash after it still carries the work out (declaring is idempotent by
the submission's trigger id).
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from slack_bolt import Ack
from slack_sdk.errors import SlackApiError

from bot.modals.base import Block, FieldErrors, Meta, Values, notice
from bot.people import People, SlackUnavailable, actor_of
from bot.render import Reply, failure, unsaid
from bot.render import error as render_error
from bot.runtime import Bot
from core.errors import DomainError
from services.actor import Actor
from services.slack_team import WorkspaceRef

log = logging.getLogger(__name__)

Form = TypeVar("Form")
Finish = Callable[[], Reply | None]  # runs after ack(): the reply to the person


@dataclass(frozen=True)
class Submission:
    bot: Bot
    workspace: WorkspaceRef
    actor: Actor
    meta: Meta
    members: dict[str, int]  # Slack user id → member id, for every user picked in the form
    key: str = ""  # idempotency key of this submission (a rerun from the inbox repeats it)


class ModalKind(Protocol, Generic[Form]):
    callback_id: str
    title: str
    blocks: tuple[str, ...]  # input block ids; errors about other fields go to the first

    def parse(self, values: Values) -> Form: ...

    def users(self, form: Form) -> list[str]: ...

    def apply(self, sub: Submission, form: Form) -> Finish: ...

    def view(self, meta: Meta, form: Form, error: str | None = None) -> Block: ...


def block_for(kind: ModalKind[Any], field: str | None) -> str:
    aliases = {"member": "commander" if "commander" in kind.blocks else "members",
               "text": kind.blocks[0], "move": kind.blocks[0], "status": kind.blocks[0]}
    name = aliases.get(field or "", field or "")
    return name if name in kind.blocks else kind.blocks[0]


def open_view(bot: Bot, trigger_id: str, view: Block) -> None:
    try:
        bot.client.views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as error:
        code = error.response.get("error") if error.response is not None else None
        if code in ("expired_trigger_id", "invalid_trigger_id", "exchanged_trigger_id"):
            raise SlackUnavailable("The form took too long to open; run the command or click "
                                   "the button again.") from None
        raise SlackUnavailable(f"Slack refused to open the form ({code}).") from None


def deliver(bot: Bot, meta: Meta, user_id: str, reply: Reply | None) -> None:
    """Tell the person how it went: where the modal came from, else a direct message."""

    def send(reply: Reply) -> None:
        try:
            if meta.response_url:
                bot.respond_to(meta.response_url)(**reply.kwargs())
            else:
                kwargs = reply.kwargs()
                bot.client.chat_postMessage(channel=user_id, text=kwargs["text"],
                                            blocks=kwargs.get("blocks"))
        except Exception:  # the outcome is recorded already; only the notice is lost
            log.exception("could not deliver a modal's outcome to %s", user_id)

    if reply is not None:
        send(reply)
        bot.follow_up(reply, send)


def submit(kind: ModalKind[Any], bot: Bot, people: People, ack: Ack,
           body: dict[str, Any]) -> None:
    answer, start = check(kind, bot, people, body)
    ack(**answer)
    if start is not None:
        start()


def check(kind: ModalKind[Any], bot: Bot, people: People, body: dict[str, Any]
          ) -> tuple[dict[str, Any], Callable[[], None] | None]:
    """The answer to a submission, from what the form itself can check (response_action
    errors or the "one moment" update); and, when it passed, what starts the work after."""
    view = body.get("view") or {}
    user_id = str((body.get("user") or {}).get("id") or "")
    team_id = team_of(body)
    first = kind.blocks[0]
    try:
        workspace = bot.workspace(team_id)
        if workspace is None:
            return _errors({first: "This Slack workspace is not connected to Vigilo."}), None
        meta = Meta.load(view.get("private_metadata"))
        try:
            form = kind.parse(((view.get("state") or {}).get("values")) or {})
        except FieldErrors as problems:
            return _errors(problems.errors), None
        except DomainError as error:
            return _errors({block_for(kind, error.field): error.message}), None
        wanted = list(dict.fromkeys([user_id, *kind.users(form)]))
    except Exception:
        log.exception("modal %s failed", kind.callback_id)
        return _errors({first: failure().text}), None
    trigger = str(body.get("trigger_id") or view.get("id") or "")

    def start() -> None:
        bot.later(_after_ack, kind, bot, people, workspace, meta, form, user_id, wanted,
                  str(view.get("id") or ""), f"slack:{trigger}" if trigger else "")

    return {"response_action": "update", "view": notice(kind.title, "One moment…")}, start


def team_of(body: dict[str, Any]) -> str | None:
    """The Slack team a view submission came from."""
    team, view = body.get("team"), body.get("view")
    found = ((team.get("id") if isinstance(team, dict) else None)
             or (view.get("team_id") if isinstance(view, dict) else None))
    return str(found) if found else None


def _errors(errors: dict[str, str]) -> dict[str, Any]:
    return {"response_action": "errors", "errors": errors}


def _after_ack(kind: ModalKind[Any], bot: Bot, people: People, workspace: WorkspaceRef,
               meta: Meta, form: Any, user_id: str, wanted: list[str], view_id: str,
               key: str) -> None:
    """After ack: who the people are (Slack for newcomers), then what the form asked."""
    try:
        members = people.members(workspace, wanted)
        sub = Submission(bot, workspace, actor_of(members[0]), meta,
                         {m.slack_user_id: m.id or 0 for m in members}, key)
        finish = kind.apply(sub, form)
    except Exception as error:
        if isinstance(error, DomainError):
            refusal, why = render_error(error), error.message
        else:
            log.exception("modal %s failed after ack", kind.callback_id)
            refusal = failure()
            why = refusal.text
        # The form again, as typed, with the reason on top: nothing typed is lost.
        _show(bot, view_id, kind.view(meta, form, why), meta, user_id, refusal)
        return
    bot.notify()
    bot.reply_later(_finished, kind, bot, finish, meta, user_id, view_id)


def _finished(kind: ModalKind[Any], bot: Bot, finish: Finish, meta: Meta,
              user_id: str, view_id: str) -> None:
    """On a reply thread, once the change is committed: its words (which may read more, as
    a new incident's runbooks), in the modal and to the person; the job thread goes on."""
    try:
        outcome = finish()
    except Exception:  # the change is recorded; only the words about it failed
        log.exception("modal %s: building the outcome failed", kind.callback_id)
        outcome = unsaid()
    _show(bot, view_id, notice(kind.title, outcome.text if outcome else "✅ Done."), meta,
          user_id, None)
    deliver(bot, meta, user_id, outcome)


def _show(bot: Bot, view_id: str, view: Block, meta: Meta, user_id: str,
          otherwise: Reply | None) -> None:
    """Update the open modal; if Slack refuses, say it another way."""
    try:
        bot.client.views_update(view_id=view_id, view=view)
    except Exception:
        log.exception("could not update modal %s", view_id)
        deliver(bot, meta, user_id, otherwise)
