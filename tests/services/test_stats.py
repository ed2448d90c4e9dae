"""Workspace response stats: PostgreSQL's own percentiles agree with core.metrics."""

import random
from datetime import timedelta

from sqlalchemy import insert

from core import metrics
from services import stats
from store.models import Incident
from store.types import utcnow
from tests.conftest import World


def test_database_figures_agree_with_core(world: World) -> None:
    rng = random.Random(3)
    now = utcnow()
    rows = []
    for n in range(1, 301):
        detected = now - timedelta(days=rng.uniform(0, 120))
        stage = rng.randrange(4)
        rows.append({"workspace_id": world.ws_id, "number": n, "title": "t",
                     "severity": f"p{1 + n % 4}", "status": "open", "services": [],
                     "detected_at": detected, "created_at": detected, "updated_at": detected,
                     "investigating_at": detected + timedelta(seconds=rng.randrange(1, 9000))
                     if stage >= 1 else None,
                     "mitigated_at": detected + timedelta(seconds=rng.randrange(1, 90000))
                     if stage >= 2 else None,
                     "resolved_at": detected + timedelta(seconds=rng.randrange(1, 900000))
                     if stage >= 3 else None})
    with world.db.transaction() as session:
        session.execute(insert(Incident), rows)
    got = stats.workspace_stats(world.db, world.ws_id, now)
    with world.db.read() as session:
        expected = metrics.compute_durations(stats.durations(session.connection(), now,
                                                             world.ws_id), now)
    assert got.incidents == expected.incidents and got.incidents[90] > 0
    for days in metrics.PERIODS:
        for sev in ("p1", "p2", "p3", "p4", "all"):
            for measure in metrics.MEASURES:
                a, b = got.get(days, sev, measure), expected.get(days, sev, measure)
                assert a.count == b.count, (days, sev, measure)
                for x, y in ((a.median, b.median), (a.p90, b.p90)):
                    assert (x is None and y is None) or abs((x or 0) - (y or 0)) < 0.01
