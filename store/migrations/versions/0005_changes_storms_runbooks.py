"""Changes keyed CHG-NNNN with their details; incident storms and members; runbooks;
reminder snoozes.

Revision ID: 0005
Revises: 0006
Create Date: 2026-12-01 11:03:38.027097
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import store.types

revision: str = '0005'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('runbook',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('link', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('excerpt', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('terms', sa.JSON(), nullable=False),
    sa.Column('created_at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('runbook', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_runbook_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('incidentstorm',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('started_at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_member_at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('acknowledged_by_id', sa.Integer(), nullable=True),
    sa.Column('acknowledged_at', store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolved_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.ForeignKeyConstraint(['acknowledged_by_id'], ['member.id'], ),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('incidentstorm', schema=None) as batch_op:
        batch_op.create_index('ix_incidentstorm_workspace_status', ['workspace_id', 'status'], unique=False)

    op.create_table('incidentstormmember',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('storm_id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('joined_at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], ),
    sa.ForeignKeyConstraint(['storm_id'], ['incidentstorm.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('incident_id')
    )
    with op.batch_alter_table('incidentstormmember', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incidentstormmember_storm_id'), ['storm_id'], unique=False)

    op.create_table('remindersnooze',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('until', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('incident_id')
    )
    # Existing changes get numbers in the order they were recorded, and start when recorded.
    with op.batch_alter_table('changerequest', schema=None) as batch_op:
        batch_op.add_column(sa.Column('number', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('description', sqlmodel.sql.sqltypes.AutoString(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('author', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
        batch_op.add_column(sa.Column('link', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True))
        batch_op.add_column(sa.Column('started_at', store.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('finished_at', store.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('create_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
    op.execute("UPDATE changerequest SET started_at = created_at, number = id")
    with op.batch_alter_table('changerequest', schema=None) as batch_op:
        batch_op.alter_column('number', server_default=None)
        batch_op.alter_column('description', server_default=None)
        batch_op.alter_column('started_at', existing_type=store.types.UTCDateTime(timezone=True), nullable=False)
        batch_op.create_index('ix_changerequest_workspace_started', ['workspace_id', 'started_at'], unique=False)
        batch_op.create_unique_constraint('uq_changerequest_workspace_key', ['workspace_id', 'create_key'])
        batch_op.create_unique_constraint('uq_changerequest_workspace_number', ['workspace_id', 'number'])

    op.create_table('changeasset',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('change_id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('asset', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('started_at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['change_id'], ['changerequest.id'], ),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('changeasset', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_changeasset_change_id'), ['change_id'], unique=False)
        batch_op.create_index('ix_changeasset_lookup', ['workspace_id', 'asset', 'started_at'], unique=False)

    op.create_table('runbookterm',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('runbook_id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('term', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('tag', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['runbook_id'], ['runbook.id'], ),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('runbookterm', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_runbookterm_runbook_id'), ['runbook_id'], unique=False)
        batch_op.create_index('ix_runbookterm_lookup', ['workspace_id', 'term'], unique=False)

    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.create_index('ix_incident_workspace_detected', ['workspace_id', 'detected_at'], unique=False)
        batch_op.create_index('ix_incident_status_severity', ['status', 'severity'], unique=False)

    with op.batch_alter_table('workspace', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_change_number', sa.Integer(), nullable=False, server_default='0'))
    op.execute("UPDATE workspace SET last_change_number = COALESCE((SELECT MAX(c.number) FROM "
               "changerequest c WHERE c.workspace_id = workspace.id), 0)")
    with op.batch_alter_table('workspace', schema=None) as batch_op:
        batch_op.alter_column('last_change_number', server_default=None)



def downgrade() -> None:
    op.drop_table('runbookterm')
    op.drop_table('changeasset')
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.drop_index('ix_incident_workspace_detected')
        batch_op.drop_index('ix_incident_status_severity')

    with op.batch_alter_table('workspace', schema=None) as batch_op:
        batch_op.drop_column('last_change_number')

    with op.batch_alter_table('changerequest', schema=None) as batch_op:
        batch_op.drop_constraint('uq_changerequest_workspace_number', type_='unique')
        batch_op.drop_constraint('uq_changerequest_workspace_key', type_='unique')
        batch_op.drop_index('ix_changerequest_workspace_started')
        batch_op.drop_column('create_key')
        batch_op.drop_column('finished_at')
        batch_op.drop_column('started_at')
        batch_op.drop_column('link')
        batch_op.drop_column('author')
        batch_op.drop_column('description')
        batch_op.drop_column('number')

    op.drop_table('remindersnooze')
    with op.batch_alter_table('incidentstormmember', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incidentstormmember_storm_id'))

    op.drop_table('incidentstormmember')
    with op.batch_alter_table('incidentstorm', schema=None) as batch_op:
        batch_op.drop_index('ix_incidentstorm_workspace_status')

    op.drop_table('incidentstorm')
    with op.batch_alter_table('runbook', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_runbook_workspace_id'))

    op.drop_table('runbook')
