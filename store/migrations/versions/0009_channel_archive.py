"""channel archive: incident channels archived a while after resolve

Revision ID: 0009
Revises: 0003
Create Date: 2026-12-01 13:50:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import store.types

revision: str = '0009'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('channel_archive',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('resolved_at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('due_at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('updated_at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], ),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('incident_id')
    )
    with op.batch_alter_table('channel_archive', schema=None) as batch_op:
        batch_op.create_index('ix_channel_archive_due', ['status', 'due_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('channel_archive', schema=None) as batch_op:
        batch_op.drop_index('ix_channel_archive_due')
    op.drop_table('channel_archive')
