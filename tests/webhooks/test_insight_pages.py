"""The change page (Related incidents), the storm page and banner, the Probable cause and
runbook panels on the detail page, and response stats on the list."""

from datetime import timedelta

from core.fsm import Move
from services import change_requests, incidents, runbooks, storm_views, storms
from services.change_requests import clean_change
from store.types import utcnow
from tests.web_support import Page, Web, web_fixture  # noqa: F401


def test_change_page_lists_related_incidents_and_hides_other_workspaces(web: Web) -> None:
    actor = web.world.actor()
    change_requests.create(web.db, actor, clean_change("Deploy checkout", assets="checkout"))
    change_requests.link(web.db, actor, 1, "CHG-1")
    page = web.get("/ws/acme/changes/CHG-0001", via="session")
    assert page.status_code == 200
    words = Page(page.text).words
    assert "Related incidents 1" in words and "INC-0001" in words
    data = web.get("/ws/acme/changes/chg-1", via="token", as_json=True).json()
    assert data["related_incidents"][0]["key"] == "INC-0001"
    assert web.get("/ws/acme/changes/CHG-0001", via="session",
                   tenant=web.other).status_code == 404
    assert web.get("/ws/acme/changes/CHG-9", via="session").status_code == 404
    assert web.get("/ws/acme/changes/nonsense", via="session").status_code == 404
    assert web.get("/ws/acme/changes/CHG-0001").status_code == 401


def test_storm_banner_page_and_its_end(web: Web) -> None:
    actor = web.world.actor()
    for n in range(5):
        incidents.declare(web.db, actor, title=f"api {n}", services=["api", "db"],
                          detected_at=utcnow() - timedelta(minutes=10))
    storms.detect(web.db, utcnow())
    storm_id = storm_views.open_storms(web.db, web.world.ws_id)[0].id
    listing = web.get("/ws/acme/incidents", via="session")
    assert "5 related incidents in the last 30 minutes — possible storm." in listing.text
    assert f'href="/ws/acme/storms/{storm_id}"' in listing.text
    page = Page(web.get(f"/ws/acme/storms/{storm_id}", via="session").text).words
    assert "Members 5" in page and "Common services api, db" in page
    data = web.get(f"/ws/acme/storms/{storm_id}", via="token", as_json=True).json()
    assert data["common"]["services"] == ["api", "db"] and len(data["members"]) == 5
    assert web.get(f"/ws/acme/storms/{storm_id}", via="session",
                   tenant=web.other).status_code == 404
    assert web.get("/ws/acme/storms/abc", via="session").status_code == 404
    storms.auto_resolve(web.db, utcnow() + timedelta(hours=2))
    assert "possible storm" not in web.get("/ws/acme/incidents", via="session").text


def test_detail_shows_probable_cause_and_runbooks_but_not_to_share_links(web: Web) -> None:
    actor = web.world.actor()
    incident = incidents.declare(web.db, actor, title="Payments failing",
                                 services=["payments"])
    change_requests.create(web.db, actor, clean_change(
        "Deploy payments 7", assets="payments", started_at=utcnow() - timedelta(hours=1)))
    runbooks.add(web.db, actor, title="Payments provider outage", tags="payment")
    key = f"INC-{incident.number:04d}"
    words = Page(web.get(f"/ws/acme/incidents/{key}", via="session").text).words
    assert "Probable cause" in words and "CHG-0001 Deploy payments 7" in words
    assert "Touched payments (the affected service), started 59 min before" in words
    assert "Payments provider outage" in words and "/vigilo link CHG-0001" in words
    shared = web.get("/ws/acme/incidents/INC-0001", via="share")
    assert shared.status_code == 200 and "Probable cause" not in shared.text


def test_list_header_and_json_carry_response_stats(web: Web) -> None:
    incidents.transition(web.db, web.world.actor(), 1, Move.INVESTIGATE)
    words = Page(web.get("/ws/acme/incidents", via="session").text).words
    assert "Last 30 days: 1 incidents" in words and "time to acknowledge median" in words
    data = web.get("/ws/acme/incidents", via="token", as_json=True).json()
    assert data["stats"]["periods"]["7d"]["by_severity"]["all"]["acknowledge"]["count"] == 1
