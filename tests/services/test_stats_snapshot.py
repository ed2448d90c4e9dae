"""The scheduler's stored response-time figures: what /metrics reads while fresh, the same
figures as computing them live; stale or absent, /metrics computes them itself."""

from datetime import timedelta

from core.fsm import Move
from services import incidents, stats_snapshot
from services.stats import compute
from store.types import utcnow
from tests.conftest import World


def test_a_fresh_snapshot_is_read_and_equals_the_live_figures(world: World) -> None:
    actor = world.actor()
    incident = incidents.declare(world.db, actor, title="Checkout down", severity="p1",
                                 detected_at=utcnow() - timedelta(minutes=10))
    incidents.transition(world.db, actor, incident.number, Move.INVESTIGATE)
    now = utcnow()
    stored = stats_snapshot.refresh(world.db, now)
    assert stats_snapshot.refresh(world.db, now) == stored  # the job twice: the same row
    with world.db.read() as session:
        live = compute(session.connection(), now)
        assert stored == live
        assert stats_snapshot.current(session.connection(), now + timedelta(minutes=1)) == live
    later = incidents.declare(world.db, actor, title="Search slow", severity="p2")
    incidents.transition(world.db, actor, later.number, Move.INVESTIGATE)
    with world.db.read() as session:
        conn = session.connection()
        fresh = stats_snapshot.current(conn, now + timedelta(minutes=1))
        assert fresh.incidents[7] == 1  # the stored figures, until the next run
        stale = stats_snapshot.current(conn, now + stats_snapshot.MAX_AGE + timedelta(seconds=1))
        assert stale.incidents[7] == 2  # the scheduler is away: computed live


def test_dump_and_load_keep_every_figure(world: World) -> None:
    incidents.declare(world.db, world.actor(), title="A", severity="p3")
    with world.db.read() as session:
        live = compute(session.connection(), utcnow())
    assert stats_snapshot.load(stats_snapshot.dump(live)) == live
