"""Time to first byte of the web pages, beside `/healthz` of the same server in the same run.

    /tmp/venv/bin/python -m bench.bench_pages [--db sqlite|postgres|both] [--runs 40]
                                              [--incidents 5000] [--events 10000]

For each database: a fresh schema from the real migrations; a workspace with `--incidents`
incidents (bulk-inserted; most resolved, some active, every severity) and two incidents with
`--events` timeline events each: one still investigating, one in post_mortem (whose
postmortem holds a copy of all those events). A real uvicorn serves the real app on
loopback; a signed-in member's session cookie goes with every request, over one keep-alive
connection, as a browser does. Each URL is fetched `--runs` times after a warm-up; the time
to first byte is from sending the request to reading the status line and headers.
Goal: the list page (5,000 incidents) and the detail page (10,000 events) < 200 ms at p95.
"""

import argparse
import http.client
import socket
import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import uvicorn
from sqlalchemy import insert, update
from sqlmodel import select

from bench.common import fresh_database, kinds, machine_line
from core.effects import Label
from core.fsm import Move
from core.permissions import Role
from services import access, incidents, workspaces
from services.actor import Actor
from store.db import Database
from store.models import Incident, TimelineEvent, Workspace
from store.types import utcnow
from vigilo.app import build
from vigilo.settings import Settings
from webhooks.auth import SESSION_COOKIE

GOAL_MS = 200.0
STATUSES = ["resolved"] * 14 + ["post_mortem"] * 4 + ["open", "investigating", "mitigated"]


def seed(db: Database, total: int, events: int) -> tuple[str, dict[str, int]]:
    """The workspace; returns a session cookie and the numbers of the long incidents."""
    ws = workspaces.create_workspace(db, "bench", "Bench")
    ws_id = ws.id or 0
    members = [workspaces.add_member(db, ws_id, f"UBENCH{i:03d}", f"Member {i}", Role.ENGINEER)
               for i in range(20)]
    actor = Actor(ws_id, members[0].id, members[0].display_name, Role.ENGINEER, "slack")
    long_ones = {"investigating": incidents.declare(db, actor, title="Long investigation").number,
                 "post_mortem": incidents.declare(db, actor, title="Long postmortem").number}
    for number in long_ones.values():
        _events(db, ws_id, number, events)
    incidents.transition(db, actor, long_ones["investigating"], Move.INVESTIGATE)
    for move in (Move.INVESTIGATE, Move.RESOLVE, Move.OPEN_POST_MORTEM):
        incidents.transition(db, actor, long_ones["post_mortem"], move)
    now = utcnow()
    rows: list[dict[str, Any]] = [
        {"workspace_id": ws_id, "number": n, "title": f"Bench incident {n} in checkout",
         "description": "", "severity": f"p{1 + n % 4}", "status": STATUSES[n % len(STATUSES)],
         "commander_id": members[n % len(members)].id, "detected_at": now - timedelta(hours=n),
         "created_at": now - timedelta(hours=n), "updated_at": now, "services": ["checkout"],
         "auto_publish_to_status": True}
        for n in range(3, total + 1)]
    with db.engine.begin() as conn:
        conn.execute(insert(Incident), rows)
        conn.execute(update(Workspace).where(Workspace.id == ws_id)  # type: ignore[arg-type]
                     .values(last_incident_number=total))
    token = access.create_login_link(db, actor)
    return access.redeem_login_link(db, token).session_token, long_ones


def _events(db: Database, ws_id: int, number: int, count: int) -> None:
    with db.read() as session:
        incident_id = session.exec(select(Incident.id).where(
            Incident.workspace_id == ws_id, Incident.number == number)).one()
    start = utcnow() - timedelta(days=1)
    rows: list[dict[str, Any]] = [
        {"incident_id": incident_id, "at": start + timedelta(seconds=i), "source": "slack",
         "label": Label.MESSAGE, "actor": f"Member {i % 20}",
         "text": f"Message {i}: checked the dashboards, error rate still elevated",
         "payload": {}, "editable": True} for i in range(count)]
    with db.engine.begin() as conn:
        conn.execute(insert(TimelineEvent), rows)


