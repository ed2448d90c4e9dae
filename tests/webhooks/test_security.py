"""Security of the pages: hostile text stays text, headers on every answer, quiet health."""

from starlette.testclient import TestClient

from core.effects import Label
from services import action_items, incidents, timeline
from store.migrate import upgrade
from tests.web_support import BASE_URL, Page, Web, web_fixture  # noqa: F401
from vigilo.app import build
from vigilo.settings import Settings
from webhooks.security import replaced

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
    # Ready or not (a create_all schema is not at the migrations' head), it says only that.
    assert (ready.status_code, ready.json()) in ((200, {"status": "ok"}),
                                                 (503, {"status": "unavailable"}))
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


def test_replaced_headers_take_the_place_of_earlier_ones_of_any_case() -> None:
    earlier = [(b"Content-Type", b"text/html"), (b"X-Frame-Options", b"SAMEORIGIN"),
               (b"x-frame-options", b"ALLOW-FROM x"), (b"cache-control", b"no-store")]
    out = replaced(earlier, frozenset({b"x-frame-options"}), [(b"x-frame-options", b"DENY")])
    assert out == [(b"Content-Type", b"text/html"), (b"cache-control", b"no-store"),
                   (b"x-frame-options", b"DENY")]
    assert earlier[1] == (b"X-Frame-Options", b"SAMEORIGIN")  # the input is left as it was


def test_security_headers_applied_twice_are_sent_once(web: Web) -> None:
    # Per route and around the whole app: each header once, with our value.
    raw = web.client.get("/ws/acme/incidents").headers.raw
    names = [name.lower() for name, _ in raw]
    for name in (b"content-security-policy", b"x-frame-options", b"x-request-id"):
        assert names.count(name) == 1, (name, raw)
