"""Migration 0002 moves today's integration state into integration_link, on both databases."""

import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command

from store import migrate
from store.db import make_engine

NOW = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)


def old_shape_rows(engine: sa.Engine) -> None:
    """What a 0001 database holds after a few incidents, written as 0001 wrote it."""
    meta = sa.MetaData()
    meta.reflect(engine)
    t = meta.tables
    with engine.begin() as conn:
        conn.execute(t["workspace"].insert(), [
            {"id": 1, "slug": "acme", "name": "Acme", "settings": {},
             "last_incident_number": 3, "created_at": NOW}])
        base = {"workspace_id": 1, "description": "", "severity": "p2", "status": "open",
                "detected_at": NOW, "created_at": NOW, "updated_at": NOW, "services": [],
                "auto_publish_to_status": True, "slack_channel_id": None,
                "slack_channel_name": None, "pagerduty_incident_id": None,
                "status_page_incident_id": None}
        conn.execute(t["incident"].insert(), [
            {**base, "id": 1, "number": 1, "title": "Checkout down",
             "slack_channel_id": "C0001", "slack_channel_name": "inc-0001-checkout-down",
             "pagerduty_incident_id": "PD123", "status_page_incident_id": "SP9"},
            {**base, "id": 2, "number": 2, "title": "No channel yet"},
            {**base, "id": 3, "number": 3, "title": "Channel, no memo yet",
             "slack_channel_id": "C0003", "slack_channel_name": "inc-0003-x"}])
        conn.execute(t["timelineevent"].insert(), [
            {"id": 10, "incident_id": 1, "at": NOW, "source": "vigilo",
             "label": "channel_created", "text": "Slack channel #inc-0001-checkout-down created",
             "dedupe_key": "slack:channel_created", "editable": False,
             "payload": {"channel_id": "C0001", "channel_name": "inc-0001-checkout-down",
                         "topic": "P2 · Open · Checkout down", "sitrep_ts": "1700000000.000100"}},
            {"id": 11, "incident_id": 1, "at": NOW, "source": "slack", "label": "note",
             "text": "the memo lives elsewhere", "dedupe_key": None, "editable": True,
             "payload": {"sitrep_ts": "not a memo: another entry"}}])


def test_upgrade_moves_channels_memos_and_external_ids(db_url: str) -> None:
    migrate.upgrade(db_url, "0007")
    engine = make_engine(db_url)
    try:
        old_shape_rows(engine)
        migrate.upgrade(db_url)
        with engine.connect() as conn:
            links = conn.execute(sa.text(
                "SELECT integration, external_id, kind, workspace_id, incident_id, state "
                "FROM integration_link ORDER BY integration, external_id")).all()
            payloads = dict(conn.execute(sa.text(
                "SELECT id, payload FROM timelineevent")).all())
            incident = conn.execute(sa.text(
                "SELECT slack_channel_id, pagerduty_incident_id FROM incident "
                "WHERE id = 1")).one()
        state = {(r[0], r[1]): r for r in links}

        def as_dict(value: object) -> object:
            return json.loads(value) if isinstance(value, str) else value

        assert sorted(state) == [("pagerduty", "PD123"), ("slack", "C0001"), ("slack", "C0003"),
                                 ("statuspage", "SP9")]
        channel = state[("slack", "C0001")]
        assert channel[2:5] == ("channel", 1, 1)
        assert as_dict(channel[5]) == {"name": "inc-0001-checkout-down",
                                       "topic": "P2 · Open · Checkout down",
                                       "sitrep_ts": "1700000000.000100"}
        assert as_dict(state[("slack", "C0003")][5]) == {"name": "inc-0003-x"}
        assert state[("pagerduty", "PD123")][2:5] == ("incident", 1, 1)
        # The memo left the timeline (which the JSON API serves); other entries are untouched.
        assert as_dict(payloads[10]) == {"channel_id": "C0001",
                                         "channel_name": "inc-0001-checkout-down"}
        assert as_dict(payloads[11]) == {"sitrep_ts": "not a memo: another entry"}
        assert tuple(incident) == ("C0001", "PD123")  # the pages' copy stays
        migrate.check(db_url)

    finally:
        engine.dispose()


def test_downgrade_puts_the_memo_back(sqlite_url: str) -> None:
    migrate.upgrade(sqlite_url, "0007")
    engine = make_engine(sqlite_url)
    try:
        old_shape_rows(engine)
        migrate.upgrade(sqlite_url)
        command.downgrade(migrate.alembic_config(sqlite_url), "0007")
        with engine.connect() as conn:
            payload = conn.execute(sa.text(
                "SELECT payload FROM timelineevent WHERE id = 10")).scalar_one()
            tables = sa.inspect(conn).get_table_names()
        assert "integration_link" not in tables
        assert json.loads(payload)["sitrep_ts"] == "1700000000.000100"
    finally:
        engine.dispose()
