"""`vigilo outbox log|pending|retry`: what the integrations did, what is waiting or dead,
and sending it again."""

import argparse

from sqlmodel import col, select

from services import integration_log
from store.models import IntegrationLog
from vigilo.cli_base import Commands, context, emit
from vigilo.settings import Settings


def _effect_lines(rows: list[integration_log.EffectRow]) -> list[str]:
    return [f"#{r.id:<6} {r.status:<7} {r.kind:<24} attempts {r.attempts}"
            + (f", next {r.next_attempt_at:%Y-%m-%d %H:%M:%S}" if r.status == "pending" else "")
            + (f" — {r.last_error}" if r.last_error else "") for r in rows]


def cmd_log(args: argparse.Namespace, settings: Settings) -> int:
    db, ws, _ = context(args, settings)
    with db.read() as session:
        rows = list(session.exec(select(IntegrationLog)
                                 .where(IntegrationLog.workspace_id == ws.id)
                                 .order_by(col(IntegrationLog.id).desc()).limit(args.limit)))
    waiting = integration_log.effects(db, ws.id or 0)
    emit(args, {"log": [{"at": r.at, "integration": r.integration, "direction": r.direction,
                         "kind": r.kind, "ok": r.ok, "incident_id": r.incident_id,
                         "detail": r.detail} for r in rows],
                "waiting": [r.to_json() for r in waiting]},
         "\n".join([*(f"{r.at:%Y-%m-%d %H:%M:%S} {r.integration:<10} {r.direction:<3} "
                      f"{'ok ' if r.ok else 'ERR'} {r.kind}: {r.detail}" for r in rows)]
                   or ["no deliveries yet"])
         + ("\n\npending and dead:\n" + "\n".join(_effect_lines(waiting)) if waiting else
            "\n\nnothing pending or dead"))
    return 0


def cmd_pending(args: argparse.Namespace, settings: Settings) -> int:
    db, ws, _ = context(args, settings)
    rows = integration_log.effects(db, ws.id or 0, ("dead",) if args.dead else ("pending",))
    emit(args, [r.to_json() for r in rows],
         "\n".join(_effect_lines(rows)) or f"no {'dead' if args.dead else 'pending'} effects")
    return 0


def cmd_retry(args: argparse.Namespace, settings: Settings) -> int:
    db, _, actor = context(args, settings)
    count = integration_log.retry(db, actor, args.id, dead=args.dead)
    emit(args, {"retried": count}, f"{count} effect{'s' if count != 1 else ''} due again now "
         "(a running `vigilo serve` delivers them)")
    return 0


def register(cli: Commands) -> None:
    cli.group("outbox", "integration deliveries")
    p = cli.add("outbox log", cmd_log, "recent delivery attempts, and what is pending or dead")
    p.add_argument("--limit", type=int, default=50)
    p = cli.add("outbox pending", cmd_pending, "effects waiting to be delivered")
    p.add_argument("--dead", action="store_true", help="the dead ones instead")
    p = cli.add("outbox retry", cmd_retry, "make an effect (or every dead one) due now")
    p.add_argument("id", nargs="?", type=int, default=None)
    p.add_argument("--dead", action="store_true", help="every dead effect")
