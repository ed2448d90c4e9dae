"""Bolt's `respond()` on kept connections.

Every slash command's reply, its follow-up and every click's answer go to a response_url,
and Slack's response_urls all live on one host. Bolt's Respond opens a new connection (a
new TLS session against hooks.slack.com) for each; this one sends through the bot's kept
connections (integrations.slack.keepalive), and answers exactly as Bolt's does.
"""

from collections.abc import Sequence
from typing import Any

from slack_bolt.context.respond import Respond
from slack_sdk.models.attachments import Attachment
from slack_sdk.models.blocks import Block
from slack_sdk.webhook import WebhookResponse

from integrations.slack.keepalive import KeepAliveWebhookClient, Kept


class KeptRespond(Respond):
    def __init__(self, response_url: str, kept: Kept) -> None:
        super().__init__(response_url=response_url)
        self.kept = kept

    def __call__(self, text: str | dict[str, Any] = "",
                 blocks: Sequence[dict[str, Any] | Block] | None = None,
                 attachments: Sequence[dict[str, Any] | Attachment] | None = None,
                 response_type: str | None = None, replace_original: bool | None = None,
                 delete_original: bool | None = None, unfurl_links: bool | None = None,
                 unfurl_media: bool | None = None, thread_ts: str | None = None,
                 metadata: dict[str, Any] | None = None) -> WebhookResponse:
        client = KeepAliveWebhookClient(str(self.response_url), self.kept)
        if isinstance(text, dict):  # the whole message, as Bolt's respond() takes it too
            return client.send_dict(text)
        message: dict[str, Any] = {"text": text}
        optional = {"blocks": blocks, "attachments": attachments,
                    "response_type": response_type, "replace_original": replace_original,
                    "delete_original": delete_original, "unfurl_links": unfurl_links,
                    "unfurl_media": unfurl_media, "thread_ts": thread_ts, "metadata": metadata}
        message.update({key: value for key, value in optional.items() if value is not None})
        return client.send_dict(message)
