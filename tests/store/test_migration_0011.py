"""Migration 0011 links PagerDuty ids that only the Incident column held, on both databases."""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command

from store import migrate
from store.db import make_engine

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_upgrade_links_column_only_pagerduty_ids_once(db_url: str) -> None:
    migrate.upgrade(db_url, "0010")
    engine = make_engine(db_url)
    try:
        meta = sa.MetaData()
        meta.reflect(engine)
        t = meta.tables
        base = {"workspace_id": 1, "description": "", "severity": "p1", "status": "open",
                "detected_at": NOW, "created_at": NOW, "updated_at": NOW, "services": [],
                "auto_publish_to_status": True, "pagerduty_incident_id": None}
        with engine.begin() as conn:
            conn.execute(t["workspace"].insert(), [
                {"id": 1, "slug": "acme", "name": "Acme", "settings": {},
                 "last_incident_number": 3, "last_change_number": 0, "created_at": NOW}])
            conn.execute(t["incident"].insert(), [
                {**base, "id": 1, "number": 1, "title": "linked by 0002",
                 "pagerduty_incident_id": "POLD"},
                {**base, "id": 2, "number": 2, "title": "column only",
                 "pagerduty_incident_id": "PNEW"},
                {**base, "id": 3, "number": 3, "title": "never paged"}])
            conn.execute(t["integration_link"].insert(), [
                {"integration": "pagerduty", "external_id": "POLD", "kind": "incident",
                 "workspace_id": 1, "incident_id": 1, "state": {"kept": True},
                 "created_at": NOW, "updated_at": NOW}])
        migrate.upgrade(db_url)
        with engine.connect() as conn:
            links = conn.execute(sa.text(
                "SELECT external_id, kind, workspace_id, incident_id FROM integration_link "
                "WHERE integration = 'pagerduty' ORDER BY external_id")).all()
        assert [tuple(r) for r in links] == [("PNEW", "incident", 1, 2),
                                            ("POLD", "incident", 1, 1)]
        command.downgrade(migrate.alembic_config(db_url), "0010")  # keeps the links
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM integration_link")).scalar() == 2
    finally:
        engine.dispose()
