"""The public status page: published by rule and by hand, following the incident in public
wording, withdrawn when it no longer qualifies, and showing nothing internal."""

import json
from xml.etree import ElementTree

import pytest
from starlette.testclient import TestClient

from core.fsm import Move
from core.permissions import Role
from integrations.outbox import OutboxWorker
from services import incidents, statuspage
from tests.conftest import World
from vigilo.app import Vigilo, build
from vigilo.settings import Settings

SECRET_TITLE = "Bob's deploy 4411 broke payments-db"


class Page:
    def __init__(self, world: World) -> None:
        self.world = world
        self.vigilo: Vigilo = build(Settings(workspace="acme", base_url="http://v.test"),
                                    db=world.db, run_worker=False)
        self.worker = OutboxWorker(world.db, self.vigilo.registry.handlers,
                                   off=self.vigilo.registry.off)
        self.http = TestClient(self.vigilo.asgi)  # type: ignore[arg-type]

    def json(self) -> dict:  # type: ignore[type-arg]
        self.worker.drain()
        answer = self.http.get("/status/acme", headers={"Accept": "application/json"})
        assert answer.status_code == 200
        return dict(answer.json())


@pytest.fixture
def page(world: World) -> Page:
    return Page(world)


def declare(world: World, severity: str = "p1") -> None:
    incidents.declare(world.db, world.actor(), title=SECRET_TITLE, severity=severity,
                      services=["checkout", "payments"], description="internal notes")


def test_follows_the_incident_in_public_words_and_leaks_nothing(page: Page) -> None:
    world = page.world
    assert page.json()["status"] == "operational"
    declare(world)
    [shown] = page.json()["incidents"]
    assert shown["title"] == "Degraded service: checkout, payments"
    assert shown["status"] == "investigating"
    assert shown["updates"][0]["message"] == ("We are investigating a problem affecting "
                                              "checkout, payments.")
    actor = world.actor()
    incidents.transition(world.db, actor, "INC-0001", Move.INVESTIGATE)
    incidents.set_root_cause(world.db, actor, "INC-0001", "Bob's bad migration")
    incidents.transition(world.db, actor, "INC-0001", Move.MITIGATE)
    [shown] = page.json()["incidents"]
    assert [u["status"] for u in shown["updates"]] == ["monitoring", "identified",
                                                       "investigating"]
    incidents.transition(world.db, actor, "INC-0001", Move.RESOLVE, root_cause="migration")
    data = page.json()
    assert data["incidents"] == [] and data["recently_resolved"][0]["status"] == "resolved"
    html = page.http.get("/status/acme").text
    feed = page.http.get("/status/acme/feed.atom")
    assert feed.headers["content-type"].startswith("application/atom+xml")
    entries = ElementTree.fromstring(feed.text).findall("{http://www.w3.org/2005/Atom}entry")
    assert len(entries) == 4
    everything = html + feed.text + json.dumps(data)
    for secret in ("Bob", "4411", "internal notes", "Engineer", "INC-0001", "migration"):
        assert secret not in everything, secret
    assert "Degraded service: checkout, payments" in html and "Resolved" in html


def test_severity_and_auto_publish_toggle_publish_and_withdraw(page: Page) -> None:
    world = page.world
    declare(world, "p3")
    assert page.json()["incidents"] == []  # below status_page_auto_publish_severity (p2)
    incidents.change_severity(world.db, world.actor(), "INC-0001", "p2")
    assert len(page.json()["incidents"]) == 1
    incidents.change_severity(world.db, world.actor(), "INC-0001", "p4")
    assert page.json()["incidents"] == []
    incidents.change_severity(world.db, world.actor(), "INC-0001", "p1")
    assert len(page.json()["incidents"]) == 1
    admin = world.actor(Role.ADMIN)
    incidents.edit_incident(world.db, admin, "INC-0001", auto_publish_to_status=False)
    assert page.json()["incidents"] == []
    incidents.change_severity(world.db, world.actor(), "INC-0001", "p2")
    assert page.json()["incidents"] == []  # auto-publish is off: severity alone won't
    incidents.edit_incident(world.db, admin, "INC-0001", auto_publish_to_status=True)
    [shown] = page.json()["incidents"]
    assert len(shown["updates"]) == 3  # published, then republished twice


def test_by_hand_with_human_words(page: Page) -> None:
    world = page.world
    declare(world, "p4")
    with pytest.raises(Exception, match="not on the status page"):
        statuspage.update(world.db, world.actor(), "INC-0001", "More soon")
    statuspage.publish(world.db, world.actor(), "INC-0001", "Card payments fail for some.")
    statuspage.update(world.db, world.actor(), "INC-0001", "A fix is rolling out.")
    [shown] = page.json()["incidents"]
    assert [u["message"] for u in shown["updates"]] == ["A fix is rolling out.",
                                                       "Card payments fail for some."]
    with pytest.raises(Exception, match="commander or a workspace admin"):
        statuspage.withdraw(world.db, world.actor(Role.VIEWER), "INC-0001")
    statuspage.withdraw(world.db, world.actor(), "INC-0001")
    assert page.json()["incidents"] == []


def test_unknown_page_is_404(page: Page) -> None:
    assert page.http.get("/status/nope").status_code == 404
    assert page.http.get("/status/nope", headers={"Accept": "application/json"}
                         ).json() == {"error": "not_found"}
    assert page.http.get("/status/nope/feed.atom").status_code == 404
