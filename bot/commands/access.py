"""Links out of Slack: share (read-only incident URL), web (sign in to the web pages)."""

from bot import render
from bot.commands.base import Call, Sub
from bot.commands.parse import UsageError, Words
from core.keys import format_key, looks_like_key, parse_key
from services import access

SHARE = "share [KEY] [revoke]"


def share(call: Call) -> render.Reply:
    word = (call.rest.first() or "").lower()
    after = call.rest.after_first()
    explicit = after.first() if word == "revoke" and not call.command.key else None
    if explicit and looks_like_key(explicit) and not after.after_first():
        after = Words("")  # `share revoke INC-42` names the incident after the word
        key = format_key(parse_key(explicit))
    else:
        key = ""
    if call.rest and (word != "revoke" or after):
        raise UsageError("`share` makes a read-only link; `share revoke` ends every link to "
                         "the incident.", SHARE)
    key = key or call.key(SHARE)
    if word == "revoke":
        count = access.revoke_share_links(call.bot.db, call.actor, key)
        return render.done(f"Revoked {count} share link{'s' if count != 1 else ''} to {key}.")
    _, token = access.create_share_link(call.bot.db, call.actor, key)
    url = f"{call.url(key)}?share={token}"
    return render.done(f"Read-only link to {key} (anyone with it can read the incident; "
                       f"`/vigilo share revoke` ends it):\n{url}")


def web(call: Call) -> render.Reply:
    if call.rest:
        raise UsageError("`web` takes nothing after it.", "web")
    token = access.create_login_link(call.bot.db, call.actor)
    url = f"{call.bot.base_url}/auth/login?token={token}"
    return render.Reply(f"🔑 Your sign-in link for the Vigilo web pages (one use, valid "
                        f"{int(access.LOGIN_LINK_TTL.total_seconds() // 60)} minutes; do not "
                        f"share it):\n{url}")


SUBS = [
    Sub("share", SHARE, "a read-only link to the incident (revoke: end them)", share),
    Sub("web", "web", "a one-time sign-in link to the web pages", web),
]
