"""Slash-command ack latency with 50 concurrent users, beside /healthz of the same server.

    .venv/bin/python -m bench.bench_slack_ack [--db postgres|sqlite] [--users 50]
                                              [--commands 40] [--think 0.5] [--split]

A fresh schema from the real migrations holds a workspace linked to the sandbox team, one
member per user and a few open incidents. The real app (`vigilo.app.build`, outbox worker on)
runs under uvicorn on loopback; the fake Slack answers its Web API calls and response_urls
from a process of its own; a third process plays the users. Each user sends `--commands`
signed `/vigilo` commands on its own keep-alive connection: a mix of `list`, `show`, `log`
and `new` (10% declare, which creates channels through the outbox). With `--think` the users
start at random moments and pause 0.5-1.5 × think between commands (0.5 s: about 85
commands a second in all, far busier than any real incident); `--think 0` is the burst: all
50 at once, back to back, as fast as the acks come.

Reported, all from the same run: /healthz alone with the same 50 users (the server's own
floor), the command acks (time to Slack's 200), /healthz probed every 20 ms during the
command load, and how long the work after ack took to drain. Goal: ack p99 <= 100 ms.

`--split` (PostgreSQL) serves from `vigilo serve` processes instead of this one: first one
process doing everything (`--role all`, the baseline), then a `--role web` process taking
the commands and a `--role worker` process carrying them out, each on a fresh schema.
"""

import argparse
import logging
import time

from bench.crash_rig import served
from bench.load_generator import generate
from bench.slack_load import (
    http_get,
    http_post,
    pct,
    summary,
)
from core.permissions import Role
from services import incidents, workspaces
from services.actor import Actor
from store.db import Database
from vigilo.sandbox.signing import slash_command
from vigilo.sandbox.slack_model import TEAM_ID

GOAL_P99_MS = 100.0
INCIDENTS = 10


def seed(db: Database, users: list[str]) -> None:
    ws = workspaces.create_workspace(db, "bench", "Bench", slack_team_id=TEAM_ID)
    members = [workspaces.add_member(db, ws.id or 0, u, f"Bench {u}", Role.ENGINEER)
               for u in users]
    actor = Actor(ws.id or 0, members[0].id, members[0].display_name, Role.ENGINEER, "slack")
    for n in range(INCIDENTS):
        incidents.declare(db, actor, title=f"Standing incident {n}", severity="p4")


def commands(slack_url: str, users: list[str], per_user: int) -> list[list[bytes]]:
    """Each user's signed commands: list, show, log, and every tenth a declaration."""
    out = []
    for u, user in enumerate(users):
        mine = []
        for i in range(per_user):
            key = f"INC-{1 + (u + i) % INCIDENTS:04d}"
            text = [f"show {key}", "list", f"log {key} bench note {u}-{i} 🔥 <ok>",
                    "list mine", f"show {key}", f"log {key} still looking {u}-{i}",
                    "list all", f"show {key}", f"log {key} checked {u}-{i}",
                    f"new p4 Bench declared by {user} #{i}"][i % 10]
            body, ctype = slash_command(text, user_id=user, user_name=user.lower(),
                                        channel_id="CBENCH",
                                        response_url=f"{slack_url}response/{user}-{i}",
                                        trigger_id=f"bench-{user}-{i}")
            mine.append(http_post("/slack/events", body, ctype))
        out.append(mine)
    return out


def bench(kind: str, users_count: int, per_user: int, think: float,
          split: bool | None = None) -> bool:
    users = [f"UBENCH{i:03d}" for i in range(users_count)]
    with served(kind, users, seed, split) as rig:
        slack_url, port, wait_idle = rig.slack_url, rig.port, rig.wait_idle
        generate(port, commands(slack_url, users[:5], 2))  # warm-up: pools, caches
        wait_idle(60)
        floor = generate(port, [[http_get("/healthz")] * per_user] * users_count, think=think)
        load = generate(port, commands(slack_url, users, per_user),
                        probe=http_get("/healthz"), think=think)
        started = time.perf_counter()
        drained = wait_idle(300)
        after = time.perf_counter() - started
    total = users_count * per_user
    how = {None: "", False: " (vigilo serve, one process)",
           True: " (vigilo serve, web + worker processes)"}[split]
    print(f"{kind}{how}: {users_count} concurrent users x {per_user} commands"
          f" (think {think * 1000:.0f} ms), {total / load.seconds:.0f} commands/s")
    print(f"  /healthz alone      {summary(floor.latencies)}")
    print(f"  /vigilo ack         {summary(load.latencies)}  statuses {load.statuses}")
    print(f"  /healthz meanwhile  {summary(load.probe)}")
    print(f"  work after ack drained {after:.2f} s after the last ack"
          + ("" if drained else " (NOT drained)"))
    p99 = pct(load.latencies, 99)
    ok = load.statuses.get(200, 0) == total and drained and p99 <= GOAL_P99_MS
    print(f"  ack p99 {p99:.1f} ms (goal <= {GOAL_P99_MS:.0f} ms): {'OK' if ok else 'MISSED'}")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="postgres", choices=["postgres", "sqlite"])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--commands", type=int, default=40, help="per user")
    parser.add_argument("--think", type=float, default=0.5, help="seconds between commands")
    parser.add_argument("--split", action="store_true",
                        help="vigilo serve processes: --role all, then web + worker")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if args.split:
        results = [bench("postgres", args.users, args.commands, args.think, split)
                   for split in (False, True)]
        return 0 if results[-1] else 1
    return 0 if bench(args.db, args.users, args.commands, args.think) else 1


if __name__ == "__main__":
    raise SystemExit(main())
