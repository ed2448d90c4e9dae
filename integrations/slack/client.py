"""The Slack Web API client the outbox handlers use.

A dropped connection is retried in place (cheap, and Slack often answers the second try), but
a 429 is not: slack_sdk's rate-limit handler would sleep for Retry-After inside the worker.
The handlers turn the 429 into RetryAfter instead, so the outbox reschedules the effect and
the worker moves on to other lanes.
"""

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler

from integrations.slack.keepalive import KeepAliveWebClient

SLACK_API_URL = "https://slack.com/api/"


def build_client(token: str, base_url: str = SLACK_API_URL, *, timeout: float = 10.0,
                 connection_retries: int = 2) -> WebClient:
    """`build_client(settings.slack_bot_token, settings.slack_api_url)`."""
    if not base_url.endswith("/"):
        base_url += "/"
    return KeepAliveWebClient(token=token, base_url=base_url, timeout=int(timeout) or 1,
                              retry_handlers=[ConnectionErrorRetryHandler(
                                  max_retry_count=connection_retries)])
