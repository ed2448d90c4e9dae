"""SIGKILL while channel messages pour in: after the restart and Slack's redeliveries, every
acked message is on the timeline exactly once (PostgreSQL, a real `vigilo serve`)."""

from collections.abc import Iterator

import pytest
from sqlalchemy import update

from bench.crash_rig import TOKEN, crash_and_recover
from core.permissions import Role
from services import incidents, workspaces
from services.actor import Actor
from store import migrate
from store.db import Database
from store.models import Incident
from vigilo.sandbox.slack_api import FakeSlack
from vigilo.sandbox.slack_model import TEAM_ID

CHANNELS = ["CCRASH0", "CCRASH1"]
USERS = [f"UCRASH{i}" for i in range(5)]


@pytest.fixture
def seeded(pg_url: str) -> Iterator[Database]:
    migrate.upgrade(pg_url)
    db = Database.from_url(pg_url)
    ws = workspaces.create_workspace(db, "crash", "Crash", slack_team_id=TEAM_ID)
    members = [workspaces.add_member(db, ws.id or 0, u, f"Crash {u}", Role.ENGINEER)
               for u in USERS]
    workspaces.set_setting(db, Actor.operator(ws.id or 0), "auto_create_channel", "off")
    actor = Actor(ws.id or 0, members[0].id, members[0].display_name, Role.ENGINEER, "slack")
    for n, channel in enumerate(CHANNELS):
        incident = incidents.declare(db, actor, title=f"Crashing {n}")
        with db.transaction() as session:
            session.execute(update(Incident).where(
                Incident.id == incident.id).values(slack_channel_id=channel))  # type: ignore
    yield db
    db.dispose()


def test_nothing_acked_is_lost_or_doubled_across_a_sigkill(seeded: Database,
                                                           pg_url: str) -> None:
    with FakeSlack(TOKEN) as fake:
        result = crash_and_recover(seeded, pg_url, fake.base_url, CHANNELS, USERS,
                                   count=400, kill_after=150, connections=10)
    assert result.acked_before_kill >= 150
    assert result.redelivered > 0  # the kill did land mid-run
    assert (result.lost, result.duplicated) == (0, 0), result
