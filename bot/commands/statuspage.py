"""`/vigilo statuspage publish|update <message>|withdraw`: the public status page, in words
people write for the public (never drafted from the internal timeline). Alone (in an
incident channel, or with a key) it opens the status-page modal."""

from bot import modals, render
from bot.commands.base import Call, Sub
from bot.commands.parse import UsageError
from core import statuspage as public
from services import statuspage

USAGE = "statuspage [KEY] [publish <message> | update <message> | withdraw]"


def run(call: Call) -> render.Reply | None:
    action = (call.rest.first() or "").lower()
    message = call.text(call.rest.after_first())
    if not action:
        key = call.key(USAGE)
        modals.open_statuspage(call.bot, call.workspace, call.actor, call.trigger_id, key,
                               call.meta)
        return None  # the modal is the answer
    if action not in ("publish", "update", "withdraw"):
        raise UsageError("Say what to do on the public status page: publish or update, with "
                         "words for the public, or withdraw.", USAGE)
    if action != "withdraw" and not message:
        raise UsageError(f"`statuspage {action}` needs the words the public will read.", USAGE)
    if action == "withdraw" and message:
        raise UsageError("`statuspage withdraw` takes nothing after it.", USAGE)
    key = call.key(USAGE)
    url = f"{call.bot.base_url}/status/{call.workspace.slug}"
    if action == "publish":
        row = statuspage.publish(call.bot.db, call.actor, key, message)
        return render.done(f"{key} is on the public status page "
                           f"({public.LABELS[row.status]}): {url}")
    if action == "update":
        row = statuspage.update(call.bot.db, call.actor, key, message)
        return render.done(f"Status page updated for {key} ({public.LABELS[row.status]}): {url}")
    statuspage.withdraw(call.bot.db, call.actor, key)
    return render.done(f"{key} is off the public status page.")


SUBS = [Sub("statuspage", USAGE, "publish, update or withdraw the public status page "
            "(alone: open the form)", run)]
