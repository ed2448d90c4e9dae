"""`vigilo serve | demo | db | workspace | member | token`: running and administering."""

import argparse
import dataclasses

from services import workspaces
from services.actor import Actor
from vigilo.cli_base import CliError, Commands, context, emit, note, open_db
from vigilo.settings import ROLES, Settings


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from vigilo import logs
    from vigilo.server import check_serving, serve

    settings = dataclasses.replace(settings, log_level=settings.log_level or "INFO")
    if args.json:  # the server prints logs, not results: --json makes them JSON lines
        settings = dataclasses.replace(settings, log_format="json")
        logs.configure(settings.log_level or "INFO", "json")
    workers = settings.workers if args.workers is None else args.workers
    if args.role is not None:
        settings = dataclasses.replace(settings, role=args.role)
    try:
        check_serving(settings, workers)
    except ValueError as error:
        raise CliError(str(error)) from None
    serve(settings, host=args.host, port=args.port or settings.port, workers=workers)
    return 0


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from vigilo.demo import run_demo

    return run_demo(keep_serving=not args.no_serve, port=args.port, as_json=args.json)


def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from store.migrate import head_revision, upgrade

    upgrade(settings.database_url)
    emit(args, {"revision": head_revision(), "at_head": True}, "database schema is at head")
    return 0


def cmd_db_check(args: argparse.Namespace, settings: Settings) -> int:
    from alembic.util.exc import CommandError

    from store.migrate import check, current_revision, head_revision

    db = open_db(settings)
    current, head = current_revision(db.engine), head_revision()
    db.dispose()
    if current is None:
        raise CliError("database not initialised: run `vigilo db upgrade`")
    if current != head:
        raise CliError(f"database schema is at {current}, this version needs {head}: "
                       "run `vigilo db upgrade`")
    try:
        check(settings.database_url)
    except CommandError as error:
        raise CliError(f"models and migrations disagree: {str(error).splitlines()[0]}") from None
    emit(args, {"revision": head, "ok": True}, "models and migrations agree")
    return 0


def cmd_ws_create(args: argparse.Namespace, settings: Settings) -> int:
    ws = workspaces.create_workspace(open_db(settings), args.slug, args.name,
                                     args.slack_team or None)
    teams = workspaces.slack_teams(open_db(settings), ws.id or 0)
    emit(args, {"slug": ws.slug, "name": ws.name, "slack_teams": teams},
         f"created workspace {ws.slug}" + (f" for Slack {', '.join(teams)}" if teams else ""))
    return 0


def cmd_ws_list(args: argparse.Namespace, settings: Settings) -> int:
    db = open_db(settings)
    rows = [(w, workspaces.slack_teams(db, w.id or 0)) for w in workspaces.list_workspaces(db)]
    emit(args, [{"slug": w.slug, "name": w.name, "slack_teams": teams,
                 "settings": w.settings} for w, teams in rows],
         "\n".join(f"{w.slug}\t{w.name}\t{','.join(teams) or '-'}" for w, teams in rows)
         or "no workspaces yet: vigilo workspace create SLUG")
    return 0


def cmd_ws_set(args: argparse.Namespace, settings: Settings) -> int:
    db = open_db(settings)
    ws = workspaces.get_workspace(db, args.slug)
    result = workspaces.set_setting(db, Actor.operator(ws.id or 0), args.key, args.value)
    value = result.to_json()[args.key]
    emit(args, {"slug": ws.slug, "key": args.key, "value": value, "settings": result.to_json()},
         f"{ws.slug}: {args.key} = {value}")
    return 0


def _member_json(member: object) -> dict[str, object]:
    return {k: getattr(member, k) for k in ("slack_user_id", "display_name", "role", "email",
                                            "phone", "on_call")}


def cmd_member_add(args: argparse.Namespace, settings: Settings) -> int:
    db, ws, _ = context(args, settings)
    member = workspaces.add_member(db, ws.id or 0, args.slack_user_id, args.name, args.role,
                                   email=args.email, phone=args.phone)
    emit(args, _member_json(member),
         f"added {member.display_name} ({member.slack_user_id}) as {member.role}")
    return 0


def cmd_member_role(args: argparse.Namespace, settings: Settings) -> int:
    db, ws, _ = context(args, settings)
    member = workspaces.set_member(db, Actor.operator(ws.id or 0), args.slack_user_id,
                                   role=args.role)
    emit(args, _member_json(member), f"{member.display_name} is now {member.role}")
    return 0


