"""PagerDuty webhooks v3 in: signatures, de-duplication, status mirroring without echo,
timeline entries, out-of-order events, unknown incidents, and declaring from an alert."""

import json

from sqlmodel import col, select

from core.fsm import Move
from core.permissions import Role
from core.validation import WorkspaceSettings
from services import incidents, pagerduty_inbound, workspaces
from store.inbox_models import InboxRow
from store.models import Incident, IntegrationLog, Outbox, TimelineEvent
from tests.conftest import World
from tests.pd_support import PdRig, fake_pd_fixture, pd_fixture  # noqa: F401
from vigilo.sandbox.pagerduty_api import sign_webhook


def mirrored(rig: PdRig) -> str:
    incidents.declare(rig.world.db, rig.world.actor(), title="Checkout is down",
                      severity="p1")
    rig.drain()
    with rig.world.db.read() as session:
        pd_id = session.exec(select(Incident.pagerduty_incident_id)).first()
    assert pd_id is not None
    return pd_id


def status(world: World) -> str:
    with world.db.read() as session:
        return session.exec(select(Incident.status)).one()


def pd_effects(world: World) -> list[str]:
    with world.db.read() as session:
        return [k for k in session.exec(select(Outbox.kind)) if k.startswith("pagerduty.")]


def test_acknowledged_then_resolved_mirror_and_never_bounce_back(pd: PdRig) -> None:
    pd_id = mirrored(pd)
    before = pd_effects(pd.world)
    answer = pd.send("incident.acknowledged", pd_id, agent="Pat Pager")
    assert answer.status_code == 202 and answer.json()["duplicate"] is False
    assert status(pd.world) == "investigating"
    pd.send("incident.resolved", pd_id)
    assert status(pd.world) == "resolved"
    assert pd_effects(pd.world) == before  # nothing sent back to PagerDuty
    with pd.world.db.read() as session:
        texts = [e.text for e in session.exec(select(TimelineEvent).where(
            TimelineEvent.source == "pagerduty").order_by(col(TimelineEvent.id)))]
        logs = session.exec(select(IntegrationLog).where(
            IntegrationLog.direction == "in")).all()
    assert texts[0] == "Pat Pager (PagerDuty): Start investigating (open → investigating)"
    assert len(logs) == 2 and all(log.ok for log in logs)
    pd.send("incident.reopened", pd_id)
    assert status(pd.world) == "investigating"


def test_signature_must_match_else_401_and_nothing_changes(pd: PdRig) -> None:
    pd_id = mirrored(pd)
    assert pd.send("incident.acknowledged", pd_id, secret="wrong").status_code == 401
    body, headers = pd.fake.webhook("incident.acknowledged", pd_id, "x")
    for signature in ("", "v0=abc", "garbage", sign_webhook("other", body)):
        answer = pd.post(body, {**headers, "X-PagerDuty-Signature": signature})
        assert answer.status_code == 401
    # Any of several signatures may match (PagerDuty sends two while a secret rotates).
    body, headers = pd.fake.webhook("incident.acknowledged", pd_id, "x")
    headers["X-PagerDuty-Signature"] = (sign_webhook("old-secret", body) + ","
                                        + sign_webhook("pd-webhook-secret", body))
    assert status(pd.world) == "open"
    with pd.world.db.read() as session:
        assert session.exec(select(InboxRow)).all() == []
    answer = pd.post(body, headers)
    assert answer.status_code == 202 and status(pd.world) == "investigating"


def test_redelivery_is_applied_once_and_garbage_is_400(pd: PdRig) -> None:
    pd_id = mirrored(pd)
    first = pd.send("incident.annotated", pd_id, event_id="EVT1",
                    extra={"type": "incident_note", "incident": {"id": pd_id},
                           "content": "DB failover started"})
    again = pd.send("incident.annotated", pd_id, event_id="EVT1",
                    extra={"type": "incident_note", "incident": {"id": pd_id},
                           "content": "DB failover started"})
    assert first.status_code == 202 and again.status_code == 200
    assert again.json()["duplicate"] is True
    with pd.world.db.read() as session:
        notes = session.exec(select(TimelineEvent.text).where(
            TimelineEvent.source == "pagerduty")).all()
    assert notes == ["PagerDuty note by Pat Pager: DB failover started"]
    for body in (b"not json", b"{}", json.dumps({"event": {"id": "E1"}}).encode()):
        answer = pd.http.post("/integrations/pagerduty_events/", content=body,
                              headers={"X-PagerDuty-Signature":
                                       sign_webhook("pd-webhook-secret", body)})
        assert answer.status_code == 400 and answer.json()["error"]


