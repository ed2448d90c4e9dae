"""Concurrent declarations in one workspace: keys stay distinct and consecutive.

    /tmp/venv/bin/python -m bench.bench_declare [--db sqlite|postgres|both]
                                                [--incidents 200] [--workers 25]

For each database: a fresh schema from the real migrations, one workspace, one member per
worker; then `--incidents` declarations through `services.incidents.declare` from
`--workers` threads released together. Checks that the keys are exactly INC-0001 ..
INC-<n>, each once, and reports declarations/s. Baseline in the same run: the same
number of declarations from one thread, so the figure shows what concurrency costs.
"""

import argparse

from sqlmodel import col, select

from bench.common import fresh_database, kinds, machine_line, per_second, run_threads
from core.keys import format_key
from core.permissions import Role
from services import incidents, workspaces
from services.actor import Actor
from store.db import Database
from store.models import Incident


def actors_for(db: Database, slug: str, workers: int) -> list[Actor]:
    ws = workspaces.create_workspace(db, slug, slug.title())
    ws_id = ws.id or 0
    members = [workspaces.add_member(db, ws_id, f"UDECL{i:03d}", f"Declarer {i}")
               for i in range(workers)]
    return [Actor(ws_id, m.id, m.display_name, Role.ENGINEER, "slack") for m in members]


def declare_all(db: Database, actors: list[Actor], total: int) -> tuple[float, list[str]]:
    """`total` declarations spread over one thread per actor; (seconds, keys returned)."""
    workers = len(actors)
    shares = [total // workers + (1 if i < total % workers else 0) for i in range(workers)]

    def worker(i: int) -> list[str]:
        return [format_key(incidents.declare(db, actors[i], title=f"Storm {i}-{j}",
                                             severity="p4").number)
                for j in range(shares[i])]

    seconds, results = run_threads(workers, worker)
    return seconds, [key for keys in results for key in keys]


def stored_keys(db: Database, workspace_id: int) -> list[str]:
    with db.read() as session:
        numbers = session.exec(select(col(Incident.number)).where(
            Incident.workspace_id == workspace_id)).all()
    return [format_key(n) for n in numbers]


def check(keys: list[str], total: int) -> list[str]:
    """What is wrong with these keys (empty when they are exactly INC-0001..total)."""
    expected = [format_key(n) for n in range(1, total + 1)]
    problems = []
    duplicates = len(keys) - len(set(keys))
    if duplicates:
        problems.append(f"{duplicates} duplicated")
    missing = sorted(set(expected) - set(keys))
    if missing:
        problems.append(f"missing {', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}")
    extra = sorted(set(keys) - set(expected))
    if extra:
        problems.append(f"unexpected {', '.join(extra[:5])}")
    return problems


def bench(kind: str, total: int, workers: int) -> bool:
    with fresh_database(kind, pool_size=workers + 5) as db:
        print(machine_line(db))
        single = actors_for(db, "solo", 1)
        solo_seconds, _ = declare_all(db, single, total)
        crowd = actors_for(db, "storm", workers)
        seconds, returned = declare_all(db, crowd, total)
        stored = stored_keys(db, crowd[0].workspace_id)
    problems = check(returned, total) + [f"stored: {p}" for p in check(stored, total)]
    print(f"{kind}: {total} declarations in one workspace")
    print(f"  1 thread     {per_second(total, solo_seconds):7.0f} declarations/s "
          f"({solo_seconds:.2f} s)")
    print(f"  {workers} threads  {per_second(total, seconds):7.0f} declarations/s "
          f"({seconds:.2f} s)")
    verdict = "; ".join(problems) if problems else "distinct and consecutive"
    print(f"  keys {min(stored, default='-')} .. {max(stored, default='-')} "
          f"({len(set(stored))} distinct of {len(stored)}): {verdict}")
    return not problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="both", help="sqlite, postgres or both")
    parser.add_argument("--incidents", type=int, default=200)
    parser.add_argument("--workers", type=int, default=25)
    args = parser.parse_args(argv)
    results = [bench(kind, args.incidents, args.workers) for kind in kinds(args.db)]
    return 0 if all(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
