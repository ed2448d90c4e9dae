"""PagerDuty out, the later parts: priority with urgency, notes mirrored (never back), the
id kept in integration_link, and answers that are not JSON. Real `pagerduty` client, HTTPS
fake on loopback."""

import logging

import pytest
from sqlmodel import col, select

from services import incidents, integration_state, timeline, timeline_editor, workspaces
from services.actor import Actor
from store.models import Incident, IntegrationLog, Outbox
from tests.conftest import World
from tests.pd_support import PdRig, fake_pd_fixture, pd_fixture  # noqa: F401
from vigilo.sandbox.pagerduty_api import GARBAGE


def declared(pd: PdRig, severity: str = "p1") -> str:
    incidents.declare(pd.world.db, pd.world.actor(), title="Checkout is down",
                      severity=severity)
    pd.drain()
    with pd.world.db.read() as session:
        found = session.exec(select(Incident.pagerduty_incident_id)).first()
    assert found is not None
    return found


def rows(world: World, kind: str) -> list[Outbox]:
    with world.db.read() as session:
        return list(session.exec(select(Outbox).where(Outbox.kind == kind)
                                 .order_by(col(Outbox.id))))


def said(world: World, kind: str) -> str:
    """The integration log's lines for one kind of effect."""
    with world.db.read() as session:
        return "\n".join(session.exec(select(IntegrationLog.detail).where(
            IntegrationLog.kind == kind).order_by(col(IntegrationLog.id))))


def mirror_notes(world: World) -> None:
    workspaces.set_setting(world.db, Actor.operator(world.ws_id), "pagerduty_mirror_notes",
                           "on")


def test_priority_follows_severity_with_urgency_listed_once(pd: PdRig) -> None:
    pd_id = declared(pd, "p1")
    [created] = pd.fake.calls_to("POST /incidents")
    assert created.body["incident"]["priority"] == {"id": "PRIO1",
                                                    "type": "priority_reference"}
    assert pd.fake.incident(pd_id).priority == "PRIO1"
    actor = pd.world.actor()
    incidents.change_severity(pd.world.db, actor, "INC-0001", "p3")
    pd.drain()
    shown = pd.fake.incident(pd_id)
    assert (shown.urgency, shown.priority) == ("low", "PRIO3")
    incidents.change_severity(pd.world.db, actor, "INC-0001", "p2")
    pd.drain()
    assert (pd.fake.incident(pd_id).urgency, pd.fake.incident(pd_id).priority) == (
        "high", "PRIO2")
    assert len(pd.fake.calls_to("GET /priorities")) == 1  # cached between the calls
    [*_, last] = rows(pd.world, "pagerduty.urgency")
    assert last.status == "done"


def test_an_account_without_priorities_gets_urgency_only_logged_once(
        pd: PdRig, caplog: pytest.LogCaptureFixture) -> None:
    pd.fake.priorities = []
    caplog.set_level(logging.WARNING, logger="integrations.pagerduty.client")
    pd_id = declared(pd, "p1")
    assert "priority" not in pd.fake.calls_to("POST /incidents")[0].body["incident"]
    for severity in ("p3", "p1"):
        incidents.change_severity(pd.world.db, pd.world.actor(), "INC-0001", severity)
        pd.drain()
    puts = [c.body["incident"] for c in pd.fake.calls_to("PUT /incidents/{id}")]
    assert [p.get("urgency") for p in puts] == ["low", "high"]
    assert all("priority" not in p for p in puts)
    assert pd.fake.incident(pd_id).priority is None
    said = [r.getMessage() for r in caplog.records if "priorit" in r.getMessage()]
    assert said == ["PagerDuty the account has no priorities: Vigilo sets the urgency only"]
    assert all(r.status == "done" for r in rows(pd.world, "pagerduty.urgency"))


