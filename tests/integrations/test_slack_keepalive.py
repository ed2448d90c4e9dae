"""The Slack client keeps its connection between calls, and fails as urllib would when the
connection cannot be kept or made: against the sandbox Slack on loopback."""

import threading
from urllib.error import URLError

import pytest
from slack_sdk.errors import SlackApiError

from integrations.slack.client import build_client
from vigilo.sandbox.slack_api import DEFAULT_BOT_TOKEN, GARBAGE, FakeSlack


def test_calls_from_one_thread_share_one_connection() -> None:
    with FakeSlack() as fake:
        client = build_client(DEFAULT_BOT_TOKEN, fake.base_url)
        channel = client.conversations_create(name="inc-0001-kept")["channel"]["id"]
        for n in range(4):
            client.chat_postMessage(channel=channel, text=f"update {n}")
        client.conversations_setTopic(channel=channel, topic="kept")
        assert fake.connections == 1
        assert [c.params["text"] for c in fake.calls_to("chat.postMessage")] == [
            f"update {n}" for n in range(4)]


def test_each_thread_has_its_own_connection() -> None:
    with FakeSlack() as fake:
        client = build_client(DEFAULT_BOT_TOKEN, fake.base_url)
        threads = [threading.Thread(target=lambda: [client.auth_test() for _ in range(3)])
                   for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(fake.calls_to("auth.test")) == 9
        assert fake.connections == 3


def test_a_connection_the_server_closed_is_made_again() -> None:
    first = FakeSlack().start()
    port = int(first.origin().rsplit(":", 1)[1])
    client = build_client(DEFAULT_BOT_TOKEN, first.base_url, connection_retries=0)
    client.auth_test()
    first.stop()  # the kept connection dies with it
    with FakeSlack(port=port) as second:
        assert client.auth_test()["ok"]
        assert second.connections == 1 and len(second.calls_to("auth.test")) == 1


def test_no_server_is_a_url_error_as_with_urllib() -> None:
    fake = FakeSlack().start()
    client = build_client(DEFAULT_BOT_TOKEN, fake.base_url, connection_retries=0)
    client.auth_test()
    fake.stop()
    with pytest.raises(URLError):
        client.auth_test()


def test_error_statuses_and_their_headers_reach_the_caller() -> None:
    with FakeSlack() as fake:
        client = build_client(DEFAULT_BOT_TOKEN, fake.base_url, connection_retries=0)
        fake.fail_next("auth.test", status=429, retry_after=7)
        with pytest.raises(SlackApiError) as limited:
            client.auth_test()
        assert limited.value.response.status_code == 429
        assert limited.value.response.headers["Retry-After"] == "7"
        fake.fail_next("auth.test", "internal_error", status=500, retry_after=None)
        with pytest.raises(SlackApiError) as failed:
            client.auth_test()
        assert failed.value.response.status_code == 500
        fake.fail_next("auth.test", GARBAGE, status=200)
        with pytest.raises(SlackApiError, match="non-JSON"):
            client.auth_test()
        assert client.auth_test()["ok"]  # the same connection, after all of that
        assert fake.connections == 1


def test_a_timeout_is_raised_as_urllib_does_and_the_connection_is_not_kept() -> None:
    with FakeSlack() as fake:
        client = build_client(DEFAULT_BOT_TOKEN, fake.base_url, timeout=1,
                              connection_retries=0)
        client.auth_test()
        fake.latency = 1.5  # the answer comes after the client gave up
        with pytest.raises(TimeoutError):
            client.auth_test()
        fake.latency = 0.0
        assert client.auth_test()["ok"]
        assert fake.connections == 2  # the one that timed out was not used again
