"""Postmortems on a long incident: opening one, its Postmortem tab, its Markdown export.

    .venv/bin/python -m bench.bench_postmortem [--db sqlite|postgres|both] [--runs 5]
                                               [--events 10000] [--http-runs 20]

For each database: a fresh schema from the real migrations; `--runs` resolved incidents with
`--events` timeline events each. Opening: `/vigilo postmortem`'s service call (move to
post_mortem, copy the timeline, draft the sections), beside the baseline of the same
service call for a move that copies nothing (investigate, on an incident as long). Then a
real uvicorn serves the real app on loopback and a signed-in member fetches the Postmortem
tab (first page) and the Markdown export, beside /healthz in the same run.
Goals: open < 500 ms; Markdown export < 300 ms; tab first page < 100 ms.
"""

import argparse
import statistics
import time

from bench.bench_pages import _events, measure, p95, serving
from bench.common import fresh_database, kinds, machine_line
from core.fsm import Move
from core.permissions import Role
from services import access, incidents, workspaces
from services.actor import Actor
from store.db import Database

GOALS = {"open": 500.0, "markdown": 300.0, "tab": 100.0}


def timed(work: object) -> float:
    started = time.perf_counter()
    work()  # type: ignore[operator]
    return (time.perf_counter() - started) * 1000


def bench(kind: str, runs: int, events: int, http_runs: int) -> bool:
    with fresh_database(kind) as db:
        print(machine_line(db))
        ws = workspaces.create_workspace(db, "bench", "Bench")
        member = workspaces.add_member(db, ws.id or 0, "UBENCH", "Bench", Role.ENGINEER)
        actor = Actor(ws.id or 0, member.id, member.display_name, Role.ENGINEER, "slack")
        started = time.perf_counter()
        numbers = _long_incidents(db, actor, runs, events, resolve=True)
        baseline_numbers = _long_incidents(db, actor, runs, events, resolve=False)
        print(f"{kind}: seeded {2 * runs} incidents x {events} events in "
              f"{time.perf_counter() - started:.1f} s")
        base = [timed(lambda n=n: incidents.transition(db, actor, n, Move.INVESTIGATE))
                for n in baseline_numbers]
        opens = [timed(lambda n=n: incidents.transition(db, actor, n, Move.OPEN_POST_MORTEM))
                 for n in numbers]
        cookie = access.redeem_login_link(db, access.create_login_link(db, actor)).session_token
        url = f"/ws/bench/incidents/INC-{numbers[0]:04d}"
        with serving(db) as port:
            results = measure(port, cookie, [
                ("healthz (baseline)", "/healthz", False),
                ("Postmortem tab, page 1", f"{url}?tab=postmortem", False),
                (f"Markdown export, {events} events", f"{url}/postmortem.md", False),
            ], http_runs)
    print(f"  {'what':36} {'median':>9} {'p95':>8} {'max':>8}")
    print(f"  {'baseline: investigate (no copy)':36} {statistics.median(base):7.1f}ms "
          f"{p95(base):6.1f}ms {max(base):6.1f}ms")
    print(f"  {f'open postmortem, {events} events':36} {statistics.median(opens):7.1f}ms "
          f"{p95(opens):6.1f}ms {max(opens):6.1f}ms")
    for label, firsts, size in results:
        print(f"  {label:36} {statistics.median(firsts):7.1f}ms {p95(firsts):6.1f}ms "
              f"{max(firsts):6.1f}ms  {size} bytes")
    ok = (max(opens) < GOALS["open"] and p95(results[2][1]) < GOALS["markdown"]
          and p95(results[1][1]) < GOALS["tab"])
    print(f"  goals: open < {GOALS['open']:.0f} ms (max), Markdown < {GOALS['markdown']:.0f} "
          f"ms (p95), tab < {GOALS['tab']:.0f} ms (p95): {'OK' if ok else 'MISSED'}")
    return ok


def _long_incidents(db: Database, actor: Actor, count: int, events: int, *,
                    resolve: bool) -> list[int]:
    numbers = []
    for i in range(count):
        number = incidents.declare(db, actor, title=f"Long incident {i}").number
        _events(db, actor.workspace_id, number, events)
        if resolve:
            incidents.transition(db, actor, number, Move.INVESTIGATE)
            incidents.transition(db, actor, number, Move.RESOLVE, root_cause="bad deploy")
        numbers.append(number)
    return numbers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="both", help="sqlite, postgres or both")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--events", type=int, default=10000)
    parser.add_argument("--http-runs", type=int, default=20)
    args = parser.parse_args(argv)
    results = [bench(kind, args.runs, args.events, args.http_runs) for kind in kinds(args.db)]
    return 0 if all(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
