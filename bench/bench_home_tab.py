"""The App Home tab with 1,000 open incidents: time to build the view, and its size.

    /tmp/venv/bin/python -m bench.bench_home_tab [--db postgres|sqlite] [--open 1000]
                                                 [--runs 50]

A fresh schema from the real migrations; a workspace with `--open` open incidents (every
severity, 200-character titles full of characters Slack needs escaped) plus 50 each
investigating, mitigated and recently resolved, bulk-inserted. Timed, `--runs` times after a
warm-up: the whole view (its queries and rendering) and the rendering alone; the baseline is
the same workspace shape with 10 open incidents, in the same run. The view is then published
to the fake Slack, which refuses what Slack refuses (over 100 blocks, sections over 3,000
characters). Goal: < 100 ms at p95, <= 100 blocks.
"""

import argparse
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import insert, update

from bench.common import fresh_database, machine_line
from bench.slack_load import pct
from bot.home import PER_STATUS, RESOLVED, home_view, render_home
from bot.runtime import Bot
from core.permissions import Role
from integrations.slack.client import build_client
from services import slack_team, workspaces
from services.overview import overview
from store.db import Database
from store.models import Incident, Workspace
from store.types import utcnow
from vigilo.sandbox.slack_api import FakeSlack

GOAL_MS = 100.0
MAX_BLOCKS = 100
TITLE = ("Checkout <EU> & payments: 5xx from the edge & retries " * 4)[:200]


def seed(db: Database, slug: str, open_count: int) -> int:
    ws = workspaces.create_workspace(db, slug, slug.title(), slack_team_id=f"T{slug.upper()}")
    ws_id = ws.id or 0
    members = [workspaces.add_member(db, ws_id, f"U{slug.upper()}{i}", f"Commander {i}",
                                     Role.ENGINEER) for i in range(10)]
    now = utcnow()
    shape = [("open", open_count), ("investigating", 50), ("mitigated", 50), ("resolved", 50)]
    rows: list[dict[str, Any]] = []
    for status, count in shape:
        for _ in range(count):
            n = len(rows) + 1
            rows.append({"workspace_id": ws_id, "number": n, "title": TITLE,
                         "severity": f"p{1 + n % 4}", "status": status,
                         "commander_id": members[n % 10].id, "services": ["checkout"],
                         "detected_at": now - timedelta(minutes=n),
                         "created_at": now - timedelta(minutes=n), "updated_at": now,
                         "resolved_at": now - timedelta(hours=1) if status == "resolved" else None,
                         "slack_channel_id": f"C{slug.upper()}{n:06d}"})
    with db.transaction() as session:
        session.execute(insert(Incident), rows)
        session.execute(update(Workspace).where(Workspace.id == ws_id)  # type: ignore[arg-type]
                        .values(last_incident_number=len(rows)))
    return ws_id


def timed(fn: Any, runs: int) -> list[float]:
    fn()
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        out.append(time.perf_counter() - started)
    return out


def bench(kind: str, open_count: int, runs: int) -> bool:
    with fresh_database(kind) as db, FakeSlack("xoxb-bench") as fake:
        print(machine_line(db))
        fake.add_user("UVIEWER", "viewer")
        bot = Bot(db, build_client("xoxb-bench", fake.base_url), "http://vigilo.bench")
        figures = {}
        for slug, count in (("small", 10), ("big", open_count)):
            ws_id = seed(db, slug, count)
            workspace = slack_team.workspace_ref(db, f"T{slug.upper()}")
            assert workspace is not None and workspace.id == ws_id
            groups = overview(db, ws_id, per_status=PER_STATUS, resolved=RESOLVED)
            view = home_view(bot, workspace)
            figures[slug] = (timed(lambda w=workspace: home_view(bot, w), runs),
                             timed(lambda g=groups, w=workspace: render_home(g, bot, w, utcnow()),
                                   runs), view)
        bot.client.views_publish(user_id="UVIEWER", view=figures["big"][2])  # Slack's checks
    print(f"{kind}: home tab, {runs} runs each after a warm-up")
    for slug, count in (("small", 10), ("big", open_count)):
        whole, render, view = figures[slug]
        sections = [b["text"]["text"] for b in view["blocks"] if b["type"] == "section"]
        print(f"  {count:5} open + 150 others: view p50 {pct(whole, 50):6.1f} ms  "
              f"p95 {pct(whole, 95):6.1f} ms   rendering alone p50 {pct(render, 50):5.2f} ms"
              f"   {len(view['blocks'])} blocks, longest section {max(map(len, sections))} "
              "chars")
    whole, _, view = figures["big"]
    ok = pct(whole, 95) < GOAL_MS and len(view["blocks"]) <= MAX_BLOCKS
    print(f"  goal < {GOAL_MS:.0f} ms at p95 and <= {MAX_BLOCKS} blocks with {open_count} open: "
          f"{'OK' if ok else 'MISSED'} (published to the fake Slack without complaint)")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="postgres", choices=["postgres", "sqlite"])
    parser.add_argument("--open", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args(argv)
    return 0 if bench(args.db, args.open, args.runs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
