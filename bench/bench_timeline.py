"""Timeline appends under concurrent writers, against plain INSERTs of the same rows.

    /tmp/venv/bin/python -m bench.bench_timeline [--db sqlite|postgres|both]
                                                 [--writers 20] [--events 5000]

For each database: a fresh schema from the real migrations, a workspace, one member per
writer and a few incidents made through the services. Then, in the same run and the same
database, (a) raw: `--events` rows INSERTed into timelineevent with SQLAlchemy Core, one row
per transaction, by `--writers` threads; (b) service: the same number of rows through
`services.timeline.append_entry` (permission, tenancy, dedupe, one transaction each).
Reported: events/s for both, the ratio service/raw, rows lost and duplicated (both must be 0).
Goal: ratio >= 1/3, and >= 1,000 events/s through the service on PostgreSQL.
"""

import argparse
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select

from bench.common import fresh_database, kinds, machine_line, per_second, run_threads
from core.effects import Label
from core.permissions import Role
from services import incidents, timeline, workspaces
from services.actor import Actor
from store.db import Database
from store.models import TimelineEvent
from store.types import utcnow

INCIDENTS = 4
GOAL_RATIO = 1 / 3
GOAL_PG_RATE = 1000.0


@dataclass
class Result:
    label: str
    events: int
    seconds: float
    lost: int
    duplicates: int

    @property
    def rate(self) -> float:
        return per_second(self.events, self.seconds)


def setup(db: Database, writers: int) -> tuple[list[Actor], list[int]]:
    """Members for every writer and a few open incidents; returns (actors, incident ids)."""
    ws = workspaces.create_workspace(db, "bench", "Bench")
    ws_id = ws.id or 0
    actors = []
    for i in range(writers):
        member = workspaces.add_member(db, ws_id, f"UBENCH{i:03d}", f"Writer {i}", Role.ENGINEER)
        actors.append(Actor(ws_id, member.id, member.display_name, Role.ENGINEER, "slack"))
    incident_ids = [incidents.declare(db, actors[0], title=f"Bench incident {n}",
                                      severity="p4").id or 0 for n in range(INCIDENTS)]
    return actors, incident_ids


def split(total: int, writers: int) -> list[int]:
    """`total` events over `writers` threads, as evenly as possible."""
    return [total // writers + (1 if i < total % writers else 0) for i in range(writers)]


def run_raw(db: Database, actors: list[Actor], incident_ids: list[int],
            counts: list[int]) -> Result:
    table = TimelineEvent.__table__  # type: ignore[attr-defined]
    statement = insert(table)

    def writer(i: int) -> None:
        actor = actors[i]
        for j in range(counts[i]):
            row: dict[str, Any] = {
                "incident_id": incident_ids[j % len(incident_ids)], "at": utcnow(),
                "source": actor.source, "label": Label.NOTE, "actor": actor.name,
                "actor_id": actor.member_id, "text": f"raw writer {i} event {j}",
                "payload": {}, "dedupe_key": f"raw-{i}-{j}", "editable": True,
            }
            with db.engine.begin() as conn:  # one transaction per row, as the service does
                conn.execute(statement, row)

    seconds, _ = run_threads(len(actors), writer)
    return count(db, "raw", "raw-%", sum(counts), seconds)


def run_service(db: Database, actors: list[Actor], incident_numbers: list[int],
                counts: list[int]) -> Result:
    def writer(i: int) -> int:
        actor = actors[i]
        missing = 0
        for j in range(counts[i]):
            event = timeline.append_entry(db, actor, incident_numbers[j % len(incident_numbers)],
                                          f"svc writer {i} event {j}",
                                          dedupe_key=f"svc-{i}-{j}")
            missing += event is None
        return missing

    seconds, missing = run_threads(len(actors), writer)
    if any(missing):
        print(f"  !! append_entry returned None for {sum(missing)} fresh dedupe keys")
    return count(db, "service", "svc-%", sum(counts), seconds)


def count(db: Database, label: str, pattern: str, expected: int, seconds: float) -> Result:
    table = TimelineEvent.__table__  # type: ignore[attr-defined]
    mine = table.c.dedupe_key.like(pattern)
    with db.engine.connect() as conn:
        rows = conn.execute(select(func.count()).where(mine)).scalar_one()
        texts = conn.execute(select(func.count(table.c.text.distinct())).where(mine)).scalar_one()
    return Result(label, expected, seconds, lost=expected - rows, duplicates=rows - texts)


def bench(kind: str, writers: int, total: int) -> bool:
    with fresh_database(kind, pool_size=writers + 5) as db:
        print(machine_line(db))
        actors, incident_ids = setup(db, writers)
        numbers = list(range(1, len(incident_ids) + 1))
        counts = split(total, writers)
        # Warm the pool and the statement caches so neither side pays the first connections.
        run_threads(writers, lambda i: timeline.append_entry(
            db, actors[i], 1, "warm-up", dedupe_key=f"warm-{i}"))
        raw = run_raw(db, actors, incident_ids, counts)
        service = run_service(db, actors, numbers, counts)
    ratio = service.rate / raw.rate
    print(f"{kind}: {writers} writers, {total} events each side "
          f"({counts[0]} per writer), {INCIDENTS} incidents")
    for result in (raw, service):
        print(f"  {result.label:8} {result.rate:9.0f} events/s  ({result.seconds:.2f} s)  "
              f"lost {result.lost}  duplicates {result.duplicates}")
    ok = (ratio >= GOAL_RATIO and service.lost == 0 and raw.lost == 0
          and service.duplicates == 0 and (kind != "postgres" or service.rate >= GOAL_PG_RATE))
    print(f"  ratio service/raw {ratio:.2f} (goal >= {GOAL_RATIO:.2f}"
          + (f", and >= {GOAL_PG_RATE:.0f} events/s" if kind == "postgres" else "")
          + f"): {'OK' if ok else 'MISSED'}")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="both", help="sqlite, postgres or both")
    parser.add_argument("--writers", type=int, default=20)
    parser.add_argument("--events", type=int, default=5000,
                        help="events in total per side, spread over the writers")
    args = parser.parse_args(argv)
    results = [bench(kind, args.writers, args.events) for kind in kinds(args.db)]
    return 0 if all(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
