"""Two `vigilo serve` replicas on one PostgreSQL, Slack traffic spread over both as a load
balancer would, one replica killed with SIGKILL mid-run; what it had acked is finished by
the other (its inbox rows come back when their lease ends), unacknowledged deliveries are
sent again to the survivor.

    .venv/bin/python -m bench.bench_slack_replicas [--messages 3000] [--declarations 40]

Traffic: channel messages into existing incident channels, and `/vigilo new` declarations,
each of which makes an incident channel through the outbox. Counted: messages lost or
doubled on the timelines, incidents per declaration, channels per incident in the fake Slack.
"""

import argparse
import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import func, update
from sqlmodel import select

from bench.common import fresh_url, machine_line
from bench.crash_rig import (
    TOKEN,
    deliver,
    free_port,
    message_bodies,
    pending,
    recorded,
    vigilo_server,
)
from core.permissions import Role
from services import incidents, workspaces
from services.actor import Actor
from store.db import Database
from store.models import Incident
from vigilo.sandbox.signing import APP_ID
from vigilo.sandbox.slack_api import FakeSlack
from vigilo.sandbox.slack_model import TEAM_DOMAIN, TEAM_ID

LEASE = "3"  # seconds before the survivor takes the dead replica's unfinished deliveries


@dataclass
class ReplicaResult:
    messages: int = 0
    declarations: int = 0
    acked_before_kill: int = 0
    redelivered: int = 0
    lost: int = 0
    duplicated: int = 0
    incidents_made: int = 0
    declarations_without_incident: int = 0
    duplicate_titles: int = 0
    channels_per_incident: dict[int, int] = field(default_factory=dict)
    seconds_to_settle: float = 0.0


def declaration(user: str, n: int, response_url: str) -> bytes:
    fields = {"token": "x", "team_id": TEAM_ID, "team_domain": TEAM_DOMAIN,
              "channel_id": "CGENERAL", "channel_name": "general", "user_id": user,
              "user_name": user.lower(), "command": "/vigilo",
              "text": f"new p3 Replica outage {n}", "api_app_id": APP_ID,
              "is_enterprise_install": "false", "response_url": response_url,
              "trigger_id": f"replica-{n}"}
    return urlencode(fields).encode()


def two_replicas(db: Database, database_url: str, slack_url: str, fake_channels: Any,
                 channels: list[str], users: list[str], response_url: Any, *, messages: int,
                 declarations: int, kill_after: int, connections: int = 20,
                 settle_timeout: float = 90.0) -> ReplicaResult:
    """`fake_channels()` lists the fake Slack's channel names; `response_url(n)` is the
    response_url of declaration n."""
    with db.read() as session:
        before = int(session.exec(select(func.count()).select_from(Incident)).one())
    texts = message_bodies(channels, users, messages, int(time.time()) - 3600)
    bodies = [body for _, body in texts]
    bodies += [declaration(users[n % len(users)], n, response_url(n))
               for n in range(declarations)]
    order = list(range(len(bodies)))
    order = order[::2] + order[1::2]  # declarations interleaved with messages
    result = ReplicaResult(messages=messages, declarations=declarations)
    statuses: dict[int, int] = {}
    ports = [free_port(), free_port()]
    extra = {"VIGILO_INBOX_LEASE": LEASE}
    with vigilo_server(database_url, slack_url, ports[0], extra=extra) as doomed, \
            vigilo_server(database_url, slack_url, ports[1], extra=extra):
        acked = asyncio.run(deliver(ports, bodies, order, connections, statuses,
                                     kill=(doomed, kill_after)))
        doomed.wait(10)
        result.acked_before_kill = len(acked)
        missing = [i for i in order if i not in acked]
        result.redelivered = len(missing)
        started = time.monotonic()
        again = asyncio.run(deliver(ports[1], bodies, missing, connections, statuses,
                                     retry=True))
        if len(again) != len(missing):
            raise RuntimeError(f"{len(missing) - len(again)} redeliveries were not acked")
        expected = {key for key, _ in texts}
        titles = {f"Replica outage {n}" for n in range(declarations)}
        deadline = started + settle_timeout
        while time.monotonic() < deadline:
            _, keys = recorded(db)
            made = _made(db, before)
            named = {name for name in fake_channels() if "replica-outage" in name}
            if (expected <= keys and titles <= {t for t, _ in made} and pending(db) == 0
                    and len(named) >= len(made)):
                break
            time.sleep(0.2)
        result.seconds_to_settle = time.monotonic() - started
    rows, keys = recorded(db)
    result.lost = len(expected - keys)
    result.duplicated = rows - len(keys)
    made = _made(db, before)
    result.incidents_made = len(made)
    result.declarations_without_incident = len(titles - {t for t, _ in made})
    result.duplicate_titles = len(made) - len({t for t, _ in made})
    names = fake_channels()
    for _, number in made:
        prefix = f"inc-{number:04d}-"
        count = sum(1 for name in names if name.startswith(prefix))
        result.channels_per_incident[count] = result.channels_per_incident.get(count, 0) + 1
    return result


def _made(db: Database, before: int) -> list[tuple[str, int]]:
    with db.read() as session:
        return [(i.title, i.number) for i in session.exec(
            select(Incident).where(Incident.number > before))]


CHANNELS = ["CREPLICA0", "CREPLICA1", "CREPLICA2", "CREPLICA3"]
USERS = [f"UREPLICA{i:02d}" for i in range(20)]


def seed(db: Database) -> None:
    ws = workspaces.create_workspace(db, "replicas", "Replicas", slack_team_id=TEAM_ID)
    members = [workspaces.add_member(db, ws.id or 0, u, f"Replica {u}", Role.ENGINEER)
               for u in USERS]
    actor = Actor(ws.id or 0, members[0].id, members[0].display_name, Role.ENGINEER, "slack")
    for n, channel in enumerate(CHANNELS):
        incident = incidents.declare(db, actor, title=f"Standing {n}")
        with db.transaction() as session:
            session.execute(update(Incident).where(
                Incident.id == incident.id).values(slack_channel_id=channel))  # type: ignore


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--declarations", type=int, default=40)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    with fresh_url("postgres") as url, FakeSlack(TOKEN) as fake:
        db = Database.from_url(url)
        print(machine_line(db))
        seed(db)
        for user in USERS:
            fake.add_user(user, user.lower(), f"Replica {user}")
        total = args.messages + args.declarations
        result = two_replicas(
            db, url, fake.base_url, lambda: [c.name for c in fake.channels.values()],
            CHANNELS, USERS, lambda n: fake.response_url(f"replica-{n}"),
            messages=args.messages, declarations=args.declarations, kill_after=total // 2)
        db.dispose()
    print(f"postgres: {args.messages} channel messages + {args.declarations} `/vigilo new` "
          f"spread over 2 replicas (20 connections); one SIGKILLed after "
          f"{result.acked_before_kill} acks, {result.redelivered} unacknowledged sent again "
          f"to the other")
    print(f"  settled {result.seconds_to_settle:.2f} s after the kill: messages lost "
          f"{result.lost}, duplicated {result.duplicated}; incidents {result.incidents_made} "
          f"for {args.declarations} declarations (missing "
          f"{result.declarations_without_incident}, doubled {result.duplicate_titles}); "
          f"channels per incident {result.channels_per_incident}")
    ok = (result.lost == result.duplicated == result.declarations_without_incident
          == result.duplicate_titles == 0
          and result.channels_per_incident == {1: args.declarations})
    print(f"  goal nothing lost, no duplicate incident, channel or timeline entry: "
          f"{'OK' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
