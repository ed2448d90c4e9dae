"""Start-up wiring (token mode, Socket Mode, no Slack), and acks that never wait on Slack."""

import threading
import time

import pytest
from starlette.testclient import TestClient

from core.errors import Conflict
from core.permissions import Role
from integrations.slack import Slack as SlackIntegration
from services import workspaces
from store.db import Database
from tests.bot_harness import BASE_URL, SECRET, TOKEN, Slack, slack_fixture  # noqa: F401
from vigilo.app import Vigilo, build
from vigilo.sandbox.signing import sign, slash_command
from vigilo.sandbox.slack_api import FakeSlack
from vigilo.settings import Settings


def settings(fake: FakeSlack, **extra: str) -> Settings:
    return Settings(slack_bot_token=TOKEN, slack_signing_secret=SECRET,
                    slack_api_url=fake.base_url, base_url=BASE_URL, **extra)  # type: ignore


def started(vigilo: Vigilo) -> SlackIntegration:
    vigilo.start()
    assert vigilo.slack is not None
    return vigilo.slack.integration


def test_token_mode_serves_the_one_workspace_made_from_auth_test(db: Database) -> None:
    with FakeSlack(TOKEN) as fake:
        vigilo = build(settings(fake), db=db, run_worker=False)
        assert fake.calls == []  # building is pure: Slack is asked at start
        slack = started(vigilo)
        made = workspaces.workspace_for_team(db, "T0SANDBOX")
        assert made is not None and (made.slug, made.name) == ("sandbox", "Sandbox")
        assert slack.workspace is not None and slack.workspace.id == made.id
        again = started(build(settings(fake, workspace="other"), db=db, run_worker=False))
        assert again.workspace is not None
        assert again.workspace.slug == "sandbox"  # the team keeps its workspace
        assert {"slack.create_channel", "slack.announce", "slack.invite",
                "slack.archive"} <= set(vigilo.registry.handlers)
        assert [c.method for c in fake.calls].count("auth.test") == 2


def test_vigilo_workspace_names_or_links_the_workspace(db: Database) -> None:
    workspaces.create_workspace(db, "acme", "Acme Corp")
    workspaces.create_workspace(db, "taken", "Taken", slack_team_id="TOTHER")
    with FakeSlack(TOKEN) as fake:
        with pytest.raises(Conflict, match="linked to another Slack team"):
            started(build(settings(fake, workspace="taken"), db=db, run_worker=False))
        slack = started(build(settings(fake, workspace="acme"), db=db, run_worker=False))
    linked = workspaces.get_workspace(db, "acme")
    assert linked.slack_team_id == "T0SANDBOX"
    assert slack.workspace is not None and slack.workspace.slug == "acme"


def test_socket_mode_serves_no_route_and_needs_no_signing_secret(db: Database) -> None:
    with FakeSlack(TOKEN) as fake:
        socket = Settings(slack_bot_token=TOKEN, slack_app_token="xapp-1-test",
                          slack_api_url=fake.base_url, base_url=BASE_URL)
        vigilo = build(socket, db=db, run_worker=False)
        assert vigilo.asgi is not None and vigilo.slack is not None
        assert "/slack/events" not in [getattr(r, "path", "") for r in vigilo.asgi.routes]
        assert vigilo.slack.socket_mode is not None
        assert vigilo.slack.bolt.client.base_url == fake.base_url
        assert vigilo.registry.waiting == [] and vigilo.registry.off.get(
            "slack.create_channel") is None  # on, with no SLACK_SIGNING_SECRET at all


def test_without_slack_credentials_there_is_no_slack_route(db: Database) -> None:
    vigilo = build(Settings(base_url=BASE_URL), db=db, run_worker=False)
    assert vigilo.asgi is not None and vigilo.slack is None
    assert TestClient(vigilo.asgi).post("/slack/events", content=b"{}").status_code == 404
    assert vigilo.registry.off["slack.announce"] == (
        "slack is off: not configured (SLACK_BOT_TOKEN unset)")


def test_acks_never_wait_for_a_slow_slack(slack: Slack) -> None:
    slack.fake.add_user("USLOWPOKE", "slow", "Slow Poke")
    slack.fake.latency = 1.0  # every Web API call and response_url post takes a second
    body, ctype = slash_command("new p1 Slow Slack day", user_id="USLOWPOKE", user_name="s",
                                channel_id="CGENERAL",
                                response_url=slack.fake.response_url("slow"))
    started = time.perf_counter()  # the HTTP answer alone, not the work after it
    response = slack.http.post("/slack/events", content=body,
                               headers={"Content-Type": ctype, **sign(SECRET, body)})
    acked = time.perf_counter() - started
    assert response.status_code == 200 and acked < 0.5, acked
    assert slack.bot.wait_idle(20)
    assert "Declared" in slack.fake.responses("slow")[0]["text"]  # users.info, then declared
    assert slack.fake.calls_to("users.info")[0].params["user"] == "USLOWPOKE"


def test_slack_errors_become_specific_replies(slack: Slack) -> None:
    slack.fake.fail_next("views.open", "expired_trigger_id", status=200)
    assert "took too long to open" in slack.reply("new")
    slack.fake.add_user("UFLAKY", "flaky", "Flaky")
    slack.fake.fail_next("users.info", "fatal_error", status=200)
    assert "Slack did not answer a lookup" in slack.reply("list", user="UFLAKY")
    assert workspaces.find_member(slack.db, slack.world.ws_id, "UFLAKY") is None
    slack.fake.fail_next("users.info", "ratelimited", status=429, retry_after=0)
    assert "none" in slack.reply("list", user="UFLAKY")  # one retry after Retry-After
    member = workspaces.find_member(slack.db, slack.world.ws_id, "UFLAKY")
    assert member is not None and member.role == Role.ENGINEER.value


def test_channel_setups_are_held_while_commands_are_carried_out(db: Database) -> None:
    with FakeSlack(TOKEN) as fake:
        vigilo = build(settings(fake), db=db, run_worker=False)
        assert vigilo.slack is not None
        bot, release = vigilo.slack.bot, threading.Event()
        assert vigilo.worker.hold() == frozenset()
        bot.jobs.submit(release.wait, 5)
        try:
            assert vigilo.worker.hold() == {"slack.setup_channel"}
        finally:
            release.set()
        assert bot.jobs.wait_idle(2) and vigilo.worker.hold() == frozenset()
