"""`vigilo serve --workers N`: several processes on one port, each a whole Vigilo, sharing
nothing but PostgreSQL; `--role web` / `--role worker`: one stores and acks, the other
carries the work out; all of it refused on SQLite, which takes one writing process."""

import json
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_sdk import WebClient
from sqlmodel import select

from bench.crash_rig import SECRET, TOKEN, free_port, vigilo_server
from services import incidents, workspaces
from services.actor import Actor
from store import migrate
from store.db import Database
from store.inbox_models import DISPATCH, PENDING, InboxRow
from store.models import Incident
from vigilo.cli import main
from vigilo.sandbox.pagerduty_api import API_KEY, FROM_EMAIL, SERVICE_ID, FakePagerDuty
from vigilo.sandbox.signing import sign, slash_command
from vigilo.sandbox.slack_api import FakeSlack
from vigilo.sandbox.slack_model import TEAM_ID
from vigilo.server import check_serving
from vigilo.settings import Settings


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid:
                found.append(int(entry.name))
    return found


def workers_of(pid: int) -> list[int]:
    """uvicorn's worker processes (its other children are multiprocessing helpers)."""
    return [c for c in children(pid)
            if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()
            and b"resource_tracker" not in Path(f"/proc/{c}/cmdline").read_bytes()]


def test_two_workers_serve_one_port_and_share_the_work(pg_url: str) -> None:
    migrate.upgrade(pg_url)
    db = Database.from_url(pg_url)
    ws = workspaces.create_workspace(db, "duo", "Duo", slack_team_id=TEAM_ID)
    actor = Actor.operator(ws.id or 0)
    with FakeSlack(TOKEN) as slack:
        port = free_port()
        with vigilo_server(pg_url, slack.base_url, port,
                           extra={"WEB_CONCURRENCY": "2"}) as server:
            deadline = time.monotonic() + 20
            while len(workers_of(server.pid)) < 2 and time.monotonic() < deadline:
                time.sleep(0.1)
            assert len(workers_of(server.pid)) == 2
            for _ in range(10):  # either worker answers on the one port
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
                    assert r.status == 200
            # A declaration made elsewhere reaches Slack once, whichever worker claims it.
            for n in range(6):
                incidents.declare(db, actor, title=f"Duo {n}", severity="p3")
            slack.wait_for("conversations.create", 6, timeout=30)
            time.sleep(1.0)  # a second claim of the same effect would have happened by now
            assert len(slack.calls_to("conversations.create")) == 6
    with db.read() as session:
        assert all(i.slack_channel_id for i in session.exec(select(Incident)).all())
    db.dispose()


def test_workers_need_postgresql_and_a_sane_count(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    sqlite = Settings(database_url=f"sqlite:///{tmp_path}/v.db")
    with pytest.raises(ValueError, match="needs PostgreSQL"):
        check_serving(sqlite, 2)
    check_serving(sqlite, 1)
    with pytest.raises(ValueError, match="from 1 to 64"):
        check_serving(Settings(database_url="postgresql+psycopg://x/y"), 0)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/v.db")
    assert main(["serve", "--workers", "2", "--port", str(free_port())]) == 1
    err = capsys.readouterr().err
    assert "needs PostgreSQL" in err and "Traceback" not in err



def command(port: int, slack: FakeSlack, text: str, name: str) -> int:
    body, ctype = slash_command(text, user_id="UDUO", user_name="duo", channel_id="CGENERAL",
                                response_url=slack.response_url(name))
    request = urllib.request.Request(f"http://127.0.0.1:{port}/slack/events", data=body,
                                     headers={"Content-Type": ctype, **sign(SECRET, body)})
    with urllib.request.urlopen(request, timeout=5) as answer:
        return int(answer.status)


def form(port: int, slack: FakeSlack, title: str) -> dict[str, Any]:
    """Submit a New incident form opened in the fake Slack; the answer's JSON."""
    opened = WebClient(token=TOKEN, base_url=slack.base_url).views_open(
        trigger_id="t-form", view={"type": "modal", "callback_id": "new_incident",
                                   "title": {"type": "plain_text", "text": "New incident"},
                                   "blocks": []})["view"]
    values = {"title": {"value": {"type": "plain_text_input", "value": title}},
              "severity": {"value": {"type": "static_select",
                                     "selected_option": {"value": "p3"}}}}
    payload = {"type": "view_submission", "team": {"id": TEAM_ID}, "user": {"id": "UDUO"},
               "trigger_id": f"t-{title}", "view": {**opened, "state": {"values": values}}}
    body = urlencode({"payload": json.dumps(payload)}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/slack/events", data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", **sign(SECRET, body)})
    with urllib.request.urlopen(request, timeout=5) as answer:
        return dict(json.loads(answer.read()))