@contextmanager
def serving(db: Database) -> Iterator[int]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = build(Settings(database_url=db.url, base_url=f"http://127.0.0.1:{port}"), db=db,
                run_worker=False).asgi
    assert app is not None
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def fetch(conn: http.client.HTTPConnection, path: str, headers: dict[str, str]
          ) -> tuple[float, int, int]:
    """(ms to first byte, status, body bytes). The first byte is the status line: Starlette
    sends nothing before the whole page is rendered, so this is the server's full work."""
    started = time.perf_counter()
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    first = time.perf_counter()
    return (first - started) * 1000, response.status, len(response.read())


def measure(port: int, cookie: str, paths: list[tuple[str, str, bool]], runs: int
            ) -> list[tuple[str, list[float], int]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    results = []
    for label, path, as_json in paths:
        headers = {"cookie": f"{SESSION_COOKIE}={cookie}",
                   "accept": "application/json" if as_json else "text/html"}
        for _ in range(5):  # warm-up: connection pool, statement and template caches
            fetch(conn, path, headers)
        firsts: list[float] = []
        size = 0
        for _ in range(runs):
            first, status, size = fetch(conn, path, headers)
            if status != 200:
                raise SystemExit(f"{path} answered {status}")
            firsts.append(first)
        results.append((label, firsts, size))
    conn.close()
    return results


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, int(len(values) * 0.95) - 1)]


def bench(kind: str, runs: int, total: int, events: int) -> bool:
    with fresh_database(kind) as db:
        print(machine_line(db))
        started = time.perf_counter()
        cookie, long_ones = seed(db, total, events)
        print(f"{kind}: seeded {total} incidents and 2 x {events} timeline events in "
              f"{time.perf_counter() - started:.1f} s")
        live, pm = (f"/ws/bench/incidents/{n}" for n in (long_ones["investigating"],
                                                         long_ones["post_mortem"]))
        last_page = -(-(events + 3) // 200)
        paths = [
            ("healthz (baseline)", "/healthz", False),
            (f"list, {total} incidents", "/ws/bench/incidents", False),
            ("list, resolved, page 20", "/ws/bench/incidents?status=resolved&page=20", False),
            ("list JSON, 100", "/ws/bench/incidents", True),
            (f"detail overview, {events} events", live, False),
            ("detail timeline page 1", f"{live}?tab=timeline", False),
            (f"detail timeline page {last_page}", f"{live}?tab=timeline&page={last_page}",
             False),
            ("detail JSON, 200 events", live, True),
            (f"post_mortem overview, {events} events", pm, False),
            ("post_mortem JSON", pm, True),
        ]
        with serving(db) as port:
            results = measure(port, cookie, paths, runs)
    base = statistics.median(results[0][1])
    print(f"  {'url':36} {'TTFB median':>11} {'p95':>7} {'max':>7} {'-healthz':>8} "
          f"{'bytes':>8}")
    ok = True
    for label, firsts, size in results:
        median = statistics.median(firsts)
        print(f"  {label:36} {median:9.1f}ms {p95(firsts):5.1f}ms {max(firsts):5.1f}ms "
              f"{median - base:6.1f}ms {size:8d}")
        if label.startswith(("list, ", "detail overview", "detail timeline")):
            ok = ok and p95(firsts) < GOAL_MS
    print(f"  goal: list and detail pages < {GOAL_MS:.0f} ms to first byte at p95: "
          f"{'OK' if ok else 'MISSED'}")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="both", help="sqlite, postgres or both")
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--incidents", type=int, default=5000)
    parser.add_argument("--events", type=int, default=10000)
    args = parser.parse_args(argv)
    results = [bench(kind, args.runs, args.incidents, args.events) for kind in kinds(args.db)]
    return 0 if all(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
