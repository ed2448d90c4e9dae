"""Migration 0010 moves both store-first tables (slack_inbox, inboundwebhook) into one
`inbox`, on both databases, and back."""

import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command

from store import migrate
from store.db import make_engine

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
LATER = datetime(2026, 12, 1, 9, 5, tzinfo=UTC)
PD_EVENT = {"event": {"id": "EVT1", "event_type": "incident.acknowledged",
                      "data": {"id": "PD1"}}}


def old_rows(engine: sa.Engine) -> None:
    meta = sa.MetaData()
    meta.reflect(engine)
    t = meta.tables
    slack = {"team_id": "T1", "content_type": "application/json", "attempts": 0,
             "received_at": NOW, "next_attempt_at": NOW, "locked_until": None,
             "last_error": None, "done_at": None}
    pd = {"integration": "pagerduty", "event_type": "incident.acknowledged",
          "external_id": "PD1", "occurred_at": NOW, "payload": PD_EVENT, "received_at": NOW}
    with engine.begin() as conn:
        conn.execute(t["slack_inbox"].insert(), [
            {**slack, "id": 7, "delivery_key": "event:T1:Ev1", "kind": "message",
             "body": '{"event": {}}', "status": "quarantined", "attempts": 5,
             "last_error": "refused"},
            {**slack, "id": 9, "delivery_key": "request:abc", "kind": "dispatch",
             "body": "command=%2Fvigilo", "status": "done", "done_at": LATER,
             "content_type": "application/x-www-form-urlencoded"}])
        conn.execute(t["inboundwebhook"].insert(), [
            {**pd, "id": 1, "delivery_id": "EVT1", "processed_at": LATER,
             "outcome": "INC-0001: open → investigating"},
            {**pd, "id": 2, "delivery_id": "EVT2", "processed_at": None, "outcome": None,
             "event_type": "incident.resolved"}])


def test_upgrade_moves_both_tables_into_the_inbox(db_url: str) -> None:
    migrate.upgrade(db_url, "0003")
    engine = make_engine(db_url)
    try:
        old_rows(engine)
        migrate.upgrade(db_url)
        with engine.connect() as conn:
            rows = conn.execute(sa.text(
                "SELECT id, source, delivery_key, kind, status, attempts, subject, event_type,"
                " outcome, body, last_error FROM inbox ORDER BY id")).all()
            tables = sa.inspect(conn).get_table_names()
        assert "slack_inbox" not in tables and "inboundwebhook" not in tables
        by_key = {r.delivery_key: r for r in rows}
        assert (by_key["event:T1:Ev1"].id, by_key["event:T1:Ev1"].status,
                by_key["event:T1:Ev1"].last_error) == (7, "quarantined", "refused")
        assert by_key["request:abc"].id == 9 and by_key["request:abc"].source == "slack"
        worked, waiting = by_key["pagerduty:EVT1"], by_key["pagerduty:EVT2"]
        assert worked.id > 9 and waiting.id > worked.id  # new ids, after the Slack ones
        assert (worked.source, worked.kind, worked.status, worked.subject,
                worked.outcome) == ("pagerduty", "webhook", "done", "PD1",
                                    "INC-0001: open → investigating")
        assert (waiting.status, waiting.attempts, waiting.event_type) == (
            "pending", 0, "incident.resolved")
        assert json.loads(worked.body) == PD_EVENT
        migrate.check(db_url)
        with engine.begin() as conn:  # the next id PostgreSQL hands out is free
            conn.execute(sa.text(
                "INSERT INTO inbox (source, delivery_key, team_id, kind, body, content_type,"
                " status, attempts, received_at, next_attempt_at) VALUES ('slack', 'new',"
                " '', 'message', '{}', '', 'pending', 0, :now, :now)"), {"now": NOW})
    finally:
        engine.dispose()


def test_downgrade_puts_both_tables_back(db_url: str) -> None:
    migrate.upgrade(db_url, "0003")
    engine = make_engine(db_url)
    try:
        old_rows(engine)
        migrate.upgrade(db_url)
        command.downgrade(migrate.alembic_config(db_url), "0003")
        with engine.connect() as conn:
            slack = conn.execute(sa.text(
                "SELECT id, status FROM slack_inbox ORDER BY id")).all()
            pd = conn.execute(sa.text(
                "SELECT delivery_id, processed_at IS NOT NULL, outcome, payload"
                " FROM inboundwebhook ORDER BY delivery_id")).all()
            tables = sa.inspect(conn).get_table_names()
        assert "inbox" not in tables
        assert [tuple(r) for r in slack] == [(7, "quarantined"), (9, "done")]
        assert [(r[0], bool(r[1]), r[2]) for r in pd] == [
            ("EVT1", True, "INC-0001: open → investigating"), ("EVT2", False, None)]
        payload = pd[0][3]
        assert (json.loads(payload) if isinstance(payload, str) else payload) == PD_EVENT
    finally:
        engine.dispose()
