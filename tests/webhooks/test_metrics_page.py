"""`GET /metrics`: Prometheus text from the database, parsed back by prometheus_client."""

from datetime import timedelta

from prometheus_client.parser import text_string_to_metric_families
from sqlmodel import col, select

from core.fsm import Move
from services import incidents
from store.inbox_models import DONE, WEBHOOK, InboxRow
from store.models import IntegrationLog, Outbox
from store.types import utcnow
from tests.web_support import Web, web_fixture  # noqa: F401


def samples(web: Web) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = web.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.text)
            for s in family.samples}


def test_incidents_response_times_outbox_and_latency(web: Web) -> None:
    actor = web.world.actor()
    incident = incidents.declare(web.db, actor, title="Checkout down", severity="p1",
                                 detected_at=utcnow() - timedelta(minutes=10))
    incidents.transition(web.db, actor, incident.number, Move.INVESTIGATE)
    now = utcnow()
    with web.db.transaction() as session:
        row = session.exec(select(Outbox).order_by(col(Outbox.id))).first()
        assert row is not None
        row.status, row.delivered_at = "done", row.created_at + timedelta(seconds=0.4)
        session.add(IntegrationLog(integration="slack", kind="slack.announce", ok=False,
                                   detail="attempt 1: pending — Slack rate-limited "
                                          "chat.postMessage", at=now))
    got = samples(web)
    key = lambda name, **labels: (name, tuple(sorted(labels.items())))  # noqa: E731
    assert got[key("vigilo_incidents", status="investigating", severity="p1")] == 1
    assert got[key("vigilo_incidents", status="resolved", severity="p4")] == 0
    ack = got[key("vigilo_time_to_acknowledge_seconds", period="7d", severity="p1",
                  quantile="0.5")]
    assert 590 <= ack <= 700
    assert got[key("vigilo_outbox_effects", integration="slack", status="pending")] >= 1
    assert got[key("vigilo_delivery_latency_seconds_bucket", integration="slack",
                   le="0.5")] == 1
    assert got[key("vigilo_delivery_latency_seconds_bucket", integration="slack",
                   le="0.25")] == 0
    assert got[key("vigilo_rate_limited_recent", integration="slack")] == 1
    assert got[key("vigilo_outbox_oldest_pending_seconds", integration="slack")] >= 0


def test_inbox_lag_is_the_age_of_the_oldest_unprocessed_delivery_per_source(web: Web) -> None:
    key = lambda name, **labels: (name, tuple(sorted(labels.items())))  # noqa: E731
    idle = samples(web)
    assert idle[key("vigilo_inbox_lag_seconds", source="slack")] == 0
    assert idle[key("vigilo_inbox_lag_seconds", source="pagerduty")] == 0
    now = utcnow()
    with web.db.transaction() as session:
        session.add(InboxRow(delivery_key="a", kind="dispatch", body="{}",
                             received_at=now - timedelta(minutes=5)))
        session.add(InboxRow(delivery_key="b", kind="dispatch", body="{}", status=DONE,
                             received_at=now - timedelta(hours=5)))  # done: no lag
        session.add(InboxRow(source="pagerduty", delivery_key="pagerduty:d1", kind=WEBHOOK,
                             body="{}", event_type="incident.triggered",
                             received_at=now - timedelta(seconds=90)))
        session.add(InboxRow(source="pagerduty", delivery_key="pagerduty:d2", kind=WEBHOOK,
                             body="{}", event_type="incident.triggered", status=DONE,
                             done_at=now, received_at=now - timedelta(hours=2)))
    got = samples(web)
    assert 300 <= got[key("vigilo_inbox_lag_seconds", source="slack")] < 400
    assert 90 <= got[key("vigilo_inbox_lag_seconds", source="pagerduty")] < 190
