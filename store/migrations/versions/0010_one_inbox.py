"""one inbox for every store-first delivery (Slack and PagerDuty)

`slack_inbox` and `inboundwebhook` were two copies of one idea: stored before the 2xx,
worked after. Their rows move into `inbox` (source 'slack' / the integration's name), so one
writer, one claim/lease/quarantine machinery and one `vigilo inbox` see them all. Slack rows
keep their ids (operators may have noted one); a PagerDuty row worked already is done, with
its outcome; one never worked is pending and is worked after the upgrade.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 13:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import store.types

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STR = sqlmodel.sql.sqltypes.AutoString
_TS = store.types.UTCDateTime


def _inbox_columns() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('source', _STR(length=16), nullable=False),
        sa.Column('delivery_key', _STR(length=200), nullable=False),
        sa.Column('team_id', _STR(length=32), nullable=False),
        sa.Column('kind', _STR(length=16), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('content_type', _STR(length=100), nullable=False),
        sa.Column('status', _STR(length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('received_at', _TS(timezone=True), nullable=False),
        sa.Column('next_attempt_at', _TS(timezone=True), nullable=False),
        sa.Column('locked_until', _TS(timezone=True), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('done_at', _TS(timezone=True), nullable=True),
        sa.Column('subject', _STR(length=64), nullable=True),
        sa.Column('event_type', _STR(length=64), nullable=True),
        sa.Column('occurred_at', _TS(timezone=True), nullable=True),
        sa.Column('outcome', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('delivery_key'),
    ]


_SLACK_COLUMNS = ("id, delivery_key, team_id, kind, body, content_type, status, attempts, "
                  "received_at, next_attempt_at, locked_until, last_error, done_at")


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _reset_sequence(table: str) -> None:
    """Rows copied with their ids: the next id PostgreSQL hands out must come after them."""
    if _postgres():
        op.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                   f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)")


def upgrade() -> None:
    op.create_table('inbox', *_inbox_columns())
    with op.batch_alter_table('inbox', schema=None) as batch_op:
        batch_op.create_index('ix_inbox_due', ['status', 'kind', 'next_attempt_at'],
                              unique=False)
        batch_op.create_index('ix_inbox_subject', ['source', 'subject'], unique=False)
    op.execute(f"INSERT INTO inbox ({_SLACK_COLUMNS}, source) "
               f"SELECT {_SLACK_COLUMNS}, 'slack' FROM slack_inbox")
    _reset_sequence('inbox')
    payload = "CAST(payload AS TEXT)" if _postgres() else "payload"
    op.execute(
        "INSERT INTO inbox (source, delivery_key, team_id, kind, body, content_type, status,"
        " attempts, received_at, next_attempt_at, done_at, subject, event_type, occurred_at,"
        " outcome) "
        f"SELECT integration, integration || ':' || delivery_id, '', 'webhook', {payload},"
        " 'application/json',"
        " CASE WHEN processed_at IS NULL THEN 'pending' ELSE 'done' END,"
        " CASE WHEN processed_at IS NULL THEN 0 ELSE 1 END,"
        " received_at, received_at, processed_at, external_id, event_type, occurred_at, outcome"
        " FROM inboundwebhook ORDER BY id")
    with op.batch_alter_table('slack_inbox', schema=None) as batch_op:
        batch_op.drop_index('ix_slack_inbox_due')
    op.drop_table('slack_inbox')
    with op.batch_alter_table('inboundwebhook', schema=None) as batch_op:
        batch_op.drop_index('ix_inboundwebhook_pending')
        batch_op.drop_index('ix_inboundwebhook_external')
    op.drop_table('inboundwebhook')


def downgrade() -> None:
    op.create_table('slack_inbox', *[c for c in _inbox_columns()
                                     if getattr(c, 'name', None) not in
                                     ('source', 'subject', 'event_type', 'occurred_at',
                                      'outcome')])
    with op.batch_alter_table('slack_inbox', schema=None) as batch_op:
        batch_op.create_index('ix_slack_inbox_due', ['status', 'kind', 'next_attempt_at'],
                              unique=False)
    op.create_table('inboundwebhook',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('integration', _STR(length=32), nullable=False),
        sa.Column('delivery_id', _STR(length=128), nullable=False),
        sa.Column('event_type', _STR(length=64), nullable=False),
        sa.Column('external_id', _STR(length=64), nullable=True),
        sa.Column('occurred_at', _TS(timezone=True), nullable=True),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column('received_at', _TS(timezone=True), nullable=False),
        sa.Column('processed_at', _TS(timezone=True), nullable=True),
        sa.Column('outcome', _STR(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('integration', 'delivery_id'))
    with op.batch_alter_table('inboundwebhook', schema=None) as batch_op:
        batch_op.create_index('ix_inboundwebhook_external', ['integration', 'external_id'],
                              unique=False)
        batch_op.create_index('ix_inboundwebhook_pending', ['processed_at'], unique=False)
    op.execute(f"INSERT INTO slack_inbox ({_SLACK_COLUMNS}) "
               f"SELECT {_SLACK_COLUMNS} FROM inbox WHERE source = 'slack'")
    _reset_sequence('slack_inbox')
    payload = "CAST(body AS JSON)" if _postgres() else "body"
    prefix = "LENGTH(source) + 2"
    op.execute(
        "INSERT INTO inboundwebhook (integration, delivery_id, event_type, external_id,"
        " occurred_at, payload, received_at, processed_at, outcome) "
        f"SELECT source, SUBSTR(delivery_key, {prefix}), COALESCE(event_type, ''), subject,"
        f" occurred_at, {payload}, received_at, done_at, outcome"
        " FROM inbox WHERE source <> 'slack' ORDER BY id")
    with op.batch_alter_table('inbox', schema=None) as batch_op:
        batch_op.drop_index('ix_inbox_subject')
        batch_op.drop_index('ix_inbox_due')
    op.drop_table('inbox')
