"""integrations: outbox rows that only back off; integration_link, the home of integration
state, filled from today's Incident columns and the Slack memo kept in a timeline payload

Revision ID: 0002
Revises: 0007
Create Date: 2026-12-01 11:20:00
"""
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

import store.types

revision: str = '0002'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CREATED_DEDUPE = "slack:channel_created"  # integrations/slack/store.py, at 0001
TIMELINE_KEYS = ("channel_id", "channel_name")  # what the timeline entry keeps

incident = sa.table("incident", sa.column("id", sa.Integer), sa.column("workspace_id", sa.Integer),
                    sa.column("slack_channel_id", sa.String), sa.column("slack_channel_name", sa.String),
                    sa.column("pagerduty_incident_id", sa.String),
                    sa.column("status_page_incident_id", sa.String))
timeline = sa.table("timelineevent", sa.column("id", sa.Integer),
                    sa.column("incident_id", sa.Integer), sa.column("dedupe_key", sa.String),
                    sa.column("payload", sa.JSON))
link = sa.table("integration_link", sa.column("integration", sa.String),
                sa.column("external_id", sa.String), sa.column("kind", sa.String),
                sa.column("workspace_id", sa.Integer), sa.column("incident_id", sa.Integer),
                sa.column("state", sa.JSON),
                sa.column("created_at", store.types.UTCDateTime(timezone=True)),
                sa.column("updated_at", store.types.UTCDateTime(timezone=True)))


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('backing_off', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    op.create_table('integration_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('integration', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('external_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.JSON(), nullable=False),
    sa.Column('created_at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], ),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('integration', 'external_id')
    )
    with op.batch_alter_table('integration_link', schema=None) as batch_op:
        batch_op.create_index('ix_integration_link_incident',
                              ['incident_id', 'integration', 'kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_integration_link_workspace_id'), ['workspace_id'],
                              unique=False)
    move_state_in()


def move_state_in() -> None:
    """Each incident's Slack channel (with the memo from its channel_created timeline entry,
    which then keeps only the channel's id and name), PagerDuty incident and status-page
    incident become links; the Incident columns stay as the pages' copy."""
    bind = op.get_bind()
    now = datetime.now(UTC)
    memos = {row.incident_id: (row.id, dict(row.payload or {})) for row in bind.execute(
        sa.select(timeline.c.id, timeline.c.incident_id, timeline.c.payload)
        .where(timeline.c.dedupe_key == CREATED_DEDUPE))}
    rows, seen = [], set()
    for row in bind.execute(sa.select(incident).order_by(incident.c.id)):
        if row.slack_channel_id and ("slack", row.slack_channel_id) not in seen:
            seen.add(("slack", row.slack_channel_id))
            memo = memos.get(row.id, (None, {}))[1]
            state = {k: v for k, v in memo.items() if k not in TIMELINE_KEYS}
            rows.append({"integration": "slack", "external_id": row.slack_channel_id,
                         "kind": "channel", "workspace_id": row.workspace_id,
                         "incident_id": row.id,
                         "state": {"name": row.slack_channel_name, **state}})
        for name, external in (("pagerduty", row.pagerduty_incident_id),
                               ("statuspage", row.status_page_incident_id)):
            if external and (name, external) not in seen:
                seen.add((name, external))
                rows.append({"integration": name, "external_id": external, "kind": "incident",
                             "workspace_id": row.workspace_id, "incident_id": row.id,
                             "state": {}})
    if rows:
        op.bulk_insert(link, [{**r, "created_at": now, "updated_at": now} for r in rows])
    for event_id, payload in memos.values():
        kept = {k: v for k, v in payload.items() if k in TIMELINE_KEYS}
        if kept != payload:
            bind.execute(timeline.update().where(timeline.c.id == event_id)
                         .values(payload=kept))


def downgrade() -> None:
    bind = op.get_bind()
    # The memo goes back where 0001 kept it, so a downgraded Vigilo finds it.
    for row in bind.execute(sa.select(link.c.incident_id, link.c.state)
                            .where(link.c.integration == "slack", link.c.kind == "channel")):
        memo = {k: v for k, v in dict(row.state or {}).items() if k != "name"}
        if not memo:
            continue
        for event in bind.execute(sa.select(timeline.c.id, timeline.c.payload).where(
                timeline.c.incident_id == row.incident_id,
                timeline.c.dedupe_key == CREATED_DEDUPE)):
            bind.execute(timeline.update().where(timeline.c.id == event.id)
                         .values(payload={**dict(event.payload or {}), **memo}))
    with op.batch_alter_table('integration_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_integration_link_workspace_id'))
        batch_op.drop_index('ix_integration_link_incident')
    op.drop_table('integration_link')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('backing_off')
