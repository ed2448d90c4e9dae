"""`vigilo inbox list|retry`: the deliveries (Slack's, PagerDuty's) that could not be
processed, for operators.

A quarantined delivery holds nothing up; it waits here, with its error, until an operator
retries it (after fixing what it tripped on) or leaves it.
"""

import argparse
import json
from typing import Any

from core.errors import NotFound
from services import inbox
from services.inbox import Delivery
from store.db import Database
from vigilo.cli_base import Commands
from vigilo.settings import Settings


def _row(delivery: Delivery) -> dict[str, Any]:
    return {"id": delivery.id, "source": delivery.source, "kind": delivery.kind,
            "status": delivery.status,
            "attempts": delivery.attempts, "team_id": delivery.team_id,
            "received_at": delivery.received_at, "key": delivery.delivery_key,
            "error": delivery.last_error, "outcome": delivery.outcome,
            "what": _what(delivery)}


def _what(delivery: Delivery) -> str:
    """A short line on what the delivery was, without printing what people typed in full."""
    try:
        body = json.loads(delivery.body)
    except ValueError:
        return delivery.body[:60]
    if isinstance(body, dict):
        found = body.get("event")
        event: dict[str, Any] = found if isinstance(found, dict) else {}
        if delivery.source != "slack":  # a webhook: its event type and what it is about
            return " ".join(str(x) for x in (event.get("event_type"), delivery.subject) if x)
        return " ".join(str(x) for x in (body.get("type"), event.get("type"),
                                         event.get("channel"), event.get("ts")) if x)
    return ""


def _counts(counts: dict[str, dict[str, int]]) -> str:
    return "; ".join(f"{source} " + ", ".join(f"{n} {s}" for s, n in sorted(by.items()))
                     for source, by in sorted(counts.items())) or "empty"


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    db = Database.from_url(settings.database_url)
    status = None if args.all else "quarantined"
    rows = inbox.listing(db, status=status, source=args.source, limit=args.limit)
    if args.json:
        print(json.dumps({"counts": inbox.counts(db), "deliveries": [_row(r) for r in rows]},
                         indent=2, default=str))
        return 0
    print("inbox: " + _counts(inbox.counts(db)))
    for row in rows:
        print(f"#{row.id} {row.source} {row.status} {row.kind} attempts={row.attempts} "
              f"{row.received_at:%Y-%m-%d %H:%M:%S} {_what(row)}\n    {row.last_error or ''}")
    return 0


def cmd_retry(args: argparse.Namespace, settings: Settings) -> int:
    db = Database.from_url(settings.database_url)
    found = inbox.retry(db, args.id)
    if found is None:
        raise NotFound(f"No inbox delivery #{args.id}.")
    print(f"#{found.id} is due again; a running `vigilo serve` takes it within a second.")
    return 0


def register(cli: Commands) -> None:
    cli.group("inbox", "stored Slack and PagerDuty deliveries (quarantined ones, retry)")
    p = cli.add("inbox list", cmd_list, "quarantined deliveries and their errors",
                workspace=False)
    p.add_argument("--all", action="store_true", help="every recent delivery, not only "
                   "quarantined ones")
    p.add_argument("--source", choices=("slack", "pagerduty"), help="only this sender's")
    p.add_argument("--limit", type=int, default=50)
    p = cli.add("inbox retry", cmd_retry, "take a quarantined delivery again", workspace=False)
    p.add_argument("id", type=int)
