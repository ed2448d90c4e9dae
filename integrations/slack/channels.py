"""Finding the incident channel Vigilo made when Slack's answer was lost, and bringing an
archived one back.

`conversations.create` may succeed while its answer is lost (a timeout, a dropped
connection); the retry then meets `name_taken` for the channel it made itself. Before trying
`-2`, the taken name is looked up: a channel of that name that the bot created and that no
incident has claimed is this incident's, and is adopted.
"""

from collections.abc import Iterator
from typing import Any

from slack_sdk import WebClient

from integrations.slack import store
from store.db import Database

PAGE = 1000


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
