"""The assembled app starts and stays live while Slack is unreachable."""

import socket
import time

import pytest
from starlette.testclient import TestClient

from store import migrate
from vigilo.app import build
from vigilo.sandbox.slack_api import FakeSlack
from vigilo.settings import Settings
from webhooks.foreground import InFlight

TOKEN = "xoxb-test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.timeout(30)
def test_serve_is_live_with_slack_down_and_ready_once_slack_answers(sqlite_url: str) -> None:
    migrate.upgrade(sqlite_url)
    port = free_port()
    api = f"http://127.0.0.1:{port}/api/"
    vigilo = build(Settings(database_url=sqlite_url, slack_bot_token=TOKEN,
                            slack_signing_secret="secret", slack_api_url=api), run_worker=False)
    assert vigilo.asgi is not None
    started = time.monotonic()
    with TestClient(vigilo.asgi) as client:
        assert client.get("/healthz").status_code == 200
        assert time.monotonic() - started < 2  # no Slack call stood in the way
        deadline = time.monotonic() + 5
        while (waiting := client.get("/readyz").json().get("waiting")) == ["slack: starting"]:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        not_ready = client.get("/readyz")
        assert not_ready.status_code == 503
        assert waiting and waiting[0].startswith(f"slack: unreachable at {api}: ")
        assert "refused" in waiting[0].lower()
        with FakeSlack(TOKEN, port=port):
            deadline = time.monotonic() + 10
            while client.get("/readyz").status_code != 200:
                assert time.monotonic() < deadline, client.get("/readyz").json()
                time.sleep(0.05)
            assert client.get("/readyz").json() == {"status": "ok"}
            assert vigilo.slack is not None and vigilo.slack.integration.workspace is not None
    vigilo.db.dispose()



def test_background_work_gives_way_to_the_requests_of_the_same_process(
        sqlite_url: str) -> None:
    migrate.upgrade(sqlite_url)
    vigilo = build(Settings(database_url=sqlite_url, slack_bot_token=TOKEN,
                            slack_signing_secret="secret"), run_worker=False)
    assert vigilo.asgi is not None and vigilo.slack is not None
    bot, give_way = vigilo.slack.bot, vigilo.foreground.give_way
    assert [bot.give_way, bot.jobs.give_way, bot.waits.give_way,
            vigilo.worker.pools.give_way] == [give_way] * 4
    # Replies give way to the requests too, then to the commands (tests/bot/test_runtime.py).
    assert bot.replies.give_way == bot._after_commands
    counting = [m for m in vigilo.asgi.user_middleware if m.cls is InFlight]
    assert [m.kwargs["foreground"] for m in counting] == [vigilo.foreground]
    vigilo.db.dispose()
