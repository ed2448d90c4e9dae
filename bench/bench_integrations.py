"""PagerDuty webhooks in, and paging out, against the sandbox PagerDuty and Twilio.

    .venv/bin/python -m bench.bench_integrations [--db postgres|sqlite] [--users 50]
                                                 [--deliveries 20] [--burst 100]

1. Inbound: `--users` concurrent PagerDuty senders, each posting `--deliveries` signed
   webhooks v3 (annotations and acknowledgements of mirrored incidents, some redelivered)
   on its own keep-alive connection to the real app under uvicorn; time to PagerDuty's 2xx.
   Baseline: /healthz with the same users, same server, same run. Goal: p99 <= 250 ms.
2. Outbound: `--burst` p1 declarations from 25 threads at once; for each, the time from its
   commit to the SMS accepted by the fake Twilio and to the PagerDuty incident created, and
   from the moment it was asked for (what the person declaring waits, including any wait to
   be recorded while the others are recorded).
   Baseline: one declaration alone. Goal: p99 <= 1 s. Duplicates (a second SMS to the
   on-call, or a second PagerDuty incident, for one declaration) must be 0.

The fakes run in a process of their own (bench/fakes_apart.py), as PagerDuty and Twilio are
remote; with `--fakes-here` they run in this process and share its interpreter lock with
Vigilo, which made the figures pessimistic (both are in the 2026-12-03 note).
"""

import argparse
import json
import logging
import re
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlmodel import select

from bench.common import fresh_database, machine_line, run_threads
from bench.cpu import CpuClock
from bench.fakes_apart import FakesApart, FakesHere, fakes_apart, fakes_here
from bench.load_generator import generate
from bench.slack_load import http_flavour, http_get, pct, serving, summary
from core.permissions import Role
from services import incidents, oncall, workspaces
from services.actor import Actor
from store.db import Database
from store.models import Incident
from store.types import utcnow
from vigilo.app import Vigilo, build
from vigilo.sandbox.pagerduty_api import API_KEY, FROM_EMAIL, SERVICE_ID, sign_webhook
from vigilo.sandbox.twilio_api import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER
from vigilo.settings import Settings

SECRET = "bench-pd-secret"
PHONE = "+4915112345678"
GOAL_IN_MS = 250.0
GOAL_OUT_MS = 1000.0
KEY = re.compile(r"INC-\d{4}")
Fakes = FakesApart | FakesHere


