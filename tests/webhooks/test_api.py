"""`POST /ws/{slug}/incidents/`: integrations declare incidents with a bearer token."""

from typing import Any

from sqlmodel import col, select

from services import queries, workspaces
from store.models import Incident, Outbox
from tests.web_support import BASE_URL, Web, web_fixture  # noqa: F401
from webhooks.auth import SESSION_COOKIE

URL = "/ws/acme/incidents/"


def post(web: Web, body: Any, *, token: str | None = None, key: str | None = None,
         url: str = URL):  # type: ignore[no-untyped-def]
    headers = {"authorization": f"Bearer {token or web.own.token}"}
    if key is not None:
        headers["idempotency-key"] = key
    web.client.cookies.clear()
    if isinstance(body, bytes):
        return web.client.post(url, content=body, headers=headers)
    return web.client.post(url, json=body, headers=headers)


def incident_count(web: Web) -> int:
    with web.db.read() as session:
        return len(session.exec(select(Incident.id)).all())


def test_create_declares_with_the_slack_lifecycle(web: Web) -> None:
    before = incident_count(web)
    response = post(web, {"title": "Checkout 500s", "description": "Spike from Datadog",
                          "severity": "p1", "services": ["checkout", "payments"],
                          "detected_at": "2026-01-02T03:04:05Z"})
    assert response.status_code == 201
    data = response.json()
    assert data["key"] == "INC-0002" and data["status"] == "open" and data["severity"] == "p1"
    assert data["url"] == f"{BASE_URL}/ws/acme/incidents/INC-0002"
    assert response.headers["location"] == data["url"]
    assert data["detected_at"].startswith("2026-01-02T03:04:05")
    assert data["services"] == ["checkout", "payments"] and data["commander"] is None
    assert data["timeline"][0]["source"] == "api"
    assert data["timeline"][0]["actor"] == "acme-ci"
    assert incident_count(web) == before + 1
    with web.db.read() as session:
        incident_id = session.exec(select(Incident.id).where(Incident.number == 2,
                                   Incident.workspace_id == web.own.workspace_id)).one()
        kinds = [o.kind for o in session.exec(select(Outbox).where(
            Outbox.incident_id == incident_id).order_by(col(Outbox.id)))]
    # Same effects as a p1 declared in Slack: channel + situation report, paging, status page.
    assert kinds == ["slack.create_channel", "slack.setup_channel", "pagerduty.trigger",
                     "twilio.page_oncall", "statuspage.publish"]


def test_commander_by_slack_id_or_email(web: Web) -> None:
    member = workspaces.add_member(web.db, web.own.workspace_id, "UONCALL1", "On Call",
                                   email="OnCall@Acme.example")
    by_id = post(web, {"title": "a", "commander": "UONCALL1"})
    by_email = post(web, {"title": "b", "commander": "oncall@acme.example"})
    for response in (by_id, by_email):
        assert response.status_code == 201, response.text
        assert response.json()["commander"] == {"name": "On Call", "slack_user_id": "UONCALL1"}
        assert response.json()["responders"][0]["role"] == "commander"
    # A member of another workspace is not a commander here.
    other = post(web, {"title": "c", "commander": "UGLOBEX1"})
    assert other.status_code == 422 and "commander" in other.json()["errors"]
    assert member.id is not None


def test_idempotency_key_returns_the_first_incident(web: Web) -> None:
    first = post(web, {"title": "Disk full", "severity": "p2"}, key="alert-123")
    again = post(web, {"title": "Disk full", "severity": "p2"}, key="alert-123")
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["key"] == first.json()["key"]
    assert again.headers["idempotent-replayed"] == "true"
    assert incident_count(web) == 3  # acme INC-0001, globex INC-0001, this one
    # The key is per workspace: globex may use the same key for its own incident.
    theirs = post(web, {"title": "Disk full"}, key="alert-123", token=web.other.token,
                  url="/ws/globex/incidents/")
    assert theirs.status_code == 201 and theirs.json()["key"] == "INC-0002"


INVALID: list[tuple[Any, set[str]]] = [
    ({}, {"title"}),
    ({"title": " "}, {"title"}),
    ({"title": "x" * 201}, {"title"}),
    ({"title": 5}, {"title"}),
    ({"title": "ok", "severity": "p9"}, {"severity"}),
    ({"title": "ok", "detected_at": "yesterday"}, {"detected_at"}),
    ({"title": "ok", "detected_at": "2026-01-02T03:04:05"}, {"detected_at"}),
    ({"title": "ok", "detected_at": "2999-01-01T00:00:00Z"}, {"detected_at"}),
    ({"title": "ok", "services": [1, 2]}, {"services"}),
    ({"title": "ok", "commander": "UNOBODY"}, {"commander"}),
    ({"title": "ok", "commander": "nobody@example.com"}, {"commander"}),
    ({"title": "ok", "sevrity": "p1"}, {"sevrity"}),
    ({"title": "", "severity": "p0", "commander": "U0"}, {"title", "severity", "commander"}),
    ([1, 2], {"body"}),
    (b"{not json", {"body"}),
    (b"", {"body"}),
    ({"title": "ok"}, {"Idempotency-Key"}),  # sent with a 201-character key below
]


def test_validation_errors_name_each_field(web: Web) -> None:
    before = incident_count(web)
    for body, errors in INVALID:
        key = "k" * 201 if errors == {"Idempotency-Key"} else None
        response = post(web, body, key=key)
        assert response.status_code == 422, body
        got = response.json()["errors"]
        assert set(got) == errors, (body, got)
        assert all(isinstance(v, str) and v for v in got.values())
    assert incident_count(web) == before


def test_tokens_missing_wrong_or_foreign(web: Web) -> None:
    before = incident_count(web)
    web.client.cookies.set(SESSION_COOKIE, web.own.session)
    # A signed-in browser cannot post: writes need a bearer token (no CSRF surface).
    no_token = web.client.post(URL, json={"title": "x"})
    assert no_token.status_code == 401
    assert no_token.headers["www-authenticate"].startswith("Bearer")
    wrong = post(web, {"title": "x"}, token="vgl_not-a-token")
    assert wrong.status_code == 401 and wrong.json()["error"] == "unauthorized"
    foreign = post(web, {"title": "x"}, token=web.other.token)
    assert foreign.status_code == 404
    assert foreign.json() == post(web, {"title": "x"}, url="/ws/nope/incidents/").json()
    assert incident_count(web) == before


def test_body_size_is_capped(web: Web) -> None:
    response = post(web, b'{"title": "' + b"x" * 300_000 + b'"}')
    assert response.status_code == 413


def test_post_without_trailing_slash_also_creates(web: Web) -> None:
    response = post(web, {"title": "No slash"}, url="/ws/acme/incidents")
    assert response.status_code == 201
    detail = queries.get_detail(web.db, web.own.workspace_id, response.json()["key"])
    assert detail.incident.title == "No slash"