def test_out_of_order_resolved_before_acknowledged_ends_resolved(pd: PdRig) -> None:
    pd_id = mirrored(pd)
    early, late = "2026-12-01T03:00:00Z", "2026-12-01T03:05:00Z"
    for kind, when in (("incident.resolved", late), ("incident.acknowledged", early)):
        body, headers = pd.fake.webhook(kind, pd_id, "pd-webhook-secret")
        event = json.loads(body)
        event["event"]["occurred_at"] = when
        body = json.dumps(event).encode()
        headers["X-PagerDuty-Signature"] = sign_webhook("pd-webhook-secret", body)
        assert pd.post(body, headers).status_code == 202
    assert status(pd.world) == "resolved"
    with pd.world.db.read() as session:
        outcomes = session.exec(select(InboxRow.outcome).where(
            InboxRow.source == "pagerduty").order_by(col(InboxRow.id))).all()
    assert outcomes[0] == "INC-0001: open → resolved"
    assert outcomes[1] is not None and "skipped" in outcomes[1]


def test_timeline_entries_for_reassign_escalate_priority(pd: PdRig) -> None:
    pd_id = mirrored(pd)
    pd.send("incident.reassigned", pd_id, extra={"assignees": [{"summary": "Lee"}]})
    pd.send("incident.escalated", pd_id)
    pd.send("incident.priority_updated", pd_id, extra={"priority": {"summary": "P1"}})
    with pd.world.db.read() as session:
        texts = session.exec(select(TimelineEvent.text).where(
            TimelineEvent.source == "pagerduty").order_by(col(TimelineEvent.id))).all()
    assert texts == ["Pat Pager reassigned the PagerDuty incident to Lee",
                     "Pat Pager escalated the PagerDuty incident",
                     "Pat Pager changed the priority of the PagerDuty incident to P1"]


def test_unknown_incident_is_2xx_and_logged(pd: PdRig) -> None:
    answer = pd.send("incident.acknowledged", "PUNKNOWN")
    assert answer.status_code == 202
    with pd.world.db.read() as session:
        [log] = session.exec(select(IntegrationLog).where(
            IntegrationLog.direction == "in")).all()
    assert "unknown PagerDuty incident PUNKNOWN" in log.detail


def test_triggered_alert_declares_when_the_setting_is_on(pd: PdRig) -> None:
    alert = pd.fake.trigger("Disk full on db-1")
    pd.send("incident.triggered", alert.id)
    with pd.world.db.read() as session:
        assert session.exec(select(Incident)).all() == []
    workspaces.set_setting(pd.world.db, pd.world.actor(Role.ADMIN),
                           "pagerduty_declare_on_trigger", "on")
    assert WorkspaceSettings.from_json(
        workspaces.get_workspace(pd.world.db, "acme").settings).pagerduty_declare_on_trigger
    pd.send("incident.triggered", alert.id)
    pd.send("incident.triggered", alert.id)  # a second delivery (new event id) changes nothing
    with pd.world.db.read() as session:
        [incident] = session.exec(select(Incident)).all()
    assert (incident.title, incident.severity) == ("Disk full on db-1", "p1")
    assert incident.pagerduty_incident_id == alert.id
    pd.drain()
    assert pd.fake.calls_to("POST /incidents") == []  # mirrored from birth: no echo
    pd.send("incident.acknowledged", alert.id)
    assert status(pd.world) == "investigating"


def test_our_own_trigger_webhook_overtaking_the_create_answer_links_not_declares(
        pd: PdRig) -> None:
    workspaces.set_setting(pd.world.db, pd.world.actor(Role.ADMIN),
                           "pagerduty_declare_on_trigger", "on")
    pd.fake.fail_next("POST /incidents", 0)  # created on PagerDuty; our answer is lost
    incidents.declare(pd.world.db, pd.world.actor(), title="API errors", severity="p1")
    pd.drain()
    [created] = pd.fake.incidents.values()
    pd.send("incident.triggered", created.id)
    with pd.world.db.read() as session:
        [incident] = session.exec(select(Incident)).all()
    assert incident.pagerduty_incident_id == created.id
    incidents.transition(pd.world.db, pd.world.actor(), "INC-0001", Move.INVESTIGATE)
    pd.later(3600)
    pd.drain()
    assert len(pd.fake.incidents) == 1 and created.status == "acknowledged"


def test_stored_but_unworked_deliveries_are_worked_at_start(pd: PdRig) -> None:
    pd_id = mirrored(pd)
    body, _ = pd.fake.webhook("incident.acknowledged", pd_id, "pd-webhook-secret")
    row_id, _ = pagerduty_inbound.receive(pd.world.db, json.loads(body))
    assert row_id is not None and pagerduty_inbound.pending(pd.world.db) == [row_id]
    with pd.http:  # the lifespan starts the inbox, which works what was left
        assert pd.vigilo.pagerduty_inbox is not None
        assert pd.vigilo.pagerduty_inbox.wait_idle(10)
    assert status(pd.world) == "investigating"
    assert pagerduty_inbound.pending(pd.world.db) == []
