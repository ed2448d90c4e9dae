"""Modals: New incident, Add responders, Resolve, Edit incident, Status page, and the others each
module names (postmortem, timeline, Pick a change, Post update, New change, ...).

Commands and buttons open them (after ack, with the trigger id); what a person may not do,
or what the FSM does not allow, is refused before the form opens rather than after.
"""

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App

from bot.modals import (
    assign_item,
    new_change,
    pick_change,
    post_update,
    postmortem,
    timeline,
)
from bot.modals.add_responders import AddForm, AddResponders
from bot.modals.base import Meta
from bot.modals.edit_incident import EditForm, EditIncident
from bot.modals.flow import ModalKind, check, open_view, submit, team_of
from bot.modals.new_incident import NewForm, NewIncident
from bot.modals.resolve import Resolve, ResolveForm
from bot.modals.statuspage import StatusForm, StatusPageModal, shown_now
from bot.people import People
from bot.runtime import Bot
from core import statuspage as public
from core.errors import InvalidInput
from core.fsm import ACTIVE_STATUSES, Move, Status, apply_move
from core.keys import format_key
from core.permissions import Action
from services import slack_team, statuspage
from services.actor import Actor
from services.records import authorize
from services.slack_team import WorkspaceRef

NEW = NewIncident()
ADD = AddResponders()
RESOLVE = Resolve()
EDIT = EditIncident()
STATUS_PAGE = StatusPageModal()
KINDS: tuple[ModalKind[Any], ...] = (NEW, ADD, RESOLVE, EDIT, STATUS_PAGE,
                                     *postmortem.KINDS.values(), *timeline.KINDS,
                                     assign_item.ASSIGN, pick_change.PICK,
                                     post_update.POST_UPDATE, new_change.NEW_CHANGE)


def register(app: App, bot: Bot, people: People) -> None:
    for kind in KINDS:
        app.view(kind.callback_id)(_listener(kind, bot, people))
    pick_change.register(app, bot)


def answerer(bot: Bot, people: People) -> Callable[[dict[str, Any]], dict[str, Any] | None]:
    """The answer to a form submission, computed without Bolt, the database or Slack, for
    the endpoint to send at once (Bolt then runs the listener after the answer, which does
    the same checks and starts the work); None: let Bolt answer."""
    kinds = {kind.callback_id: kind for kind in KINDS}

    def answer(body: dict[str, Any]) -> dict[str, Any] | None:
        view = body.get("view")
        if body.get("type") != "view_submission" or not isinstance(view, dict):
            return None
        kind = kinds.get(str(view.get("callback_id") or ""))
        if kind is None or not bot.knows_team(team_of(body)):  # a first visit reads the db
            return None
        return check(kind, bot, people, body)[0]

    return answer


def _listener(kind: ModalKind[Any], bot: Bot, people: People) -> Any:
    def on_submit(ack: Ack, body: dict[str, Any]) -> None:
        submit(kind, bot, people, ack, body)

    on_submit.__name__ = f"on_{kind.callback_id}"
    return on_submit


def open_new(bot: Bot, actor: Actor, user_id: str, trigger_id: str, meta: Meta) -> None:
    authorize(actor, Action.DECLARE)
    open_view(bot, trigger_id, NEW.view(meta, NewForm(commander=user_id)))


def open_add_responders(bot: Bot, workspace: WorkspaceRef, actor: Actor, trigger_id: str,
                        key: str, meta: Meta) -> None:
    incident = slack_team.find_incident(bot.db, workspace.id, key)
    authorize(actor, Action.ADD_RESPONDER, incident)
    if Status(incident.status) not in ACTIVE_STATUSES:
        raise InvalidInput(f"{format_key(incident.number)} is {incident.status}: reopen it "
                           "before adding responders.")
    meta = Meta(format_key(incident.number), meta.response_url, meta.channel)
    open_view(bot, trigger_id, ADD.view(meta, AddForm()))


def open_resolve(bot: Bot, workspace: WorkspaceRef, actor: Actor, trigger_id: str, key: str,
                 meta: Meta) -> None:
    incident = slack_team.find_incident(bot.db, workspace.id, key)
    authorize(actor, Action.TRANSITION, incident)
    apply_move(Status(incident.status), Move.RESOLVE)
    meta = Meta(format_key(incident.number), meta.response_url, meta.channel)
    open_view(bot, trigger_id, RESOLVE.view(meta, ResolveForm(incident.root_cause or "")))


def open_pick_change(bot: Bot, workspace: WorkspaceRef, actor: Actor, trigger_id: str,
                     key: str, meta: Meta) -> None:
    incident = slack_team.find_incident(bot.db, workspace.id, key)
    authorize(actor, Action.SET_ROOT_CAUSE, incident)
    meta = Meta(format_key(incident.number), meta.response_url, meta.channel)
    open_view(bot, trigger_id, pick_change.PICK.view(meta, pick_change.PickForm()))


def open_edit(bot: Bot, workspace: WorkspaceRef, actor: Actor, trigger_id: str, key: str,
              meta: Meta) -> None:
    incident = slack_team.find_incident(bot.db, workspace.id, key)
    authorize(actor, Action.EDIT_FIELDS, incident)
    meta = Meta(format_key(incident.number), meta.response_url, meta.channel)
    open_view(bot, trigger_id, EDIT.view(meta, EditForm.of(incident)))


def open_statuspage(bot: Bot, workspace: WorkspaceRef, actor: Actor, trigger_id: str,
                    key: str, meta: Meta) -> None:
    """Refused before the form opens for anyone the service would refuse (commander or
    admin), as `/vigilo statuspage publish` is."""
    incident = slack_team.find_incident(bot.db, workspace.id, key)
    authorize(actor, Action.EDIT_FIELDS, incident)
    now = statuspage.current(bot.db, workspace.id, incident.number)
    meta = Meta(format_key(incident.number), meta.response_url, meta.channel, shown_now(now))
    form = StatusForm.of(now, public.public_status(Status(incident.status)))
    open_view(bot, trigger_id, STATUS_PAGE.view(meta, form))
