"""Storm detection, Suggest cause, runbook matching and /metrics at size.

    .venv/bin/python -m bench.bench_insight [--db postgres|sqlite|both] [--runs 20]

Each figure is the median (and p95) of `--runs` timed runs after a warm-up, beside a
baseline of the same work at 1/100 of the size and, for the pure passes, the same work by
the code before issue 10's speed work (bench/insight_before.py), all in the same run:
- storm detection: the pure pass (core.storms.plan) over 50,000 incidents spread over a
  week on 200 services; then the scheduler's whole pass (services.storms.detect: queries,
  plan) over a database of 50,000 incidents. Goal < 200 ms.
- Suggest cause: the ranking (core.cause.suggest) over 10,000 changes, all inside the
  look-back; then the read model (services.cause.suggest, its query included). Goal < 50 ms.
- runbook match: core.runbooks.match over 5,000 runbooks; then services.runbooks.for_text,
  loading the stored terms. Goal < 20 ms.
- GET /metrics through the ASGI app with 50,000 incidents (a year of them, so 90 days hold
  about 12,000), reading the response-time figures the scheduler stored; beside /healthz
  of the same app and "before": the same scrape computing the figures itself. Goal < 100 ms.
"""

import argparse
import random
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, insert
from starlette.testclient import TestClient

from bench import insight_before as before
from bench.common import fresh_database, kinds, machine_line
from bench.slack_load import pct
from core import cause as cause_rules
from core import runbooks as runbook_rules
from core import storms as storm_rules
from services import cause, runbooks, stats_snapshot, storms, workspaces
from store.db import Database
from store.insight_models import ChangeAsset, Runbook, RunbookTerm
from store.metrics_models import StatsSnapshot
from store.models import ChangeRequest, Incident
from store.types import utcnow
from vigilo.app import build
from vigilo.settings import Settings

WORDS = ["checkout", "payments", "search", "db", "cache", "api", "edge", "auth", "queue",
         "worker", "billing", "cdn", "dns", "redis", "postgres", "kafka", "latency", "errors",
         "timeout", "outage"]


def timed(work: Callable[[], Any], runs: int) -> tuple[float, float]:
    work()  # warm-up: caches, imports, the first query plan
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        samples.append(time.perf_counter() - start)
    return pct(samples, 50), pct(samples, 95)


def line(what: str, size: str, figure: tuple[float, float], base: tuple[float, float],
         goal: float | None, before: tuple[float, float] | None = None,
         base_name: str = "1/100") -> None:
    verdict = "" if goal is None else ("  OK" if figure[0] < goal else "  OVER GOAL")
    was = f", before: {before[0]:7.1f} ms" if before else ""
    print(f"  {what:<34} {size:>8}: median {figure[0]:7.1f} ms, p95 {figure[1]:7.1f} ms"
          f"   (baseline {base_name}: {base[0]:6.2f} ms{was}){verdict}"
          + (f"  goal < {goal:.0f} ms" if goal else ""))


def candidates(n: int, rng: random.Random) -> list[storm_rules.Candidate]:
    now = utcnow()
    services = [f"svc-{i}" for i in range(200)]
    return [storm_rules.Candidate(i, now - timedelta(seconds=rng.randrange(7 * 86400)),
                                  storm_rules.grouping_keys(rng.sample(services, 2)))
            for i in range(n)]


def changes(n: int, rng: random.Random) -> list[cause_rules.ChangeFacts]:
    now = utcnow()
    return [cause_rules.ChangeFacts(i, i + 1, f"deploy {i}", tuple(rng.sample(WORDS[:12], 2)),
                                    now - timedelta(seconds=rng.randrange(86000)))
            for i in range(n)]


def books(n: int, rng: random.Random) -> list[runbook_rules.Candidate]:
    out = []
    for i in range(n):
        title = " ".join(rng.sample(WORDS, 3)) + f" runbook {i}"
        out.append(runbook_rules.Candidate(i, title, runbook_rules.terms_of(
            title, rng.sample(WORDS, 2))))
    return out


def pure(runs: int) -> None:
    rng = random.Random(10)
    print("pure rules (core/):")
    big, small = candidates(50_000, rng), candidates(500, rng)
    line("storm detection pass", "50,000", timed(lambda: storm_rules.plan(big, []), runs),
         timed(lambda: storm_rules.plan(small, []), runs), 200,
         timed(lambda: before.plan(big, []), runs))
    many, few = changes(10_000, rng), changes(100, rng)
    now = utcnow()
    line("Suggest cause ranking", "10,000",
         timed(lambda: cause_rules.suggest(["checkout", "db"], now, many), runs),
         timed(lambda: cause_rules.suggest(["checkout", "db"], now, few), runs), 50,
         timed(lambda: before.suggest(["checkout", "db"], now, many), runs))
    lots, some = books(5_000, rng), books(50, rng)
    wanted = runbook_rules.incident_terms("Checkout latency after a cache deploy",
                                          ["checkout", "redis"], "errors from the edge")
    line("runbook match", "5,000", timed(lambda: runbook_rules.match(wanted, lots), runs),
         timed(lambda: runbook_rules.match(wanted, some), runs), 20,
         timed(lambda: before.match(wanted, lots), runs))


