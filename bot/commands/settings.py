"""`/vigilo settings [name [value]]` (admins): read and change the workspace's settings.

The same settings and checks as `vigilo workspace set`: a wrong value is refused with what
the setting takes, and nothing changes. The value is taken as Slack sent it, so a channel
picked from Slack's autocomplete (`<#C0123ABCD|incidents>`) arrives as its id.
"""

from bot import render
from bot.commands.base import Call, Sub
from bot.commands.parse import UsageError
from services import workspace_view, workspaces

USAGE = "settings [name [value]]"
HINTS = {
    "announce_channel": "Invite @Vigilo to the channel if it is not there yet; incidents at "
                        "or above announce_severity get one message there, kept current.",
    "archive_delay": "Resolved incidents' channels are archived that long after resolve, "
                     "with a heads-up first; reopening cancels it.",
}


def run(call: Call) -> render.Reply:
    name = (call.rest.first() or "").lower()
    value = call.rest.after_first().text
    current = workspace_view.settings_for(call.bot.db, call.actor).to_json()
    if not name:
        lines = "\n".join(f"`{key}` = {shown(val)}" for key, val in sorted(current.items()))
        return render.Reply(f"Workspace settings (change one with `/vigilo settings <name> "
                            f"<value>`):\n{lines}")
    if name not in current:
        raise UsageError(f"There is no setting '{render.echo(name)}'. Settings: "
                         f"{', '.join(sorted(current))}.", USAGE)
    if not call.rest.after_first():
        return render.Reply(f"`{name}` = {shown(current[name])}")
    changed = workspaces.set_setting(call.bot.db, call.actor, name, value).to_json()[name]
    hint = f"\n{HINTS[name]}" if name in HINTS and changed not in ("", "0") else ""
    return render.done(f"`{name}` = {shown(changed)}{hint}")


def shown(value: object) -> str:
    if value == "":
        return "_off_"
    if isinstance(value, bool):
        return "on" if value else "off"
    text = str(value)
    if text.startswith(("C", "G")) and text.isalnum() and text.isupper():
        return f"<#{text}>"  # a channel id reads as the channel's name in Slack
    return render.echo(text)


SUBS = [Sub("settings", USAGE, "read or change a workspace setting (admins)", run)]
