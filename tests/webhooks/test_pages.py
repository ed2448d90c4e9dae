"""What the pages and the JSON say: grouping, filters, paging, tabs, the JSON contract."""

from starlette.applications import Starlette
from starlette.testclient import TestClient

from core.fsm import Move
from core.permissions import Role
from services import action_items, incidents, responders
from tests.web_support import (  # noqa: F401
    BASE_URL,
    Page,
    Web,
    own_incident_id,
    seed_events,
    seed_incidents,
    web_fixture,
)
from webhooks import site
from webhooks.auth import SESSION_COOKIE
from webhooks.render import StormBanner


def test_list_groups_active_first_with_chips_and_filters(web: Web) -> None:
    seed_incidents(web.db, web.own.workspace_id, [("resolved", "p1"), ("investigating", "p2"),
                                                  ("post_mortem", "p4"), ("mitigated", "p1")])
    page = Page(web.get("/ws/acme/incidents", via="session").text)
    headings = [page.text[i] for i, word in enumerate(page.text)
                if word in ("Active", "Open", "Investigating", "Mitigated", "Resolved",
                            "Post mortem") and page.text[i + 1].isdigit()]
    assert headings == ["Active", "Resolved", "Post mortem"]  # most pressing first, not by status
    assert "P1 critical" in page.words and "Commander: Engineer" in page.words
    assert "/ws/acme/incidents/INC-0001" in page.links
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
    for bad in ("abc", "%C2%B2"):  # '²' passes str.isdigit() but not int()
        page = web.get(f"/ws/acme/incidents?page={bad}", via="session")
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
