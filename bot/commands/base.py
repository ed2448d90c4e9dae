"""One `/vigilo` invocation: who, where, which incident, and how the subcommands are listed."""

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from bot.commands.parse import Command, UsageError, Words, mention
from bot.modals.base import Meta
from bot.people import People
from bot.render import Later, Reply
from bot.runtime import Bot
from core.keys import format_key, parse_key
from services import slack_team
from services.actor import Actor
from services.slack_capture import readable
from services.slack_team import WorkspaceRef
from store.models import Member


@dataclass
class Call:
    bot: Bot
    people: People
    workspace: WorkspaceRef
    actor: Actor
    command: Command
    user_id: str
    channel_id: str
    trigger_id: str
    response_url: str

    @property
    def rest(self) -> Words:
        return self.command.rest

    @property
    def meta(self) -> Meta:
        return Meta(None, self.response_url or None, self.channel_id or None)

    @cached_property
    def implied_key(self) -> str | None:
        """The incident whose channel this command was typed in, if any."""
        number = slack_team.incident_number_for_channel(
            self.bot.db, self.workspace.id, self.channel_id) if self.channel_id else None
        return format_key(number) if number else None

    def key(self, usage: str) -> str:
        """The explicit key (`INC-42`, `inc-0042`), else the channel's incident."""
        if self.command.key:
            return format_key(parse_key(self.command.key))
        implied = self.implied_key
        if implied is None:
            raise UsageError("Which incident? Outside an incident channel, give its key "
                             "(like INC-0042).", usage)
        return implied

    def text(self, words: Words | None = None) -> str:
        """What was typed, as people read it: mentions and links resolved, &lt; unescaped."""
        return readable((words if words is not None else self.rest).text)

    def member(self, word: str | None, usage: str) -> Member:
        user = mention(word)
        if user is None:
            shown = f"'{word}'" if word else "nobody"
            raise UsageError(f"Name the person with an @-mention (pick them from Slack's "
                             f"autocomplete); got {shown}.", usage)
        return self.people.member(self.workspace, user)

    def url(self, key: str) -> str:
        return self.bot.incident_url(self.workspace, key)


Handler = Callable[[Call], Reply | Later | None]


@dataclass(frozen=True)
class Sub:
    name: str
    usage: str
    summary: str
    run: Handler
    aliases: tuple[str, ...] = ()

    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


def table(subs: list[Sub]) -> dict[str, Sub]:
    return {name: sub for sub in subs for name in sub.names()}


def listing(subs: list[Sub]) -> list[tuple[str, str]]:
    return [(sub.usage, sub.summary) for sub in subs]

