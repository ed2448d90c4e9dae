"""Pages a responder reads at a glance: most pressing first, how long, the root cause, a
timeline by day with people's words apart from Vigilo's entries, an archived channel said so."""

import re
from datetime import UTC, datetime

from core.effects import Label
from core.fsm import Move
from services import incidents, slack_channel
from store.models import TimelineEvent
from tests.web_support import Page, Web, own_incident_id, seed_incidents, web_fixture  # noqa: F401


def keys(page: Page) -> list[str]:
    return [word for word in page.text if word.startswith("INC-0")]


def test_active_incidents_are_most_severe_then_longest_running_first(web: Web) -> None:
    # INC-0001 is an open p3 declared just now; each Bulk n was detected n minutes ago.
    seed_incidents(web.db, web.own.workspace_id, [("open", "p4"), ("investigating", "p1"),
                                                  ("mitigated", "p1"), ("open", "p2"),
                                                  ("resolved", "p1")])
    page = Page(web.get("/ws/acme/incidents", via="session").text)
    assert keys(page) == ["INC-0102", "INC-0101", "INC-0103", "INC-0001", "INC-0100",
                          "INC-0104"]
    assert "for 1 h 42 min" in page.words  # INC-0102, detected 102 minutes ago
    assert "for 1 h 40 min" in page.words
    active = Page(web.get("/ws/acme/incidents?status=active", via="session").text)
    assert keys(active)[:2] == ["INC-0102", "INC-0101"] and "INC-0104" not in keys(active)


def test_the_overview_says_status_once_how_long_and_the_root_cause(web: Web) -> None:
    actor = web.own.actor
    for move in (Move.INVESTIGATE, Move.MITIGATE):
        incidents.transition(web.db, actor, 1, move)
    incidents.transition(web.db, actor, 1, Move.RESOLVE, root_cause="cart v2.14 leaked "
                         "database connections")
    page = Page(web.get("/ws/acme/incidents/INC-0001", via="session").text)
    terms = [t for t in page.text if t in ("Status", "Severity", "Lasted", "Open for")]
    assert "Status" not in terms and "Severity" not in terms and "Lasted" in terms
    assert page.text.count("resolved") == 1  # the headline chip, not a second "Status" row
    # the transitions took a moment, longer on a loaded machine: any number of seconds
    assert re.search(r"resolved in \d+ s", page.words) and "after detection" in page.words
    assert "Root cause" in page.text
    assert "cart v2.14 leaked database connections" in page.words


def test_the_timeline_is_grouped_by_day_and_peoples_words_stand_apart(web: Web) -> None:
    incident_id = own_incident_id(web)
    with web.db.transaction() as session:
        session.add(TimelineEvent(incident_id=incident_id, source="slack", label=Label.MESSAGE,
                                  actor="Sam", text="p99 is 4 s on checkout-api",
                                  at=datetime(2026, 11, 30, 23, 50, tzinfo=UTC)))
        session.add(TimelineEvent(incident_id=incident_id, source="slack", label=Label.STATUS,
                                  actor="Dana", text="Dana started investigating",
                                  at=datetime(2026, 12, 1, 0, 10, tzinfo=UTC)))
    page = Page(web.get("/ws/acme/incidents/INC-0001?tab=timeline", via="session").text)
    assert "Monday 30 November 2026" in page.text and "Tuesday 1 December 2026" in page.text
    assert "23:50:00" in page.text and "2026-11-30 23:50:00 UTC" not in page.text
    classes = [attrs.get("class") for tag, attrs in page.tags if tag == "li"]
    assert classes.count("event said") == 1 and classes.count("event system") >= 2
    assert ("blockquote", {"class": "text"}) in page.tags  # the message, as a quote


def test_a_reopened_incident_says_its_channel_is_archived(web: Web) -> None:
    incident_id = own_incident_id(web)
    slack_channel.store_channel(web.db, incident_id, "C0INC1", "inc-0001-checkout-is-down")
    for move in (Move.INVESTIGATE, Move.RESOLVE):
        incidents.transition(web.db, web.own.actor, 1, move)
    slack_channel.add_event(web.db, incident_id, Label.CHANNEL_ARCHIVED,
                          "Slack channel #inc-0001-checkout-is-down archived", "test:archived")
    incidents.transition(web.db, web.own.actor, 1, Move.REOPEN)
    detail = Page(web.get("/ws/acme/incidents/INC-0001", via="session").text)
    at = detail.text.index("#inc-0001-checkout-is-down")
    assert detail.text[at + 1] == "archived"
    listed = Page(web.get("/ws/acme/incidents", via="session").text)
    at = listed.text.index("#inc-0001-checkout-is-down")
    assert listed.text[at + 1] == "archived"
    data = web.get("/ws/acme/incidents/INC-0001", via="token", as_json=True).json()
    assert data["status"] == "investigating" and data["slack_channel_archived"] is True