@contextmanager
def rig(kind: str, here: bool) -> Iterator[tuple[Database, Vigilo, Fakes, Actor]]:
    import os

    with tempfile.TemporaryDirectory() as folder, \
            fresh_database(kind, pool_size=40) as db, \
            (fakes_here if here else fakes_apart)(folder) as fakes:
        os.environ["SSL_CERT_FILE"] = fakes.ca_file
        print(machine_line(db) + f", uvicorn/{http_flavour()}")
        ws = workspaces.create_workspace(db, "bench", "Bench")
        admin = Actor(ws.id or 0, None, "operator", Role.OWNER, "cli")
        member = workspaces.add_member(db, ws.id or 0, "UONCALL1", "On Call", phone=PHONE)
        oncall.create_schedule(db, admin, "primary", "UTC", "00:00", "weekly",
                               utcnow().date() - timedelta(days=1))
        oncall.add_to_rotation(db, admin, None, member.slack_user_id)
        settings = Settings(base_url="http://vigilo.bench", workspace="bench", pagerduty={
            "PAGERDUTY_API_KEY": API_KEY, "PAGERDUTY_FROM_EMAIL": FROM_EMAIL,
            "PAGERDUTY_SERVICE_ID": SERVICE_ID, "PAGERDUTY_API_URL": fakes.pd_url,
            "PAGERDUTY_WEBHOOK_SECRET": SECRET}, twilio={
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_FROM_NUMBER": FROM_NUMBER, "TWILIO_API_URL": fakes.sms_url})
        actor = Actor(ws.id or 0, member.id, member.display_name, Role.ENGINEER, "cli")
        yield db, build(settings, db=db), fakes, actor


def webhook(event_id: str, event_type: str, pd_id: str) -> bytes:
    data: dict[str, object] = {"id": pd_id, "type": "incident"}
    if event_type == "incident.annotated":
        data = {"type": "incident_note", "incident": {"id": pd_id},
                "content": f"note {event_id}"}
    body = json.dumps({"event": {"id": event_id, "event_type": event_type,
                                 "resource_type": "incident",
                                 "occurred_at": utcnow().isoformat(),
                                 "agent": {"summary": "Bench Pager"}, "data": data}}).encode()
    lines = ["POST /integrations/pagerduty_events/ HTTP/1.1", "Host: vigilo.bench",
             "Content-Type: application/json", f"Content-Length: {len(body)}",
             f"X-PagerDuty-Signature: {sign_webhook(SECRET, body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def inbound(port: int, pd_ids: list[str], users: int, per_user: int) -> None:
    floor = generate(port, [[http_get("/healthz")] * per_user for _ in range(users)])
    print(f"  /healthz alone, {users} users:      {summary(floor.latencies)}")
    senders = []
    for u in range(users):
        mine = []
        for i in range(per_user):
            pd_id = pd_ids[(u + i) % len(pd_ids)]
            kind = "incident.acknowledged" if i % 4 == 0 else "incident.annotated"
            # Every fifth delivery repeats the previous one: PagerDuty redelivers.
            event_id = f"E{u}-{i - 1 if i % 5 == 4 else i}"
            mine.append(webhook(event_id, kind, pd_id))
        senders.append(mine)
    load = generate(port, senders)
    p99 = pct(load.latencies, 99)
    print(f"  PagerDuty webhooks, {users} senders: {summary(load.latencies)}  "
          f"statuses {dict(sorted(load.statuses.items()))}")
    print(f"  goal p99 <= {GOAL_IN_MS:.0f} ms: {'met' if p99 <= GOAL_IN_MS else 'NOT met'}")


def outbound(db: Database, vigilo: Vigilo, fakes: Fakes, actor: Actor,
             burst: int) -> None:
    def declare(title: str) -> tuple[str, float, float]:
        asked = time.time()
        incident = incidents.declare(db, actor, title=title, severity="p1")
        vigilo.worker.notify()
        return f"INC-{incident.number:04d}", asked, time.time()

    def delays(declared: dict[str, float], since_calls: int, since_sms: int
               ) -> tuple[list[float], list[float], int]:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            calls = fakes.pd_calls("POST /incidents")[since_calls:]
            texts = fakes.texts()[since_sms:]
            if len(calls) >= len(declared) and len(texts) >= len(declared):
                break
            time.sleep(0.05)
        created = {KEY.search(body["incident"]["title"]).group(0): at  # type: ignore
                   for at, body in calls}
        sent = Counter(KEY.search(body).group(0) for body, _ in texts)  # type: ignore
        texted = {KEY.search(body).group(0): at for body, at in texts}  # type: ignore
        dup = sum(n - 1 for n in sent.values()) + len(calls) - len(created)
        return ([texted[k] - t for k, t in declared.items() if k in texted],
                [created[k] - t for k, t in declared.items() if k in created], dup)

    calls, texts = len(fakes.pd_calls("POST /incidents")), len(fakes.texts())
    key, _, at = declare("Alone")
    sms_alone, pd_alone, _ = delays({key: at}, calls, texts)
    print(f"  one p1 alone:        SMS {sms_alone[0] * 1000:.0f} ms, "
          f"PagerDuty {pd_alone[0] * 1000:.0f} ms")
    calls, texts = len(fakes.pd_calls("POST /incidents")), len(fakes.texts())
    clock = CpuClock()
    _, results = run_threads(25, lambda i: [declare(f"Burst {i}-{j}")
                                            for j in range(burst // 25)])
    declared = {key: at for batch in results for key, _, at in batch}
    asked = {key: at for batch in results for key, at, _ in batch}
    to_sms, to_pd, dup = delays(declared, calls, texts)
    cpu = clock.report(top=8)
    from_ask_sms, from_ask_pd, _ = delays(asked, calls, texts)
    print(f"  {len(declared)} p1 in a burst, to the SMS:       {summary(to_sms)}")
    print(f"  {len(declared)} p1 in a burst, to PagerDuty:     {summary(to_pd)}")
    print(f"    from asking to the SMS:             {summary(from_ask_sms)}")
    print(f"    from asking to PagerDuty:           {summary(from_ask_pd)}")
    print(f"    ({cpu})")
    worst = max(pct(to_sms, 99), pct(to_pd, 99))
    print(f"  duplicates delivered: {dup}; missing: SMS {len(declared) - len(to_sms)}, "
          f"PagerDuty {len(declared) - len(to_pd)}")
    print(f"  goal p99 <= {GOAL_OUT_MS:.0f} ms: {'met' if worst <= GOAL_OUT_MS else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="postgres")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--deliveries", type=int, default=20)
    parser.add_argument("--burst", type=int, default=100)
    parser.add_argument("--fakes-here", action="store_true",
                        help="run the fake PagerDuty and Twilio in this process (as before "
                             "2026-12-03), sharing its interpreter lock with Vigilo")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("services.pagerduty_inbound").setLevel(logging.WARNING)
    print("the fake PagerDuty and Twilio run " + ("in this process, sharing its interpreter "
                                                  "lock" if args.fakes_here else
                                                  "in a process of their own, as remote "
                                                  "services would"))
    with rig(args.db, args.fakes_here) as (db, vigilo, fakes, actor), \
            serving(vigilo.asgi) as port:  # type: ignore[arg-type]
        for n in range(10):  # mirrored incidents for the webhooks to land on
            incidents.declare(db, actor, title=f"Mirrored {n}", severity="p1")
        vigilo.worker.notify()
        deadline = time.monotonic() + 30
        pd_ids: list[str] = []
        while len(pd_ids) < 10 and time.monotonic() < deadline:
            time.sleep(0.05)
            with db.read() as session:
                pd_ids = [i for i in session.exec(select(Incident.pagerduty_incident_id)) if i]
        print(f"inbound ({len(pd_ids)} mirrored incidents):")
        inbound(port, pd_ids, args.users, args.deliveries)
        started = time.monotonic()
        assert vigilo.pagerduty_inbox is not None
        vigilo.pagerduty_inbox.wait_idle(120)
        print(f"  the inbox worked them all {time.monotonic() - started:.1f} s after the "
              "last 2xx")
        print("outbound:")
        outbound(db, vigilo, fakes, actor, args.burst)


if __name__ == "__main__":
    main()
