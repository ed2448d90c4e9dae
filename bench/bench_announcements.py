"""The announcements channel and the delayed-archive job: what they add, beside the same
work without them, measured in the same run.

    .venv/bin/python -m bench.bench_announcements [--db postgres|sqlite|both]
                                                  [--incidents 100] [--plans 10000]

- cards: `--incidents` p1 incidents, each declared, investigated, mitigated and resolved
  through the services (as the commands do); then the real OutboxWorker delivers every
  effect through the real slack_sdk client to the sandbox Slack on loopback (answering at
  once). Beside it, the same work with `announce_channel` off. Figures: drain seconds,
  Slack calls per incident, and the checks that matter: one card per incident in
  #incidents, each ending "Resolved", posted once (chat.postMessage there == incidents).
- job: `--plans` settled archive plans (recorded or cancelled) plus 100 due; the time of
  one `channel_archives.record_due` pass that records the 100, beside a pass with nothing
  due over the same table.
"""

import argparse
import random
import time
from datetime import datetime, timedelta

from sqlalchemy import insert
from sqlmodel import col, select

from bench.common import fresh_database, kinds, machine_line
from core.fsm import Move
from core.permissions import Role
from integrations.outbox import OutboxWorker
from integrations.slack.client import build_client
from integrations.slack.effects import handlers
from services import channel_archives, incidents, workspaces
from services.actor import Actor
from store.archive_models import CANCELLED, RECORDED, SCHEDULED, ChannelArchive
from store.db import Database
from store.models import Incident
from store.types import utcnow
from vigilo.sandbox.slack_api import DEFAULT_BOT_TOKEN, FakeSlack

BASE = "https://vigilo.example.com"
DUE = 100


def cards(kind: str, count: int, announce: bool) -> dict[str, float]:
    with fresh_database(kind) as db, FakeSlack() as fake:
        ws = workspaces.create_workspace(db, "bench", "Bench")
        member = workspaces.add_member(db, ws.id or 0, "UBENCH", "Bench", Role.ADMIN)
        fake.add_user("UBENCH", "bench")
        actor = Actor(ws.id or 0, member.id, "Bench", Role.ADMIN, "slack")
        channel = fake.add_channel("incidents")
        if announce:
            workspaces.set_setting(db, actor, "announce_channel", channel)
        for _ in range(count):
            incident = incidents.declare(db, actor, title="Checkout is down", severity="p1")
            for move in (Move.INVESTIGATE, Move.MITIGATE, Move.RESOLVE):
                incidents.transition(db, actor, incident.number, move)
        client = build_client(DEFAULT_BOT_TOKEN, fake.base_url, connection_retries=0)
        worker = OutboxWorker(db, handlers(db, client, BASE),
                              clock=lambda: utcnow() + timedelta(seconds=5),
                              rng=random.Random(7))
        started = time.perf_counter()
        while worker.drain(max_rounds=1000):
            pass
        seconds = time.perf_counter() - started
        posted = fake.messages(channel)
        posts = [c for c in fake.calls_to("chat.postMessage")
                 if c.params.get("channel") == channel]
        if announce:
            assert len(posted) == count == len(posts), (len(posted), len(posts))
            assert all("Resolved" in m.full_text for m in posted)
        return {"seconds": seconds, "calls": len(fake.calls) / count}


def job(kind: str, plans: int) -> tuple[float, float]:
    with fresh_database(kind) as db:
        ws = workspaces.create_workspace(db, "bench", "Bench")
        now = utcnow()
        with db.transaction() as session:
            session.execute(insert(Incident), [
                {"workspace_id": ws.id, "number": n, "title": f"bench {n}", "status": "resolved",
                 "severity": "p3", "detected_at": now, "created_at": now, "updated_at": now,
                 "resolved_at": now, "services": [], "description": "",
                 "auto_publish_to_status": True, "slack_channel_id": f"C{n:08d}"}
                for n in range(1, plans + DUE + 1)])
        with db.read() as session:
            ids = list(session.exec(select(col(Incident.id)).order_by(col(Incident.id))))
        rows = [{"incident_id": i, "workspace_id": ws.id, "resolved_at": now,
                 "due_at": now + timedelta(minutes=30), "updated_at": now,
                 "status": (SCHEDULED if n < DUE else RECORDED if n % 2 else CANCELLED)}
                for n, i in enumerate(ids)]
        with db.transaction() as session:
            session.execute(insert(ChannelArchive), rows)
        idle = _timed(db, now)  # nothing due yet: the index answers with no row
        busy_start = time.perf_counter()
        recorded = channel_archives.record_due(db, now + timedelta(hours=1))
        busy = (time.perf_counter() - busy_start) * 1000
        assert recorded == DUE, recorded
        return busy, idle


def _timed(db: Database, now: datetime) -> float:
    started = time.perf_counter()
    assert channel_archives.record_due(db, now) == 0
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="postgres", choices=("postgres", "sqlite", "both"))
    parser.add_argument("--incidents", type=int, default=100)
    parser.add_argument("--plans", type=int, default=10_000)
    args = parser.parse_args()
    for kind in kinds(args.db):
        with fresh_database(kind) as db:
            print(machine_line(db))
        on = cards(kind, args.incidents, announce=True)
        off = cards(kind, args.incidents, announce=False)
        print(f"[{kind}] cards: {args.incidents} p1s declared → resolved: drain "
              f"{on['seconds']:.2f} s with announce_channel, {off['seconds']:.2f} s without "
              f"({(on['seconds'] / off['seconds'] - 1) * 100:+.0f} %); Slack calls per "
              f"incident {on['calls']:.1f} vs {off['calls']:.1f}; one card each, posted once, "
              "all ending Resolved")
        busy, idle = job(kind, args.plans)
        print(f"[{kind}] job: record_due over {args.plans + DUE:,} plans, {DUE} due: "
              f"{busy:.1f} ms; nothing due: {idle:.1f} ms")


if __name__ == "__main__":
    main()