def seed(db: Database, slug: str, incidents: int, n_changes: int, n_books: int,
         rng: random.Random) -> int:
    ws = workspaces.create_workspace(db, slug, slug)
    ws_id = ws.id or 0
    now = utcnow()
    rows = []
    statuses = ("open", "investigating", "mitigated", "resolved", "resolved", "post_mortem")
    for n in range(1, incidents + 1):
        detected = now - timedelta(seconds=rng.randrange(365 * 86400))
        if n % 250 == 0:  # a few in the storm window
            detected = now - timedelta(minutes=rng.randrange(30))
        status = statuses[n % len(statuses)]
        later = status != "open"
        rows.append({"workspace_id": ws_id, "number": n, "title": f"incident {n}",
                     "severity": f"p{1 + n % 4}", "status": status,
                     "services": rng.sample(WORDS[:12], 2), "detected_at": detected,
                     "created_at": detected, "updated_at": detected,
                     "investigating_at": detected + timedelta(minutes=5) if later else None,
                     "mitigated_at": detected + timedelta(minutes=40) if later else None,
                     "resolved_at": detected + timedelta(hours=2)
                     if status in ("resolved", "post_mortem") else None})
    with db.transaction() as session:
        for start in range(0, len(rows), 5000):
            session.execute(insert(Incident), rows[start:start + 5000])
        base = ws_id * 1_000_000  # explicit ids, so the index rows can point at them
        if n_changes:
            rows_c, assets = [], []
            for i in range(n_changes):
                started = now - timedelta(seconds=rng.randrange(86000))
                picked = rng.sample(WORDS[:12], 2)
                rows_c.append({"id": base + i, "workspace_id": ws_id, "number": i + 1,
                               "title": f"deploy {i}", "description": "",
                               "affected_assets": picked, "started_at": started,
                               "created_at": now})
                assets += [{"change_id": base + i, "workspace_id": ws_id, "asset": a,
                            "started_at": started} for a in picked]
            session.execute(insert(ChangeRequest), rows_c)
            session.execute(insert(ChangeAsset), assets)
        if n_books:
            batch, terms = [], []
            for i in range(n_books):
                title = " ".join(rng.sample(WORDS, 3)) + f" runbook {i}"
                tags = rng.sample(WORDS, 2)
                found = runbook_rules.terms_of(title, tags)
                batch.append({"id": base + i, "workspace_id": ws_id, "title": title,
                              "tags": tags, "excerpt": "", "created_at": now,
                              "terms": found.to_json()})
                terms += [{"runbook_id": base + i, "workspace_id": ws_id, "term": t,
                           "tag": t in found.tags} for t in found.title | found.tags]
            session.execute(insert(Runbook), batch)
            session.execute(insert(RunbookTerm), terms)
    return ws_id


def database(kind: str, runs: int) -> None:
    rng = random.Random(11)
    with fresh_database(kind) as db:
        print(machine_line(db))
        big = seed(db, "big", 50_000, 10_000, 5_000, rng)
        small = seed(db, "small", 500, 100, 50, rng)
        if not db.sqlite:  # PostgreSQL sequences did not see the explicit ids
            with db.engine.begin() as conn:
                for table in ("changerequest", "runbook"):
                    conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', "
                                         f"'id'), (SELECT max(id) FROM {table}))")
        incident_big = (big, 250)  # detected in the last 30 minutes
        incident_small = (small, 250)
        now = utcnow()
        # Detection writes storms on its first pass; later passes are the steady state.
        storms.detect(db, now)
        line(f"{kind}: storm pass (detect)", "50,000", timed(lambda: storms.detect(db, now),
                                                             runs),
             timed(lambda: storms.detect_workspace(db, small, now), runs), 200)
        line(f"{kind}: Suggest cause (read model)", "10,000",
             timed(lambda: cause.suggest(db, *incident_big), runs),
             timed(lambda: cause.suggest(db, *incident_small), runs), 50)
        line(f"{kind}: runbooks for an incident", "5,000",
             timed(lambda: runbooks.for_text(db, big, "Checkout latency", ["redis"],
                                             "errors"), runs),
             timed(lambda: runbooks.for_text(db, small, "Checkout latency", ["redis"],
                                             "errors"), runs), 20)
        vigilo = build(Settings(database_url=db.url), db=db, run_worker=False)
        assert vigilo.asgi is not None
        with TestClient(vigilo.asgi) as client:
            def scrape() -> None:
                assert client.get("/metrics").status_code == 200

            # "before": no stored figures, so the scrape computes them from every incident
            # of 90 days (what a scrape did before, and still does with the scheduler down).
            with db.transaction() as session:
                session.execute(delete(StatsSnapshot))
            live = timed(scrape, runs)
            stats_snapshot.refresh(db, utcnow())  # the scheduler's response_stats job
            line(f"{kind}: GET /metrics", "50,500", timed(scrape, runs),
                 timed(lambda: client.get("/healthz"), runs), 100, live, "/healthz")
        print(f"  ({kind}: /metrics reads the scheduler's stored figures; 'before' computes "
              "them during the scrape)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="both", choices=["both", "sqlite", "postgres"])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    print(machine_line())
    pure(args.runs)
    for kind in kinds(args.db):
        database(kind, args.runs)


if __name__ == "__main__":
    main()