def cmd_member_list(args: argparse.Namespace, settings: Settings) -> int:
    db, ws, _ = context(args, settings)
    rows = workspaces.list_members(db, ws.id or 0)
    emit(args, [_member_json(m) for m in rows],
         "\n".join(f"{m.slack_user_id}\t{m.role}\t{m.display_name}" for m in rows)
         or "no members yet")
    return 0


def cmd_token_create(args: argparse.Namespace, settings: Settings) -> int:
    db, ws, _ = context(args, settings)
    row, token = workspaces.create_token(db, ws.id or 0, args.name)
    emit(args, {"name": row.name, "workspace": ws.slug, "token": token}, token)
    note(args, "(shown once: only its hash is stored)")
    return 0


def cmd_token_list(args: argparse.Namespace, settings: Settings) -> int:
    db, ws, _ = context(args, settings)
    rows = workspaces.list_tokens(db, ws.id or 0, include_revoked=args.all)
    emit(args, [{"name": t.name, "created_at": t.created_at, "last_used_at": t.last_used_at,
                 "revoked_at": t.revoked_at} for t in rows],
         "\n".join(f"{t.name}\tcreated {t.created_at:%Y-%m-%d %H:%M}\t"
                   + (f"revoked {t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else
                      f"last used {t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at
                      else "never used") for t in rows)
         or "no tokens: vigilo token create --name NAME")
    return 0


def cmd_token_revoke(args: argparse.Namespace, settings: Settings) -> int:
    db, ws, _ = context(args, settings)
    row = workspaces.revoke_token(db, ws.id or 0, args.name)
    emit(args, {"name": row.name, "workspace": ws.slug, "revoked_at": row.revoked_at},
         f"revoked token {row.name}")
    return 0


def register(cli: Commands) -> None:
    p = cli.add("serve", cmd_serve, "serve Slack, pages, API and webhooks", workspace=False,
                log_level="INFO")
    p.add_argument("--host", default="0.0.0.0")
    p.add_argument("--port", type=int, default=None)
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="processes serving one port (PostgreSQL only; default "
                        "WEB_CONCURRENCY or 1)")
    p.add_argument("--role", choices=ROLES, default=None,
                   help="all (default, VIGILO_ROLE): everything; web: store and ack, leaving "
                        "the work to worker processes; worker: carry it out (PostgreSQL)")
    p = cli.add("demo", cmd_demo, "replay an incident against a built-in sandbox Slack",
                workspace=False)
    p.add_argument("--no-serve", action="store_true", help="exit after the replay")
    p.add_argument("--port", type=int, default=0)

    cli.group("db", "database schema")
    cli.add("db upgrade", cmd_db_upgrade, "upgrade the schema to the newest migration",
            workspace=False)
    cli.add("db check", cmd_db_check, "check that models and migrations agree",
            workspace=False)

    cli.group("workspace", "workspaces")
    p = cli.add("workspace create", cmd_ws_create, "create a workspace", workspace=False)
    p.add_argument("slug")
    p.add_argument("--name")
    p.add_argument("--slack-team", nargs="+", action="extend", default=[], metavar="T...",
                   help="Slack team id(s) this workspace serves (several for Enterprise Grid)")
    cli.add("workspace list", cmd_ws_list, "list workspaces", workspace=False)
    p = cli.add("workspace set", cmd_ws_set, "change a workspace setting", workspace=False)
    p.add_argument("slug")
    p.add_argument("key")
    p.add_argument("value")

    cli.group("member", "workspace members")
    p = cli.add("member add", cmd_member_add, "add a member")
    p.add_argument("slack_user_id")
    p.add_argument("name")
    p.add_argument("--role", default="engineer", help="viewer, engineer, admin or owner")
    p.add_argument("--email")
    p.add_argument("--phone", help="international (E.164) number for SMS paging: +14155550123")
    p = cli.add("member role", cmd_member_role, "change a member's role")
    p.add_argument("slack_user_id")
    p.add_argument("role")
    cli.add("member list", cmd_member_list, "list members")

    cli.group("token", "API tokens")
    p = cli.add("token create", cmd_token_create, "create a token (printed once)")
    p.add_argument("--name", required=True, help="unique among the workspace's live tokens")
    p = cli.add("token list", cmd_token_list, "list tokens (never their values)")
    p.add_argument("--all", action="store_true", help="include revoked tokens")
    p = cli.add("token revoke", cmd_token_revoke, "revoke the live token with this name")
    p.add_argument("--name", required=True)
