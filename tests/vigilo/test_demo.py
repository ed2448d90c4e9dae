"""`vigilo demo`: the sandbox boots, requests are signed as Slack signs them, and the replay
ends with a resolved incident, an archived channel and the conversation on the timeline."""

import io
import json
import os
import time
import urllib.request
from datetime import timedelta

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier

from services import queries, workspaces
from store.types import utcnow
from vigilo import cli
from vigilo.app import build
from vigilo.demo import BOT_TOKEN, SLUG, Demo
from vigilo.demo_cast import CHATTER, ROOT_CAUSE
from vigilo.sandbox.signing import event_callback, message_event, sign, slash_command
from vigilo.settings import Settings


def test_requests_are_signed_the_way_slack_signs_them() -> None:
    body, ctype = slash_command("new p1 db down", user_id="U1", user_name="u", channel_id="C1",
                                response_url="http://127.0.0.1:1/response/x")
    assert ctype == "application/x-www-form-urlencoded" and b"command=%2Fvigilo" in body
    headers = sign("s3cret", body)
    verifier = SignatureVerifier("s3cret")
    assert verifier.is_valid_request(body, headers)
    assert not verifier.is_valid_request(body + b"x", headers)
    assert not SignatureVerifier("other").is_valid_request(body, headers)
    stale = sign("s3cret", body, int(time.time()) - 600)
    assert not verifier.is_valid_request(body, stale)  # Bolt refuses replays > 5 min old
    event, ctype = event_callback(message_event("C1", "U1", "hello", "1.000001"), event_id="E1")
    assert ctype == "application/json"
    assert json.loads(event)["event"]["text"] == "hello"


def test_demo_boots_the_app_and_the_sandbox_and_tidies_up() -> None:
    out = io.StringIO()
    with Demo(out=out) as demo:
        with urllib.request.urlopen(f"{demo.base_url}/healthz", timeout=5) as response:
            assert response.status == 200
        assert WebClient(token=BOT_TOKEN, base_url=demo.fake.base_url).auth_test()["ok"]
        assert demo.vigilo is not None
        people = workspaces.list_members(demo.vigilo.db, demo.workspace_id)
        assert sorted(m.slack_user_id for m in people) == ["U0DANA", "U0PRIYA", "U0SAM"]
        tmp, url = demo.tmp.name, demo.base_url
    with pytest.raises(OSError):
        urllib.request.urlopen(f"{url}/healthz", timeout=2)
    assert not os.path.exists(tmp)


def test_demo_replays_an_incident_through_signed_http() -> None:
    out = io.StringIO()
    with Demo(out=out) as demo:
        code = demo.replay()
        printed = out.getvalue()
        assert code == 0, printed
        assert set(demo.answers) == {200}
        assert demo.vigilo is not None
        detail = queries.get_detail(demo.vigilo.db, demo.workspace_id, 1)
        incident = detail.incident
        assert (incident.status, incident.severity, incident.root_cause) == (
            "resolved", "p2", ROOT_CAUSE)
        channel = demo.fake.channels[incident.slack_channel_id or ""]
        assert channel.name == "inc-0001-checkout-is-down-for-eu-customers"
        assert channel.archived and demo.fake.pins(channel.id)
        assert {"U0SAM", "U0PRIYA", "U0DANA"} <= set(channel.members)
        # The replay's clock: the timeline reads like the 40 minutes it would have taken.
        span = detail.timeline[-1].at - detail.timeline[0].at
        assert timedelta(minutes=40) <= span < timedelta(minutes=41)
        assert len({e.at.replace(microsecond=0) for e in detail.timeline}) >= 10
        assert incident.resolved_at - incident.detected_at >= timedelta(minutes=40)
        said = [e.text for e in detail.timeline if e.label == "message"]
        assert all(any(text in s for s in said) for _, text in CHATTER)
        posted = [m.full_text for m in demo.fake.messages(channel.id)]
        assert any("open → investigating" in t for t in posted)
        assert ROOT_CAUSE in posted[-1]  # the closing summary, last before the archive
        assert "resolved after 40 min" in posted[-1]
        assert abs((utcnow() - detail.timeline[-1].at).total_seconds()) < 60  # ends now

        links = demo.links()
        with httpx.Client(base_url=demo.base_url, follow_redirects=True) as browser:
            form = browser.get(links["sign_in"])
            token = links["sign_in"].split("token=", 1)[1]
            listed = browser.post("/auth/login", data={"token": token})
        assert form.status_code == 200 and listed.status_code == 200
        assert str(listed.url) == links["list"] == f"{demo.base_url}/ws/{SLUG}/incidents"
        assert "INC-0001" in listed.text and "Checkout is down for EU customers" in listed.text
        # The printed environment is enough for a `vigilo serve` of one's own to start.
        env = dict(pair.split("=", 1) for pair in links["serve"].split() if "=" in pair)
        assert links["serve"].endswith("vigilo serve --port 8001") and "/api/" in env[
            "SLACK_API_URL"]
        own = build(Settings.from_env(env, dotenv=False), run_worker=False)
        own.start()
        assert own.slack is not None and own.slack.integration.workspace is not None
        assert own.slack.integration.workspace.slug == SLUG
        own.stop()
        own.db.dispose()
    for expected in ("[1] Dana (on-call) in #general: /vigilo new p1",
                     "Slack ← creates channel #inc-0001-checkout-is-down-for-eu-customers",
                     "Slack ← archives #inc-0001", "✓ the channel is archived"):
        assert expected in printed


def test_vigilo_demo_no_serve_exits_after_the_replay(capsys: pytest.CaptureFixture[str]
                                                     ) -> None:
    code = cli.main(["demo", "--no-serve", "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert json.loads(captured.out) == {"ok": True, "problems": [], "links": {}}
    printed = captured.err  # with --json the narration goes to stderr
    assert "Result:" in printed and "✗" not in printed
    assert "http://" not in printed.split("Result:", 1)[1]  # no link to a stopped server
    assert "--no-serve: the server stops now" in printed
