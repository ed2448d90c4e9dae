"""The outbox sweep: leases released, far-off schedules pulled in, old settled effects,
log entries and taken inbox rows pruned (never dead effects or quarantined deliveries, never
an open incident's), twice changing nothing more; on SQLite and PostgreSQL."""

from datetime import timedelta

from sqlalchemy import update
from sqlmodel import col, select

from core.fsm import Move
from services import incidents
from services.outbox_sweep import MAX_WAIT, SweepResult, sweep
from store.inbox_models import DISPATCH, DONE, MESSAGE, PENDING, QUARANTINED, InboxRow
from store.models import IntegrationLog, Outbox
from store.types import utcnow
from tests.conftest import World


def outbox(world: World) -> dict[int, Outbox]:
    with world.db.read() as session:
        return {o.id or 0: o for o in session.exec(select(Outbox))}


def close(world: World, number: int) -> None:
    incidents.transition(world.db, world.actor(), number, Move.INVESTIGATE)
    incidents.transition(world.db, world.actor(), number, Move.RESOLVE, root_cause="x")


def test_the_sweep_releases_leases_pulls_in_far_schedules_and_prunes_old_rows(
        world: World) -> None:
    actor = world.actor()
    closed = incidents.declare(world.db, actor, title="Old and closed", severity="p1")
    close(world, closed.number)
    live = incidents.declare(world.db, actor, title="Still open", severity="p1")
    now = utcnow() + timedelta(days=45)
    rows = outbox(world)
    ids = sorted(rows)
    closed_ids = [i for i in ids if rows[i].incident_id == closed.id]
    live_ids = [i for i in ids if rows[i].incident_id == live.id]
    assert len(closed_ids) >= 3 and len(live_ids) >= 2
    old, dead, leased, far = closed_ids[0], closed_ids[1], live_ids[0], live_ids[1]
    with world.db.transaction() as session:
        session.execute(update(Outbox).where(col(Outbox.id).in_(closed_ids + live_ids[2:]))
                        .values(status="done", delivered_at=utcnow()))
        session.execute(update(Outbox).where(col(Outbox.id) == dead).values(status="dead"))
        session.execute(update(Outbox).where(col(Outbox.id) == leased).values(
            locked_until=now - timedelta(minutes=5)))
        session.execute(update(Outbox).where(col(Outbox.id) == far).values(
            next_attempt_at=now + MAX_WAIT + timedelta(hours=1), backing_off=True))
        session.add(IntegrationLog(integration="slack", kind="slack.announce", ok=True,
                                   outbox_id=old, at=utcnow()))
        session.add(IntegrationLog(integration="slack", kind="slack.announce", ok=True,
                                   at=now - timedelta(days=1)))  # recent: kept
    first = sweep(world.db, now, retention=timedelta(days=30))
    after = outbox(world)
    assert after[leased].locked_until is None
    assert after[far].next_attempt_at <= now + timedelta(seconds=1)
    assert not after[far].backing_off
    assert dead in after  # dead effects wait for a person, whatever their age
    assert old not in after  # its old log entry went first, then the row
    assert all(i not in after for i in closed_ids if i != dead)
    assert all(i in after for i in live_ids)  # an open incident keeps its keys
    assert first.log_pruned == 1 and first.outbox_pruned == len(closed_ids) - 1
    assert first.leases_released == 1 and first.made_due == 1
    assert sweep(world.db, now, retention=timedelta(days=30)) == SweepResult(0, 0, 0, 0)
    with world.db.read() as session:
        assert len(session.exec(select(IntegrationLog)).all()) == 1


def test_nothing_is_pruned_inside_the_retention(world: World) -> None:
    actor = world.actor()
    incident = incidents.declare(world.db, actor, title="Closed", severity="p3")
    close(world, incident.number)
    with world.db.transaction() as session:
        session.execute(update(Outbox).values(status="done", delivered_at=utcnow()))
    before = len(outbox(world))
    result = sweep(world.db, utcnow() + timedelta(days=29), retention=timedelta(days=30))
    assert result.outbox_pruned == 0 and len(outbox(world)) == before


def test_taken_inbox_rows_go_after_the_retention_and_quarantined_ones_stay(
        world: World) -> None:
    now = utcnow() + timedelta(days=45)
    long_ago, lately = now - timedelta(days=31), now - timedelta(days=29)
    rows = {"old done": (DONE, long_ago), "recent done": (DONE, lately),
            "old quarantined": (QUARANTINED, None), "waiting": (PENDING, None)}
    with world.db.transaction() as session:
        for key, (status, done_at) in rows.items():
            session.add(InboxRow(delivery_key=f"slack:{key}", kind=MESSAGE if done_at
                                 else DISPATCH, body="{}", status=status, done_at=done_at,
                                 received_at=long_ago))
    result = sweep(world.db, now, retention=timedelta(days=30))
    with world.db.read() as session:
        left = {r.delivery_key for r in session.exec(select(InboxRow))}
    assert result.inbox_pruned == 1
    assert left == {"slack:recent done", "slack:old quarantined", "slack:waiting"}
    assert sweep(world.db, now, retention=timedelta(days=30)).inbox_pruned == 0
