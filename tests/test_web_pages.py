"""What the pages and the JSON say: grouping, filters, paging, tabs, the JSON contract."""

from datetime import timedelta
from html.parser import HTMLParser

from sqlmodel import select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from core.effects import Label
from core.fsm import Move
from core.permissions import Role
from services import action_items, incidents, responders, timeline
from store.db import Database
from store.migrate import upgrade
from store.models import Incident, TimelineEvent
from store.types import utcnow
from tests.web_support import BASE_URL, Web, web_fixture  # noqa: F401
from vigilo.app import build
from vigilo.settings import Settings
from webhooks import site
from webhooks.auth import SESSION_COOKIE
from webhooks.render import StormBanner


class Page(HTMLParser):
    """The parts of a page the tests look at: text, links, elements and attributes."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.text: list[str] = []
        self.links: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "a":
            self.links.append(dict(attrs).get("href") or "")

    def handle_data(self, data: str) -> None:
        if data.strip():
            self.text.append(" ".join(data.split()))

    @property
    def words(self) -> str:
        return " ".join(self.text)


def seed_incidents(db: Database, workspace_id: int, specs: list[tuple[str, str]],
                   start: int = 100) -> None:
    """Incident rows straight into the table: (status, severity) each, numbers from start."""
    now = utcnow()
    with db.transaction() as session:
        for n, (status, severity) in enumerate(specs, start):
            session.add(Incident(workspace_id=workspace_id, number=n, title=f"Bulk {n}",
                                 status=status, severity=severity,
                                 detected_at=now - timedelta(minutes=n), created_at=now))


def seed_events(db: Database, incident_id: int, count: int) -> None:
    start = utcnow() - timedelta(hours=1)
    with db.transaction() as session:
        session.add_all(TimelineEvent(incident_id=incident_id, at=start + timedelta(seconds=i),
                                      source="slack", label=Label.MESSAGE, actor="Bot",
                                      text=f"event number {i}") for i in range(count))


def own_incident_id(web: Web, number: int = 1) -> int:
    with web.db.read() as session:
        return session.exec(select(Incident.id).where(
            Incident.workspace_id == web.own.workspace_id, Incident.number == number)).one()


def test_list_groups_active_first_with_chips_and_filters(web: Web) -> None:
    seed_incidents(web.db, web.own.workspace_id, [("resolved", "p1"), ("investigating", "p2"),
                                                  ("post_mortem", "p4"), ("mitigated", "p1")])
    page = Page(web.get("/ws/acme/incidents", via="session").text)
    headings = [h for h in page.text if h.split()[0] in
                ("Open", "Investigating", "Mitigated", "Resolved", "Post")]
    assert headings == ["Open", "Investigating", "Mitigated", "Resolved", "Post mortem"]
    assert "P1 critical" in page.words and "Commander: Engineer" in page.words
    assert "/ws/acme/incidents/INC-0001" in page.links
    assert "Detected just now" in page.words or "Detected" in page.words
    filtered = Page(web.get("/ws/acme/incidents?status=active&severity=p1",
                            via="session").text)
    assert "Bulk 103" in filtered.words  # mitigated p1
    assert "Bulk 100" not in filtered.words and "Checkout is down" not in filtered.words
    checked = [a.get("value") for t, a in filtered.tags if t == "input" and "checked" in a]
    assert checked == ["open", "investigating", "mitigated", "p1"]


def test_long_groups_are_capped_then_paged(web: Web) -> None:
    seed_incidents(web.db, web.own.workspace_id, [("resolved", "p3")] * 230)
    page = Page(web.get("/ws/acme/incidents", via="session").text)
    assert sum(1 for word in page.text if word.startswith("Bulk ")) == 25
    assert "/ws/acme/incidents?status=resolved" in page.links
    assert "Show all 230 resolved incidents" in page.words
    first = Page(web.get("/ws/acme/incidents?status=resolved", via="session").text)
    assert sum(1 for word in first.text if word.startswith("Bulk ")) == 100
    assert "Page 1 of 3" in first.words and "?status=resolved&page=2" in first.links
    last = Page(web.get("/ws/acme/incidents?status=resolved&page=3", via="session").text)
    assert sum(1 for word in last.text if word.startswith("Bulk ")) == 30
    assert web.get("/ws/acme/incidents?status=resolved&page=4", via="session").status_code == 400


def test_list_json_pages_in_list_order(web: Web) -> None:
    seed_incidents(web.db, web.own.workspace_id,
                   [("resolved", "p1")] * 3 + [("investigating", "p3"), ("open", "p2")])
    first = web.get("/ws/acme/incidents?limit=2", via="token", as_json=True).json()
    assert first["total"] == 6 and first["counts"]["open"] == 2
    assert [(i["key"], i["status"]) for i in first["incidents"]] == [
        ("INC-0104", "open"), ("INC-0001", "open")]
    assert first["incidents"][0]["url"] == f"{BASE_URL}/ws/acme/incidents/INC-0104"
    assert first["next"] == f"{BASE_URL}/ws/acme/incidents?offset=2&limit=2"
    rest = web.get("/ws/acme/incidents?offset=2&limit=10", via="token", as_json=True).json()
    assert [i["status"] for i in rest["incidents"]] == ["investigating"] + ["resolved"] * 3
    assert rest["next"] is None
    only = web.get("/ws/acme/incidents?status=resolved&severity=p1", via="token",
                   as_json=True).json()
    assert only["total"] == 3


def test_bad_list_parameters_are_400_with_a_reason(web: Web) -> None:
    for query, field in (("status=closed", "status"), ("severity=p7", "severity"),
                         ("limit=0", "limit"), ("limit=5000", "limit"), ("offset=-1", "offset")):
        response = web.get(f"/ws/acme/incidents?{query}", via="token", as_json=True)
        assert response.status_code == 400 and field in response.json()["errors"], query
    echoed = web.get("/ws/acme/incidents?status=%3Cscript%3Ex%3C/script%3E", via="session")
    assert echoed.status_code == 400 and "<script>" not in echoed.text
    assert "Unknown status '<script>x</script>'" in Page(echoed.text).words
    page = web.get("/ws/acme/incidents?page=abc", via="session")
    assert page.status_code == 400 and "'page' must be a whole number" in Page(page.text).words


def test_detail_tabs_and_timeline_paging(web: Web) -> None:
    seed_events(web.db, own_incident_id(web), 450)
    overview = Page(web.get("/ws/acme/incidents/INC-0001", via="session").text)
    tabs = [t for t in overview.text if t in ("Overview", "Timeline", "Responders",
                                              "Root cause", "Action items", "Postmortem")]
    assert tabs[:5] == ["Overview", "Timeline", "Responders", "Root cause", "Action items"]
    assert "Postmortem" not in tabs  # only once resolved
    assert "Latest updates" in overview.words and "event number 449" in overview.words
    assert "event number 100" not in overview.words
    first = Page(web.get("/ws/acme/incidents/INC-0001?tab=timeline", via="session").text)
    assert "Events 1–200 of 451, oldest first." in first.words
    # Seeded events predate the "declared" one, so page 1 holds events 0-199.
    assert "event number 199" in first.words and "event number 200" not in first.words
    assert "Page 1 of 3" in first.words and "?tab=timeline&page=3" in first.links
    assert "UTC" in first.words and "SLACK" not in first.words  # uppercase is CSS only
    last = Page(web.get("/ws/acme/incidents/INC-0001?tab=timeline&page=3", via="session").text)
    assert "Events 401–451 of 451" in last.words and "event number 449" in last.words
    for bad in ("tab=nope", "tab=timeline&page=9", "tab=postmortem"):
        assert web.get(f"/ws/acme/incidents/INC-0001?{bad}", via="session").status_code == 400


def test_share_links_keep_the_token_on_tab_links(web: Web) -> None:
    page = Page(web.get("/ws/acme/incidents/INC-0001", via="share").text)
    assert f"?share={web.own.share}&tab=timeline" in page.links
    assert "/ws/acme/incidents" not in page.links  # no way into the list
    assert "Shared read-only link" in page.words


def full_incident(web: Web) -> None:
    actor = web.own.actor
    helper = web.world.members_extra[0]
    responders.add_responder(web.db, actor, 1, helper.id or 0)
    action_items.add_action_item(web.db, actor, 1, "Add an alert on queue depth",
                                 owner_id=helper.id)
    incidents.transition(web.db, actor, 1, Move.INVESTIGATE)
    incidents.transition(web.db, actor, 1, Move.MITIGATE)
    incidents.transition(web.db, actor, 1, Move.RESOLVE, root_cause="Bad deploy of cart")
    incidents.transition(web.db, web.world.actor(Role.ADMIN), 1, Move.OPEN_POST_MORTEM)


CONTRACT = {"key", "title", "description", "severity", "status", "commander", "responders",
            "timeline", "root_cause", "action_items", "caused_by_change", "slack_channel_id",
            "pagerduty_incident_id", "detected_at", "created_at", "mitigated_at",
            "resolved_at", "postmortem", "url", "timeline_total", "timeline_offset",
            "timeline_limit", "timeline_next"}


def test_incident_json_contract(web: Web) -> None:
    full_incident(web)
    data = web.get("/ws/acme/incidents/INC-0001", via="token", as_json=True).json()
    assert set(data) >= CONTRACT
    assert data["status"] == "post_mortem" and data["root_cause"] == "Bad deploy of cart"
    assert data["url"] == f"{BASE_URL}/ws/acme/incidents/INC-0001"
    assert [(r["user"]["name"], r["role"]) for r in data["responders"]] == [
        ("Engineer", "commander"), ("Eng 0", "responder")]
    assert all(set(r) == {"user", "role", "joined_at"} for r in data["responders"])
    assert {"at", "source", "label", "actor", "payload"} <= set(data["timeline"][0])
    assert data["action_items"][0]["owner"] == "Eng 0"
    assert data["mitigated_at"] and data["resolved_at"]
    assert data["postmortem"]["status"] == "draft"
    copy = data["postmortem"]["timeline"]
    assert data["postmortem"]["timeline_total"] == len(copy) > 0
    assert copy[0]["label"] == "created" and copy[-1]["label"] == "status_changed"
    short = web.get("/ws/acme/incidents/INC-0001?timeline_offset=1&timeline_limit=2",
                    via="token", as_json=True).json()
    assert short["postmortem"]["timeline"] == copy[1:3]
    page = Page(web.get("/ws/acme/incidents/INC-0001?tab=postmortem", via="session").text)
    assert "Timeline copied" in page.words and "Bad deploy of cart" in page.words
    cause = Page(web.get("/ws/acme/incidents/INC-0001?tab=root-cause", via="session").text)
    assert "Bad deploy of cart" in cause.words
    items = Page(web.get("/ws/acme/incidents/INC-0001?tab=action-items", via="session").text)
    assert "Add an alert on queue depth" in items.words and "Owner: Eng 0" in items.words
    people = Page(web.get("/ws/acme/incidents/INC-0001?tab=responders", via="session").text)
    assert "Eng 0" in people.words and "commander" in people.words


def test_incident_json_pages_the_timeline(web: Web) -> None:
    seed_events(web.db, own_incident_id(web), 30)
    url = "/ws/acme/incidents/INC-0001"
    first = web.get(f"{url}?timeline_limit=20", via="share", as_json=True).json()
    assert len(first["timeline"]) == 20 and first["timeline_total"] == 31
    assert first["timeline_next"] == (f"{BASE_URL}{url}?share={web.own.share}"
                                      "&timeline_offset=20&timeline_limit=20")
    rest = web.get(f"{url}?timeline_offset=20&timeline_limit=20", via="share",
                   as_json=True).json()
    assert len(rest["timeline"]) == 11 and rest["timeline_next"] is None
    assert rest["url"] == f"{BASE_URL}{url}"  # the canonical URL never carries a token
    bad = web.get(f"{url}?timeline_limit=100000", via="token", as_json=True)
    assert bad.status_code == 400 and "timeline_limit" in bad.json()["errors"]


HOSTILE = ['<script>alert("t")</script>', '" onmouseover="alert(1)', "</textarea><b>x</b>",
           "<img src=x onerror=alert(1)>", "javascript:alert(1)", "<javascript:alert(1)|click>",
           "<a href='javascript:alert(1)'>x</a>", "https://ok.example/?q=<b>&x=\"y\""]


def assert_inert(html: str) -> Page:
    page = Page(html)
    names = {tag for tag, _ in page.tags}
    assert not names & {"script", "img", "textarea", "b", "iframe", "object"}, names
    for tag, attrs in page.tags:
        assert not [a for a in attrs if a.startswith("on")], (tag, attrs)
        for name in ("href", "src", "action"):
            value = (attrs.get(name) or "").strip().lower()
            assert not value.startswith(("javascript:", "data:")), (tag, attrs)
    return page


def test_user_written_text_is_escaped_everywhere(web: Web) -> None:
    actor = web.own.actor
    evil = " ".join(HOSTILE)
    incident = incidents.declare(web.db, actor, title=HOSTILE[0] + HOSTILE[1],
                                 description=evil, services=["<b>cart</b>"])
    key = incident.number
    for text in HOSTILE:
        timeline.append_entry(web.db, actor, key, text, source="slack", label=Label.MESSAGE)
    action_items.add_action_item(web.db, actor, key, evil)
    incidents.set_root_cause(web.db, actor, key, evil)
    for tab in ("", "?tab=timeline", "?tab=root-cause", "?tab=action-items",
                "?tab=responders"):
        response = web.get(f"/ws/acme/incidents/INC-0002{tab}", via="session")
        assert response.status_code == 200
        page = assert_inert(response.text)
        assert '" onmouseover="alert(1)' in page.words or tab != ""
    listing = web.get("/ws/acme/incidents", via="session")
    assert_inert(listing.text)
    assert '<script>alert("t")</script>' in Page(listing.text).words
    # The one URL that may become a link is the http(s) one, with its markup escaped.
    page = Page(web.get("/ws/acme/incidents/INC-0002?tab=timeline", via="session").text)
    assert "https://ok.example/?q=" in page.links
    data = web.get("/ws/acme/incidents/INC-0002", via="token", as_json=True).json()
    assert data["title"] == HOSTILE[0] + HOSTILE[1]  # JSON carries the text as typed


def test_security_headers_everywhere(web: Web) -> None:
    responses = [
        web.get("/ws/acme/incidents", via="session"),
        web.get("/ws/acme/incidents/INC-0001", via="share"),
        web.get("/ws/acme/incidents/INC-0001", via="token", as_json=True),
        web.get("/ws/acme/incidents/INC-0099", via="session"),
        web.get("/ws/acme/incidents"),
        web.client.get("/auth/login"),
        web.client.get("/static/vigilo.css"),
    ]
    for response in responses:
        csp = response.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "unsafe-inline" not in csp
        assert "script-src" not in csp  # falls back to default-src 'none'
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["x-content-type-options"] == "nosniff"
    for response in responses[:5]:
        assert response.headers["cache-control"] == "no-store"
    assert "style=" not in responses[0].text and "<style" not in responses[0].text
    assert responses[-1].headers["content-type"].startswith("text/css")


def test_health_is_public_and_says_nothing(web: Web) -> None:
    web.client.cookies.clear()
    health = web.client.get("/healthz")
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    ready = web.client.get("/readyz")
    # The test schema is made with create_all, not migrations: not at head, so not ready.
    assert ready.status_code == 503 and ready.json() == {"status": "unavailable"}
    for response in (health, ready):
        body = response.text.lower()
        assert not any(word in body for word in ("sqlite", "postgres", "version", "acme",
                                                  "error", "/"))


def test_ready_once_migrated(db_url: str) -> None:
    upgrade(db_url)
    vigilo = build(Settings(database_url=db_url, base_url=BASE_URL), run_worker=False)
    assert vigilo.asgi is not None
    try:
        with TestClient(vigilo.asgi) as client:
            response = client.get("/readyz")
        assert response.status_code == 200 and response.json() == {"status": "ok"}
    finally:
        vigilo.db.dispose()



def test_storm_banner_slot(web: Web) -> None:
    seen: list[int] = []

    def storms(workspace_id: int) -> list[StormBanner]:
        seen.append(workspace_id)
        return [StormBanner("5 related incidents in the last 30 minutes <b>possible storm</b>",
                            "/ws/acme/incidents?status=active")]

    app = Starlette(routes=site.routes(web.db, BASE_URL, storms=storms))
    with TestClient(app, base_url=BASE_URL) as client:
        client.cookies.set(SESSION_COOKIE, web.own.session)
        page = Page(client.get("/ws/acme/incidents").text)
    assert seen == [web.own.workspace_id]
    assert ("section", {"class": "storm", "role": "alert", "aria-label": "Incident storm"}
            ) in page.tags
    assert "5 related incidents in the last 30 minutes <b>possible storm</b>" in page.words
    assert "/ws/acme/incidents?status=active" in page.links
    assert "storm" not in web.get("/ws/acme/incidents", via="session").text  # none: no slot
