"""pagerduty links: PagerDuty incident ids stored only on Incident.pagerduty_incident_id (by
the code that ran between 0002 and this revision) get their integration_link, which the
inbound webhook now looks them up by

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 13:40:00
"""
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import store.types

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

incident = sa.table("incident", sa.column("id", sa.Integer), sa.column("workspace_id", sa.Integer),
                    sa.column("pagerduty_incident_id", sa.String))
link = sa.table("integration_link", sa.column("integration", sa.String),
                sa.column("external_id", sa.String), sa.column("kind", sa.String),
                sa.column("workspace_id", sa.Integer), sa.column("incident_id", sa.Integer),
                sa.column("state", sa.JSON),
                sa.column("created_at", store.types.UTCDateTime(timezone=True)),
                sa.column("updated_at", store.types.UTCDateTime(timezone=True)))


def upgrade() -> None:
    bind = op.get_bind()
    now = datetime.now(UTC)
    linked = {row.external_id for row in bind.execute(
        sa.select(link.c.external_id).where(link.c.integration == "pagerduty"))}
    rows = []
    for row in bind.execute(sa.select(incident).where(
            incident.c.pagerduty_incident_id.is_not(None)).order_by(incident.c.id)):
        if row.pagerduty_incident_id in linked:
            continue  # 0002 moved it, or two incidents named one id: the first keeps it
        linked.add(row.pagerduty_incident_id)
        rows.append({"integration": "pagerduty", "external_id": row.pagerduty_incident_id,
                     "kind": "incident", "workspace_id": row.workspace_id,
                     "incident_id": row.id, "state": {}, "created_at": now,
                     "updated_at": now})
    if rows:
        op.bulk_insert(link, rows)


def downgrade() -> None:
    # The links stay: the code before this revision ignores PagerDuty links it did not
    # write, and 0002's downgrade drops the table with everything in it.
    pass
