"""Integration state: one link per (integration, external id), with its state merged."""

from services import incidents, integration_state
from tests.conftest import World


def test_link_find_update(world: World) -> None:
    incident = incidents.declare(world.db, world.actor(), title="Checkout down")
    made, created = integration_state.link(world.db, "pagerduty", "PD1", kind="incident",
                                           workspace_id=world.ws_id, incident_id=incident.id,
                                           state={"status": "triggered"})
    assert created and made.state == {"status": "triggered"}
    again, created = integration_state.link(world.db, "pagerduty", "PD1", kind="incident",
                                            workspace_id=world.ws_id, state={"other": 1})
    assert not created and again.id == made.id and again.state == {"status": "triggered"}
    # The same external id in another integration is another link.
    other, created = integration_state.link(world.db, "statuspage", "PD1", kind="incident",
                                            workspace_id=world.ws_id)
    assert created and other.id != made.id

    updated = integration_state.update(world.db, "pagerduty", "PD1", status="acknowledged",
                                       by="Dana")
    assert updated is not None
    assert updated.state == {"status": "acknowledged", "by": "Dana"}
    assert updated.updated_at is not None and made.updated_at is not None
    assert updated.updated_at >= made.updated_at
    found = integration_state.find(world.db, "pagerduty", "PD1")
    assert found is not None and found.state == updated.state
    assert integration_state.find(world.db, "pagerduty", "PD2") is None
    assert integration_state.update(world.db, "pagerduty", "PD2", status="x") is None
    assert [link.external_id for link in integration_state.for_incident(
        world.db, "pagerduty", incident.id or 0)] == ["PD1"]
    assert integration_state.first_for_incident(world.db, "pagerduty", incident.id or 0,
                                                "message") is None


def test_links_without_an_incident_belong_to_the_workspace(world: World) -> None:
    link, _ = integration_state.link(world.db, "twilio", "SM123", kind="message",
                                     workspace_id=world.ws_id, state={"to": "+15550100"})
    assert link.incident_id is None and link.workspace_id == world.ws_id
