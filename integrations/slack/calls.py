"""One Web API call as the outbox handlers make it: a tolerated error comes back as its code,
`not_in_channel` gets one conversations.join and a second try (the bot may have been removed
by someone tidying up), and any other error becomes the exception the outbox should see."""

from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from integrations.slack.errors import error_code

# (the error, its code, the method) → the exception the outbox should see
Explain = Callable[[SlackApiError, str, str], Exception]
# Joining cannot help these; the retried call then fails with the error worth showing.
JOIN_HOPELESS = ("method_not_supported_for_channel_type", "is_archived")


def call(client: WebClient, fn: Callable[..., SlackResponse], method: str, explain: Explain,
         *, join: Callable[[], str | None], tolerate: tuple[str, ...] = (),
         **kwargs: Any) -> SlackResponse | str:
    """`join` names the channel to join on `not_in_channel` (asked only then)."""
    joined = False
    while True:
        try:
            return fn(**kwargs)
        except SlackApiError as error:
            code = error_code(error)
            if code in tolerate:
                return code
            where = join() if code == "not_in_channel" and not joined else None
            if where:
                joined = True
                try:
                    client.conversations_join(channel=where)
                except SlackApiError as refused:
                    if error_code(refused) not in JOIN_HOPELESS:
                        raise explain(refused, error_code(refused),
                                      "conversations.join") from None
                continue
            raise explain(error, code, method) from None
