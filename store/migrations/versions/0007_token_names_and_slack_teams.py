"""live API token names unique per workspace; further Slack teams per workspace

Revision ID: 0007
Revises: 0001
Create Date: 2026-12-01 11:20:00

Before the index is made, older live tokens that share a name with a newer one are renamed
"<name> (#<id>)", so nothing is revoked or lost and `vigilo token list` shows each one.
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0007'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.text(
        "SELECT id, workspace_id, name FROM apitoken WHERE revoked_at IS NULL "
        "ORDER BY workspace_id, name, id DESC")).fetchall()
    seen: set[tuple[int, str]] = set()
    for token_id, workspace_id, name in rows:
        if (workspace_id, name) in seen:
            new = f"{name[:100 - len(f' (#{token_id})')]} (#{token_id})"
            bind.execute(sa.text("UPDATE apitoken SET name = :name WHERE id = :id"),
                         {"name": new, "id": token_id})
        seen.add((workspace_id, name))
    op.create_index('uq_api_token_live_name', 'apitoken', ['workspace_id', 'name'],
                    unique=True, sqlite_where=sa.text('revoked_at IS NULL'),
                    postgresql_where=sa.text('revoked_at IS NULL'))
    op.create_table('workspace_slack_team',
    sa.Column('team_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], ),
    sa.PrimaryKeyConstraint('team_id')
    )
    with op.batch_alter_table('workspace_slack_team', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_workspace_slack_team_workspace_id'),
                              ['workspace_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('workspace_slack_team', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_workspace_slack_team_workspace_id'))
    op.drop_table('workspace_slack_team')
    op.drop_index('uq_api_token_live_name', table_name='apitoken')