def test_listing_priorities_failing_retries_the_change_and_never_holds_the_page(
        pd: PdRig) -> None:
    pd.fake.fail_next("GET /priorities", 500, retry_after=None)
    pd_id = declared(pd, "p1")  # the page goes out without a priority
    assert pd.fake.incident(pd_id).priority is None
    assert "listing priorities failed" in said(pd.world, "pagerduty.trigger")
    pd.fake.fail_next("GET /priorities", 500, retry_after=None)
    incidents.change_severity(pd.world.db, pd.world.actor(), "INC-0001", "p2")
    pd.drain()
    [row] = rows(pd.world, "pagerduty.urgency")
    assert row.status == "pending" and "HTTP 500" in (row.last_error or "")
    pd.later(3600)
    pd.drain()
    assert pd.fake.incident(pd_id).priority == "PRIO2"


def test_new_ids_are_linked_and_the_webhook_finds_the_incident_by_the_link(pd: PdRig) -> None:
    pd_id = declared(pd)
    found = integration_state.find(pd.world.db, "pagerduty", pd_id)
    assert found is not None and found.kind == "incident"
    assert (found.workspace_id, found.incident_id) == (pd.world.ws_id, 1)
    pd.send("incident.acknowledged", pd_id)
    with pd.world.db.read() as session:
        assert session.exec(select(Incident.status)).one() == "investigating"


def test_notes_are_mirrored_when_asked_and_pagerduty_notes_never_bounce(pd: PdRig) -> None:
    pd_id = declared(pd)
    actor = pd.world.actor()
    timeline.append_entry(pd.world.db, actor, "INC-0001", "before the setting: stays here")
    pd.drain()
    assert pd.fake.incident(pd_id).notes == []
    mirror_notes(pd.world)
    timeline.append_entry(pd.world.db, actor, "INC-0001", "Rolled back build 512")
    timeline_editor.add_at(pd.world.db, actor, "INC-0001", "Noticed the 502s", None)
    pd.drain()
    name = actor.name
    assert pd.fake.incident(pd_id).notes == [
        f"{name} on Vigilo INC-0001: Rolled back build 512",
        f"{name} on Vigilo INC-0001: Noticed the 502s"]
    # A note made on PagerDuty lands on our timeline and is not sent back.
    pd.send("incident.annotated", pd_id, extra={"type": "incident_note",
                                                "incident": {"id": pd_id},
                                                "content": "Paged the DBA"})
    pd.drain()
    assert len(pd.fake.incident(pd_id).notes) == 2
    assert len(pd.fake.calls_to("POST /incidents/{id}/notes")) == 2


def test_a_note_whose_answer_was_garbage_is_on_pagerduty_once(pd: PdRig) -> None:
    pd_id = declared(pd)
    mirror_notes(pd.world)
    pd.fake.fail_next("POST /incidents/{id}/notes", GARBAGE)  # made; the 200 is no JSON
    timeline.append_entry(pd.world.db, pd.world.actor(), "INC-0001", "Failover done")
    pd.drain()
    [row] = rows(pd.world, "pagerduty.note")
    assert row.status == "pending" and "not JSON" in (row.last_error or "")
    pd.later(3600)
    pd.drain()
    [row] = rows(pd.world, "pagerduty.note")
    assert row.status == "done" and "earlier attempt" in said(pd.world, "pagerduty.note")
    assert len(pd.fake.incident(pd_id).notes) == 1


def test_a_create_answered_with_garbage_makes_one_incident(pd: PdRig) -> None:
    pd.fake.fail_next("POST /incidents", GARBAGE)
    incidents.declare(pd.world.db, pd.world.actor(), title="Checkout is down", severity="p1")
    pd.drain()
    [row] = rows(pd.world, "pagerduty.trigger")
    assert row.status == "pending" and "not JSON" in (row.last_error or "")
    pd.later(3600)
    pd.drain()
    assert rows(pd.world, "pagerduty.trigger")[0].status == "done"
    assert len(pd.fake.incidents) == 1


def test_a_note_on_an_incident_never_paged_stays_in_vigilo(pd: PdRig) -> None:
    mirror_notes(pd.world)
    incidents.declare(pd.world.db, pd.world.actor(), title="Slow admin page", severity="p4")
    timeline.append_entry(pd.world.db, pd.world.actor(), "INC-0001", "Looked at it")
    pd.drain()
    assert pd.fake.calls == []
    [row] = rows(pd.world, "pagerduty.note")
    assert row.status == "done" and "stays in Vigilo" in said(pd.world, "pagerduty.note")
