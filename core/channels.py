"""Slack channel names for incidents: always valid whatever the title."""

import re
import unicodedata

MAX_CHANNEL_NAME = 80
_INVALID = re.compile(r"[^a-z0-9_-]+")


def slugify(text: str) -> str:
    """Lowercase ASCII slug: accents folded, everything else becomes a dash."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _INVALID.sub("-", folded.lower()).strip("-_")


def channel_name(number: int, title: str, *, suffix: int = 0) -> str:
    """`inc-0042-checkout-is-down`, or `inc-0042-checkout-is-down-2` when the name is taken."""
    prefix = f"inc-{number:04d}"
    tail = f"-{suffix}" if suffix else ""
    room = MAX_CHANNEL_NAME - len(prefix) - len(tail) - 1
    slug = slugify(title)[: max(room, 0)].strip("-_")
    name = f"{prefix}-{slug}" if slug else prefix
    return f"{name}{tail}"[:MAX_CHANNEL_NAME]


def is_valid_channel_name(name: str) -> bool:
    return 0 < len(name) <= MAX_CHANNEL_NAME and not _INVALID.search(name)
