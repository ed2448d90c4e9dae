"""Inbox lag, per source: how long the oldest inbound delivery that is not processed yet has
waited. The one read of both inboxes (Slack's `slack_inbox`, the webhooks' `inboundwebhook`),
so merging those tables changes this module only. A source with nothing waiting reads 0,
so an alert on the gauge never loses its series when the inbox drains."""

from datetime import UTC, datetime

from sqlalchemy import func
from sqlalchemy import select as core_select
from sqlalchemy.engine import Connection
from sqlmodel import col

from store.db import Database
from store.inbound_models import InboundWebhook
from store.inbox_models import PENDING, SlackInbox

SOURCES = ("slack", "pagerduty")  # always reported; any other webhook source as it appears


def oldest_waiting(db: Database, now: datetime) -> dict[str, float]:
    with db.read() as session:
        return read(session.connection(), now)


def read(conn: Connection, now: datetime) -> dict[str, float]:
    """Seconds by source, inside a caller's read (the /metrics snapshot)."""
    lag = dict.fromkeys(SOURCES, 0.0)
    slack = conn.execute(core_select(func.min(col(SlackInbox.received_at)))
                         .where(col(SlackInbox.status) == PENDING)).scalar()
    if slack is not None:
        lag["slack"] = _age(now, slack)
    for source, first in conn.execute(
            core_select(col(InboundWebhook.integration), func.min(col(InboundWebhook.received_at)))
            .where(col(InboundWebhook.processed_at).is_(None))
            .group_by(col(InboundWebhook.integration))).all():
        if first is not None:
            lag[str(source)] = _age(now, first)
    return lag


def _age(now: datetime, value: datetime | str) -> float:
    # MIN() over a column comes back untyped on SQLite: naive text, in UTC.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return max(0.0, (now - value).total_seconds())
