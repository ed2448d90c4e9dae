"""`vigilo change add|list` and `vigilo runbook add|list|remove`: for operators and CI/CD."""

import argparse
from datetime import datetime

from core.change_keys import format_change_key
from core.errors import InvalidInput
from services import change_requests, runbooks
from store.insight_models import Runbook
from store.models import ChangeRequest, Workspace
from vigilo.cli_base import Commands, context, emit
from vigilo.settings import Settings


def _when(text: str | None, name: str) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"{name} '{text[:40]}' is not an ISO 8601 time like "
                           "2026-11-26T03:12:00Z.", field=name) from None


def _change_json(settings: Settings, ws: Workspace, row: ChangeRequest) -> dict[str, object]:
    key = format_change_key(row.number)
    return {"key": key, "url": f"{settings.base_url}/ws/{ws.slug}/changes/{key}",
            "title": row.title, "affected_assets": list(row.affected_assets),
            "author": row.author, "link": row.link, "started_at": row.started_at.isoformat(),
            "finished_at": row.finished_at.isoformat() if row.finished_at else None}


def cmd_change_add(args: argparse.Namespace, settings: Settings) -> int:
    db, ws, actor = context(args, settings)
    change = change_requests.clean_change(
        args.title, args.description, args.assets, args.author, args.link,
        _when(args.started_at, "started_at"), _when(args.finished_at, "finished_at"))
    row, replayed = change_requests.create(db, actor, change, idempotency_key=args.key)
    data = _change_json(settings, ws, row)
    emit(args, data, f"{'already recorded' if replayed else 'recorded'} {data['key']}: "
                     f"{row.title}\n{data['url']}")
    return 0


def cmd_change_list(args: argparse.Namespace, settings: Settings) -> int:
    db, ws, _ = context(args, settings)
    rows = change_requests.recent(db, ws.id or 0, limit=args.limit, search=args.search)
    emit(args, [_change_json(settings, ws, r) for r in rows],
         "\n".join(f"{format_change_key(r.number)}\t{r.started_at:%Y-%m-%d %H:%M}\t"
                   f"{','.join(r.affected_assets) or '-'}\t{r.title}" for r in rows)
         or "no changes")
    return 0


def _runbook_json(row: Runbook) -> dict[str, object]:
    return {"id": row.id, "title": row.title, "tags": list(row.tags), "link": row.link,
            "excerpt": row.excerpt}


def cmd_runbook_add(args: argparse.Namespace, settings: Settings) -> int:
    db, _, actor = context(args, settings)
    row = runbooks.add(db, actor, title=args.title, tags=args.tags, link=args.link,
                       excerpt=args.excerpt)
    emit(args, _runbook_json(row), f"added runbook #{row.id}: {row.title}")
    return 0


def cmd_runbook_list(args: argparse.Namespace, settings: Settings) -> int:
    db, ws, _ = context(args, settings)
    rows = runbooks.list_runbooks(db, ws.id or 0)
    emit(args, [_runbook_json(r) for r in rows],
         "\n".join(f"#{r.id}\t{','.join(r.tags) or '-'}\t{r.title}\t{r.link or ''}"
                   for r in rows) or "no runbooks")
    return 0


def cmd_runbook_remove(args: argparse.Namespace, settings: Settings) -> int:
    db, _, actor = context(args, settings)
    number = str(args.id).lstrip("#")
    if not number.isdigit():
        raise InvalidInput(f"'{args.id}' is not a runbook number (see `vigilo runbook list`).",
                           field="runbook")
    row = runbooks.remove(db, actor, int(number))
    emit(args, _runbook_json(row), f"removed runbook #{row.id}: {row.title}")
    return 0


def register(cli: Commands) -> None:
    cli.group("change", "change requests (CHG-NNNN) for Suggest cause")
    p = cli.add("change add", cmd_change_add, "record a deploy or config change")
    p.add_argument("--title", required=True)
    p.add_argument("--assets", default=None, help="comma-separated affected assets/services")
    p.add_argument("--description", default="")
    p.add_argument("--author", default=None)
    p.add_argument("--link", default=None, help="http(s) URL of the pipeline run or PR")
    p.add_argument("--started-at", default=None, help="ISO 8601 time with zone (default now)")
    p.add_argument("--finished-at", default=None, help="ISO 8601 time with zone")
    p.add_argument("--key", default=None, help="idempotency key: the same key records once")
    p.add_argument("--as", dest="as_member", default=None, help="act as this Slack user id")
    p = cli.add("change list", cmd_change_list, "recent changes, newest first")
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--search", default=None, help="a key (CHG-12) or words of the title")
    cli.group("runbook", "runbooks suggested on matching incidents")
    p = cli.add("runbook add", cmd_runbook_add, "add a runbook")
    p.add_argument("--title", required=True)
    p.add_argument("--tags", default=None, help="comma-separated tags")
    p.add_argument("--link", default=None, help="http(s) URL of the runbook")
    p.add_argument("--excerpt", default="", help="a short excerpt shown with the suggestion")
    p.add_argument("--as", dest="as_member", default=None, help="act as this Slack user id")
    cli.add("runbook list", cmd_runbook_list, "list runbooks")
    p = cli.add("runbook remove", cmd_runbook_remove, "remove a runbook by number")
    p.add_argument("id")
    p.add_argument("--as", dest="as_member", default=None, help="act as this Slack user id")
