"""Making the incident channel under a free name, and finding the one Vigilo made when
Slack's answer was lost.

`conversations.create` may succeed while its answer is lost (a timeout, a dropped
connection); the retry then meets `name_taken` for the channel it made itself. Before trying
`-2`, the taken name is looked up: a channel of that name that the bot created and that no
incident has claimed is this incident's, and is adopted.
"""

from collections.abc import Callable, Iterator
from typing import Any

from slack_sdk import WebClient
from slack_sdk.web import SlackResponse

from core.channels import channel_name
from integrations.outbox import PermanentFailure
from integrations.slack import store
from store.db import Database

PAGE = 1000
MAX_NAME_ATTEMPTS = 20


def create(client: WebClient, db: Database, number: int, title: str,
           attempt: Callable[[str], SlackResponse | str], bot_user_id: Callable[[], str]
           ) -> tuple[str, str]:
    """(id, name) of the incident's new channel: `attempt(name)` is conversations.create,
    answering a str for name_taken; a taken name that is the bot's own unclaimed channel
    (made by an earlier try whose answer was lost) is adopted, else the next suffix tried."""
    for suffix in [0, *range(2, MAX_NAME_ATTEMPTS + 1)]:
        name = channel_name(number, title, suffix=suffix)
        answer = attempt(name)
        if isinstance(answer, SlackResponse):
            return str(answer["channel"]["id"]), str(answer["channel"]["name"])
        adopted = ours(client, db, name, bot_user_id())
        if adopted is not None:
            return adopted, name
    raise PermanentFailure(f"{MAX_NAME_ATTEMPTS} Slack channels named "
                           f"{channel_name(number, title)}[-N] are taken: rename or delete some")


def _pages(client: WebClient) -> Iterator[dict[str, Any]]:
    cursor = ""
    while True:
        # Vigilo only makes public channels; listing private ones would need groups:read.
        answer = client.conversations_list(types="public_channel",
                                           exclude_archived=True, limit=PAGE, cursor=cursor)
        yield from answer.get("channels") or []
        cursor = str((answer.get("response_metadata") or {}).get("next_cursor") or "")
        if not cursor:
            return


def ours(client: WebClient, db: Database, name: str, bot_user_id: str) -> str | None:
    """The id of the open channel `name` if the bot made it and no incident has it."""
    for channel in _pages(client):
        if channel.get("name") != name:
            continue
        if channel.get("creator") != bot_user_id:
            return None  # a person's channel of that name: not ours to take
        channel_id = str(channel.get("id") or "")
        return None if store.channel_claimed(db, channel_id) else channel_id or None
    return None
