"""The text after `/vigilo`: subcommand, optional incident key, the rest kept verbatim.

Only the shape is read here; what the words mean is up to each subcommand. A word that
merely looks like a keyword inside free text (a title, a log entry) stays text.
"""

import re
from dataclasses import dataclass

from core.errors import InvalidInput
from core.keys import looks_like_key

_TOKEN = re.compile(r"<[^<>]*>|\S+")
_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|([^<>]*))?>$")


class UsageError(InvalidInput):
    """The command text does not fit the subcommand; the reply shows how it is used."""

    def __init__(self, message: str, usage: str | None = None) -> None:
        super().__init__(message, field="text")
        self.usage = usage


@dataclass(frozen=True)
class Words:
    """Text split into words, each word remembering where it ends in the original."""

    text: str

    def tokens(self) -> list[tuple[str, int]]:
        return [(m.group(0), m.end()) for m in _TOKEN.finditer(self.text)]

    def first(self) -> str | None:
        tokens = self.tokens()
        return tokens[0][0] if tokens else None

    def after_first(self) -> "Words":
        tokens = self.tokens()
        return Words(self.text[tokens[0][1]:].strip() if tokens else "")

    def __bool__(self) -> bool:
        return bool(self.text.strip())


@dataclass(frozen=True)
class Command:
    sub: str  # lower-case subcommand, "" for none
    key: str | None  # an explicit incident key, as typed
    rest: Words  # everything after the subcommand and key, verbatim


def parse(text: str, subcommands: set[str]) -> Command:
    """`resolve INC-42 bad deploy`, `INC-42 resolve bad deploy` and, inside an incident
    channel, `resolve bad deploy` all mean the same."""
    words = Words((text or "").strip())
    first = words.first()
    if first is None:
        return Command("", None, Words(""))
    rest = words.after_first()
    if looks_like_key(first):
        second = rest.first()
        if second is not None and second.lower() in subcommands:
            return Command(second.lower(), first, rest.after_first())
        return Command("show", first, rest)
    sub = first.lower()
    key_word = rest.first()
    if key_word is not None and looks_like_key(key_word):
        return Command(sub, key_word, rest.after_first())
    return Command(sub, None, rest)


def mention(word: str | None) -> str | None:
    """`<@U123|alice>` or `<@U123>` → `U123`; anything else → None."""
    match = _MENTION.match(word or "")
    return match.group(1) if match else None

