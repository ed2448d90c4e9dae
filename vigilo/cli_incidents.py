"""`vigilo incident ...`: for operators and scripts."""

import argparse
from datetime import datetime

from core.errors import InvalidInput
from core.fsm import Status, parse_move, parse_status
from services import incidents, queries, workspaces
from store.db import Database
from store.models import Workspace
from vigilo.cli_base import Commands, context, emit
from vigilo.settings import Settings


def _url(settings: Settings, ws: Workspace, key: str) -> str:
    return f"{settings.base_url}/ws/{ws.slug}/incidents/{key}"


def cmd_declare(args: argparse.Namespace, settings: Settings) -> int:
    db, ws, actor = context(args, settings)
    commander = None
    if args.commander:
        commander = workspaces.require_member(db, ws.id or 0, args.commander).id
    detected = None
    if args.detected_at:
        try:
            detected = datetime.fromisoformat(args.detected_at.replace("Z", "+00:00"))
        except ValueError:
            raise InvalidInput(f"detected_at '{args.detected_at}' is not an ISO time.",
                               field="detected_at") from None
    incident = incidents.declare(db, actor, title=args.title, description=args.description,
                                 severity=args.severity, services=args.services,
                                 detected_at=detected, commander_id=commander)
    return _show(args, settings, db, ws, incident.number)


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    db, ws, _ = context(args, settings)
    statuses = None if args.status == "all" else (
        list(queries.active_statuses()) if args.status == "open" else [parse_status(args.status)])
    rows = queries.list_incidents(db, ws.id or 0, statuses=statuses)
    emit(args, [queries.summary_json(r, _url(settings, ws, r.key)) for r in rows],
           "\n".join(f"{r.key}\t{r.incident.severity}\t{r.incident.status:<13}\t"
                     f"{r.commander or '-'}\t{r.incident.title}" for r in rows)
           or "no incidents")
    return 0


def cmd_show(args: argparse.Namespace, settings: Settings) -> int:
    db, ws, _ = context(args, settings)
    return _show(args, settings, db, ws, args.key)


def _show(args: argparse.Namespace, settings: Settings, db: Database, ws: Workspace,
          key: str | int) -> int:
    detail = queries.get_detail(db, ws.id or 0, key)
    data = queries.detail_json(detail, _url(settings, ws, detail.key))
    i = detail.incident
    lines = [f"{detail.key} [{i.severity}] {i.status}: {i.title}",
             f"  commander: {detail.commander or '-'}",
             f"  responders: {', '.join(f'{r.name} ({r.role})' for r in detail.responders)}"]
    if i.root_cause:
        lines.append(f"  root cause: {i.root_cause}")
    lines += [f"  {e.at:%H:%M:%S} {e.source:<6} {e.text}" for e in detail.timeline]
    emit(args, data, "\n".join(lines))
    return 0


def cmd_transition(args: argparse.Namespace, settings: Settings) -> int:
    db, ws, actor = context(args, settings)
    incidents.transition(db, actor, args.key, parse_move(args.move), root_cause=args.root_cause)
    return _show(args, settings, db, ws, args.key)


def cmd_force(args: argparse.Namespace, settings: Settings) -> int:
    db, ws, actor = context(args, settings)
    incidents.force_status(db, actor, args.key, parse_status(args.status), args.reason)
    return _show(args, settings, db, ws, args.key)


def register(cli: Commands) -> None:
    cli.group("incident", "incidents")
    p = cli.add("incident declare", cmd_declare, "declare an incident")
    p.add_argument("--title", required=True)
    p.add_argument("--severity", default=None, help="p1, p2, p3 (default) or p4")
    p.add_argument("--description", default="")
    p.add_argument("--services", default=None, help="comma-separated affected services")
    p.add_argument("--detected-at", default=None, help="ISO 8601 time with zone")
    p.add_argument("--commander", default=None, help="Slack user id of the commander")
    p.add_argument("--as", dest="as_member", default=None, help="act as this Slack user id")
    p = cli.add("incident list", cmd_list, "list incidents")
    p.add_argument("--status", default="open",
                   help="open (active), all, or one status: " + ", ".join(s for s in Status))
    p = cli.add("incident show", cmd_show, "show one incident")
    p.add_argument("key")
    p = cli.add("incident transition", cmd_transition,
                "move an incident through its lifecycle")
    p.add_argument("key")
    p.add_argument("move", help="investigate, mitigate, resolve, postmortem, reopen")
    p.add_argument("--root-cause", default=None)
    p.add_argument("--as", dest="as_member", default=None, help="act as this Slack user id")
    p = cli.add("incident force", cmd_force, "force a status (admins; audited)")
    p.add_argument("key")
    p.add_argument("status")
    p.add_argument("--reason", required=True)
    p.add_argument("--as", dest="as_member", default=None, help="act as this Slack user id")
