"""`/vigilo timeline [KEY]`: the timeline editor, in a modal."""

from bot.commands.base import Call, Sub
from bot.commands.parse import UsageError
from bot.modals import timeline as tl
from bot.modals.flow import open_view
from core.permissions import Action
from services import slack_team, timeline_editor
from services.records import authorize

USAGE = "timeline [KEY]"


def timeline(call: Call) -> None:
    key = call.key(USAGE)
    if call.rest:
        raise UsageError("`timeline` takes only a key; add entries from the editor (or with "
                         "`/vigilo log`).", USAGE)
    incident = slack_team.find_incident(call.bot.db, call.workspace.id, key)
    authorize(call.actor, Action.EDIT_TIMELINE, incident)
    editor = timeline_editor.page(call.bot.db, call.workspace.id, key)
    open_view(call.bot, call.trigger_id, tl.list_view(editor, call.meta))


SUBS = [Sub("timeline", USAGE, "edit the timeline: fix or delete entries, add one at the "
            "time it happened, hide entries from the postmortem", timeline)]