def test_a_web_process_acks_and_a_worker_process_carries_it_out(pg_url: str) -> None:
    migrate.upgrade(pg_url)
    db = Database.from_url(pg_url)
    ws = workspaces.create_workspace(db, "split", "Split", slack_team_id=TEAM_ID)
    workspaces.add_member(db, ws.id or 0, "UDUO", "Duo")
    with FakeSlack(TOKEN) as slack:
        slack.add_user("UDUO", "duo")
        web_port = free_port()
        with vigilo_server(pg_url, slack.base_url, web_port, extra={"VIGILO_ROLE": "web"}):
            assert command(web_port, slack, "new p2 Checkout is down", "first") == 200
            # A form: answered by the web process from the form alone; declared by a worker.
            answer = form(web_port, slack, "Queue backs up")
            assert answer["response_action"] == "update", answer
            time.sleep(1.5)  # a web process never runs them: they wait for a worker
            with db.read() as session:
                rows = session.exec(select(InboxRow).where(InboxRow.kind == DISPATCH)).all()
                assert [(r.status, r.locked_until) for r in rows] == [(PENDING, None)] * 2
                assert session.exec(select(Incident)).all() == []
            with vigilo_server(pg_url, slack.base_url, free_port(),
                               extra={"VIGILO_ROLE": "worker"}):
                slack.wait_for("conversations.create", 2, timeout=20)
                slack.wait_for("views.update", 1, timeout=20)
                # With the worker listening, the next command is carried out at once.
                asked = time.monotonic()
                assert command(web_port, slack, "new p3 Search is slow", "second") == 200
                slack.wait_for("conversations.create", 3, timeout=20)
                assert time.monotonic() - asked < 5
                deadline = time.monotonic() + 10
                while not (slack.responses("first") and slack.responses("second")):
                    assert time.monotonic() < deadline, "no reply through the response_url"
                    time.sleep(0.1)
    with db.read() as session:
        titles = sorted(i.title for i in session.exec(select(Incident)))
        rows = session.exec(select(InboxRow).where(InboxRow.kind == DISPATCH)).all()
    assert titles == ["Checkout is down", "Queue backs up", "Search is slow"]
    assert [r.status for r in rows] == ["done", "done", "done"]
    with db.read() as session:
        first = session.exec(select(Incident).where(Incident.title == "Checkout is down")).one()
    assert f"INC-{first.number:04d}" in str(slack.responses("first")[-1])
    db.dispose()


def test_a_pagerduty_webhook_stored_by_web_is_worked_by_the_worker(
        pg_url: str, tmp_path: Path) -> None:
    migrate.upgrade(pg_url)
    db = Database.from_url(pg_url)
    ws = workspaces.create_workspace(db, "split", "Split", slack_team_id=TEAM_ID)
    workspaces.set_setting(db, Actor.operator(ws.id or 0), "pagerduty_declare_on_trigger", "on")
    with FakeSlack(TOKEN) as slack, FakePagerDuty() as pd:
        env = {"PAGERDUTY_API_KEY": API_KEY, "PAGERDUTY_FROM_EMAIL": FROM_EMAIL,
               "PAGERDUTY_SERVICE_ID": SERVICE_ID, "PAGERDUTY_API_URL": pd.base_url,
               "PAGERDUTY_WEBHOOK_SECRET": "pd-secret", "VIGILO_WORKSPACE": "split",
               "SSL_CERT_FILE": pd.ca_file(str(tmp_path))}
        web_port = free_port()
        with vigilo_server(pg_url, slack.base_url, web_port,
                           extra={**env, "VIGILO_ROLE": "web"}), \
                vigilo_server(pg_url, slack.base_url, free_port(),
                              extra={**env, "VIGILO_ROLE": "worker"}):
            alert = pd.trigger("Disk full on db-1")
            body, headers = pd.webhook("incident.triggered", alert.id, "pd-secret")
            request = urllib.request.Request(
                f"http://127.0.0.1:{web_port}/integrations/pagerduty_events/", data=body,
                headers=headers)
            with urllib.request.urlopen(request, timeout=5) as answer:
                assert answer.status in (200, 202)
            deadline = time.monotonic() + 20
            while True:  # declared by the worker, with its channel made by the worker
                with db.read() as session:
                    found = session.exec(select(Incident)).all()
                if found and found[0].slack_channel_id:
                    break
                assert time.monotonic() < deadline, "the worker never took the webhook"
                time.sleep(0.1)
    assert (found[0].title, found[0].pagerduty_incident_id) == ("Disk full on db-1", alert.id)
    db.dispose()


@pytest.mark.parametrize("role", ["web", "worker"])
def test_roles_need_postgresql(role: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=f"--role {role} needs PostgreSQL"):
        check_serving(Settings(database_url=f"sqlite:///{tmp_path}/v.db", role=role), 1)
    with pytest.raises(ValueError, match="Socket Mode"):
        check_serving(Settings(database_url="postgresql+psycopg://x/y", role="web",
                               slack_app_token="xapp-1"), 1)
