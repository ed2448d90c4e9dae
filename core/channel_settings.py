"""The announcements channel and the archive delay: what an admin may type for them.

`announce_channel` names a Slack channel by `#name` or by id (what Slack's own
"Copy channel ID" gives, or the `<#C123|name>` a channel mention becomes in a slash
command); an id survives a rename and lets the bot join a public channel by itself.
`archive_delay` is how long an incident channel stays open after resolve: `0` (at once, as
before), or a length such as `30m`, `24h`, `1h30m`, `2d`.
"""

import re
from datetime import timedelta

from core.errors import InvalidInput

OFF_WORDS = frozenset({"", "off", "none", "no", "-"})
AT_ONCE_WORDS = frozenset({"0", "now", "at once", "immediately", "0m", "0h", "0d"})
MAX_ARCHIVE_DELAY = timedelta(days=30)
MAX_CHANNEL_NAME = 80

_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{6,20}")
_MENTION = re.compile(r"<#([CG][A-Z0-9]{6,20})(?:\|[^>]*)?>")
_CHANNEL_NAME = re.compile(r"[a-z0-9_-]+")
_DELAY_PART = re.compile(r"([0-9]+)([dhm])")
_DELAY_UNITS = {"d": 1440, "h": 60, "m": 1}


def clean_channel_ref(value: object) -> str:
    """`#incidents`, a channel id (`C0123ABCD`), or "" for off; a clear error otherwise."""
    text = str(value if value is not None else "").strip()
    if text.lower() in OFF_WORDS:
        return ""
    mention = _MENTION.fullmatch(text)
    if mention:
        return mention.group(1)
    if _CHANNEL_ID.fullmatch(text):
        return text
    name = text.removeprefix("#").lower()
    if not _CHANNEL_NAME.fullmatch(name) or len(name) > MAX_CHANNEL_NAME:
        raise InvalidInput(
            f"Setting 'announce_channel' takes a Slack channel like #incidents or its id "
            f"(C0123ABCD), or off; '{text[:40]}' is not one: channel names are lowercase "
            f"letters, digits, - and _, at most {MAX_CHANNEL_NAME} characters.",
            field="announce_channel")
    return f"#{name}"


def is_channel_id(ref: str) -> bool:
    return bool(_CHANNEL_ID.fullmatch(ref))


def clean_archive_delay(value: object) -> str:
    """The delay in its shortest spelling: `0`, `30m`, `24h`, `1h30m`, `2d`."""
    text = "".join(str(value if value is not None else "").lower().split())
    if text in {w.replace(" ", "") for w in AT_ONCE_WORDS}:
        return "0"
    minutes = _minutes(text)
    if minutes is None:
        raise InvalidInput(
            f"Setting 'archive_delay' takes 0 (archive at once) or a length like 30m, 24h, "
            f"1h30m or 2d, not '{str(value)[:40]}'.", field="archive_delay")
    if minutes > MAX_ARCHIVE_DELAY // timedelta(minutes=1):
        raise InvalidInput(f"Setting 'archive_delay' is at most {MAX_ARCHIVE_DELAY.days}d; "
                           "to keep channels open for good, turn auto_archive off.",
                           field="archive_delay")
    return spell_minutes(minutes)


def archive_delay(text: str) -> timedelta:
    """The stored setting as a length (0 when unreadable: archive at once, as before)."""
    return timedelta(minutes=_minutes(text) or 0) if text not in ("", "0") else timedelta()


def spell_minutes(minutes: int) -> str:
    if minutes == 0:
        return "0"
    if minutes % 1440 == 0 and minutes >= 2880:
        return f"{minutes // 1440}d"
    hours, rest = divmod(minutes, 60)
    return (f"{hours}h" if hours else "") + (f"{rest}m" if rest else "")


def _minutes(text: str) -> int | None:
    """Whole minutes in `text` (units d/h/m, each at most once, largest first), or None."""
    parts = _DELAY_PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    units = [u for _, u in parts]
    if units != sorted(set(units), key="dhm".index):
        return None  # "30m2h" or "1h1h": not a spelling anyone means
    total = sum(int(n) * _DELAY_UNITS[u] for n, u in parts)
    return total if total > 0 else None
