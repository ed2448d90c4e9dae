"""Troubleshooting: per-integration state, pending and dead effects, retry; the web page
for signed-in admins; `/vigilo integrations`; `vigilo outbox ...`."""

import json

import pytest
from sqlalchemy import update
from sqlmodel import col, select
from starlette.testclient import TestClient

from core.errors import InvalidInput, NotFound, PermissionDenied
from core.permissions import Role
from services import inbox, incidents, integration_log
from store.inbox_models import QUARANTINED, InboxRow
from store.models import Outbox
from tests.bot_harness import Slack, slack_fixture  # noqa: F401
from tests.conftest import World
from tests.web_support import signed_in
from vigilo.app import build
from vigilo.cli import main
from vigilo.integrations import states
from vigilo.settings import Settings
from webhooks.auth import SESSION_COOKIE


def outbox_states(world: World) -> dict[str, str]:
    with world.db.read() as session:
        return {r.kind: r.status for r in session.exec(select(Outbox))}


def test_states_pending_dead_and_retry(world: World) -> None:
    vigilo = build(Settings(workspace="acme"), db=world.db, run_worker=False)
    incidents.declare(world.db, world.actor(), title="Down", severity="p1")
    admin = world.actor(Role.ADMIN)
    shown = {s.name: s for s in integration_log.states(world.db, admin,
                                                       states(vigilo.registry))}
    assert shown["pagerduty"].pending == 1 and not shown["pagerduty"].configured
    assert "PAGERDUTY_API_KEY" in (shown["pagerduty"].why_off or "")
    assert shown["statuspage"].configured
    vigilo.worker.drain()
    shown = {s.name: s for s in integration_log.states(world.db, admin,
                                                       states(vigilo.registry))}
    last = shown["twilio"].last_error
    assert shown["twilio"].pending == 0 and last is not None
    assert "TWILIO_ACCOUNT_SID" in last.detail and last.incident_id is not None
    assert shown["statuspage"].last_delivery is not None and shown["statuspage"].last_delivery.ok
    with pytest.raises(PermissionDenied):
        integration_log.states(world.db, world.actor(), [])
    with world.db.transaction() as session:
        row = session.exec(select(Outbox).where(Outbox.kind == "twilio.page_oncall")).one()
        row.status = "dead"
        dead_id = row.id
    assert [r.kind for r in integration_log.effects(world.db, world.ws_id)] == [
        "twilio.page_oncall"]
    assert integration_log.retry(world.db, admin, dead=True) == 1
    assert outbox_states(world)["twilio.page_oncall"] == "pending"
    with pytest.raises(InvalidInput):
        integration_log.retry(world.db, admin)
    with pytest.raises(NotFound):
        integration_log.retry(world.db, admin, 99999)
    assert dead_id is not None and integration_log.retry(world.db, admin, dead_id) == 1


def test_web_page_for_signed_in_admins_only(world: World) -> None:
    vigilo = build(Settings(workspace="acme"), db=world.db, run_worker=False)
    http = TestClient(vigilo.asgi)  # type: ignore[arg-type]
    url = "/ws/acme/settings/integrations"
    assert http.get(url).status_code == 401
    http.cookies.set(SESSION_COOKIE, signed_in(world.db, world.actor()))
    assert http.get(url).status_code == 403
    http.cookies.set(SESSION_COOKIE, signed_in(world.db, world.actor(Role.ADMIN)))
    page = http.get(url)
    assert page.status_code == 200 and "off: not configured (TWILIO_ACCOUNT_SID" in page.text
    data = http.get(url, headers={"Accept": "application/json"}).json()
    assert [i["integration"] for i in data["integrations"]] == [
        "slack", "pagerduty", "twilio", "statuspage", "ai"]
    inboxes = {i["integration"]: i["inbox"] for i in data["integrations"]}
    assert inboxes["pagerduty"] == {"waiting": 0, "quarantined": 0}
    assert inboxes["twilio"] is None and "Inbox (waiting · quarantined)" in page.text
    assert http.get("/ws/other/settings/integrations").status_code == 404


def test_slash_integrations_for_admins(slack: Slack) -> None:
    ids = inbox.record(slack.db, [{"source": "pagerduty", "delivery_key": "pagerduty:E1",
                                   "team_id": "", "kind": "webhook", "body": "{}",
                                   "content_type": "application/json", "locked_until": None}])
    with slack.db.transaction() as session:  # as five failed tries leave it
        session.execute(update(InboxRow).where(col(InboxRow.id).in_(ids.values()))
                        .values(status=QUARANTINED))
    reply = slack.reply("integrations", role=Role.ADMIN)
    assert "*slack* — configured" in reply and "*pagerduty* — off: not configured" in reply
    pagerduty = reply.split("*pagerduty*")[1].split("*twilio*")[0]
    assert "inbox: 0 waiting · 1 quarantined (see `vigilo inbox list`" in pagerduty
    assert "inbox:" not in reply.split("*twilio*")[1]  # no inbox, no line
    assert "http://vigilo.test/ws/acme/settings/integrations" in reply
    assert "Only workspace admins" in slack.reply("integrations")


def test_outbox_cli(db_url: str, monkeypatch: pytest.MonkeyPatch,
                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.delenv("VIGILO_WORKSPACE", raising=False)

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    assert run("db", "upgrade")[0] == 0
    assert run("workspace", "create", "acme")[0] == 0
    assert run("incident", "declare", "--title", "Down", "--severity", "p1")[0] == 0
    code, out, _ = run("outbox", "pending")
    assert code == 0 and "pagerduty.trigger" in out and "twilio.page_oncall" in out
    assert "no dead effects" in run("outbox", "pending", "--dead")[1]
    code, out, _ = run("outbox", "log", "--json")
    assert len(json.loads(out)["waiting"]) >= 3
    assert "pending and dead:" in run("outbox", "log")[1]
    code, _, err = run("outbox", "retry")
    assert code == 2 and "--dead" in err
    code, out, _ = run("outbox", "retry", "1")
    assert code == 0 and "1 effect due again" in out
