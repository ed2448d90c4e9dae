"""The `vigilo` command line. Errors are one clear line on stderr and a non-zero exit."""

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

from core.errors import DomainError
from integrations.registry import RegistryError
from services import workspaces
from services.actor import Actor
from store.db import Database
from vigilo import cli_incidents, cli_oncall
from vigilo.settings import Settings

Command = Callable[[argparse.Namespace, Settings], int]


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    try:
        settings = Settings.from_env()
        return int(args.run(args, settings))
    except DomainError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 2
    except (ValueError, OSError, RegistryError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def emit(args: argparse.Namespace, data: Any, text: str) -> None:
    print(json.dumps(data, indent=2, default=str) if getattr(args, "json", False) else text)


def open_db(settings: Settings) -> Database:
    return Database.from_url(settings.database_url)


# -- commands ---------------------------------------------------------------------------------
def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from vigilo.server import serve

    serve(settings, host=args.host, port=args.port or settings.port)
    return 0


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from vigilo.demo import run_demo

    return run_demo(keep_serving=not args.no_serve, port=args.port)


def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from store.migrate import upgrade

    upgrade(settings.database_url)
    print("database schema is at head")
    return 0


def cmd_db_check(args: argparse.Namespace, settings: Settings) -> int:
    from store.migrate import check

    check(settings.database_url)
    print("models and migrations agree")
    return 0


def cmd_ws_create(args: argparse.Namespace, settings: Settings) -> int:
    ws = workspaces.create_workspace(open_db(settings), args.slug, args.name, args.slack_team)
    emit(args, {"slug": ws.slug, "name": ws.name}, f"created workspace {ws.slug}")
    return 0


def cmd_ws_list(args: argparse.Namespace, settings: Settings) -> int:
    rows = workspaces.list_workspaces(open_db(settings))
    emit(args, [{"slug": w.slug, "name": w.name, "slack_team_id": w.slack_team_id,
                 "settings": w.settings} for w in rows],
         "\n".join(f"{w.slug}\t{w.name}\t{w.slack_team_id or '-'}" for w in rows)
         or "no workspaces yet: vigilo workspace create SLUG")
    return 0


def cmd_ws_set(args: argparse.Namespace, settings: Settings) -> int:
    db = open_db(settings)
    ws = workspaces.get_workspace(db, args.slug)
    result = workspaces.set_setting(db, Actor.operator(ws.id or 0), args.key, args.value)
    emit(args, result.to_json(), f"{args.slug}: {args.key} = {result.to_json()[args.key]}")
    return 0


def cmd_member_add(args: argparse.Namespace, settings: Settings) -> int:
    db = open_db(settings)
    ws = cli_incidents.workspace_of(db, args, settings)
    member = workspaces.add_member(db, ws.id or 0, args.slack_user_id, args.name, args.role,
                                   email=args.email, phone=args.phone)
    emit(args, {"slack_user_id": member.slack_user_id, "role": member.role},
         f"added {member.display_name} ({member.slack_user_id}) as {member.role}")
    return 0


def cmd_member_role(args: argparse.Namespace, settings: Settings) -> int:
    db = open_db(settings)
    ws = cli_incidents.workspace_of(db, args, settings)
    member = workspaces.set_member(db, Actor.operator(ws.id or 0), args.slack_user_id,
                                   role=args.role)
    emit(args, {"slack_user_id": member.slack_user_id, "role": member.role},
         f"{member.display_name} is now {member.role}")
    return 0


def cmd_member_list(args: argparse.Namespace, settings: Settings) -> int:
    db = open_db(settings)
    ws = cli_incidents.workspace_of(db, args, settings)
    rows = workspaces.list_members(db, ws.id or 0)
    emit(args, [{"slack_user_id": m.slack_user_id, "name": m.display_name, "role": m.role,
                 "on_call": m.on_call} for m in rows],
         "\n".join(f"{m.slack_user_id}\t{m.role}\t{m.display_name}" for m in rows)
         or "no members yet")
    return 0


def cmd_token_create(args: argparse.Namespace, settings: Settings) -> int:
    db = open_db(settings)
    ws = cli_incidents.workspace_of(db, args, settings)
    _, token = workspaces.create_token(db, ws.id or 0, args.name)
    emit(args, {"name": args.name, "workspace": ws.slug, "token": token}, token)
    if not getattr(args, "json", False):
        print("(shown once: only its hash is stored)", file=sys.stderr)
    return 0


def cmd_token_revoke(args: argparse.Namespace, settings: Settings) -> int:
    db = open_db(settings)
    ws = cli_incidents.workspace_of(db, args, settings)
    count = workspaces.revoke_token(db, ws.id or 0, args.name)
    print(f"revoked {count} token(s) named {args.name}")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vigilo", description="Slack-first incident response.")
    sub = parser.add_subparsers(metavar="COMMAND")

    def add(parent: Any, name: str, run: Command, help_text: str) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = parent.add_parser(name, help=help_text)
        p.set_defaults(run=run)
        return p

    serve = add(sub, "serve", cmd_serve, "serve Slack, pages, API and webhooks")
    serve.add_argument("--host", default="0.0.0.0")
    serve.add_argument("--port", type=int, default=None)
    demo = add(sub, "demo", cmd_demo, "replay an incident against a built-in sandbox Slack")
    demo.add_argument("--no-serve", action="store_true", help="exit after the replay")
    demo.add_argument("--port", type=int, default=0)

    db = sub.add_parser("db", help="database schema").add_subparsers(metavar="ACTION")
    add(db, "upgrade", cmd_db_upgrade, "upgrade the schema to the newest migration")
    add(db, "check", cmd_db_check, "check that models and migrations agree")

    ws = sub.add_parser("workspace", help="workspaces").add_subparsers(metavar="ACTION")
    p = add(ws, "create", cmd_ws_create, "create a workspace")
    p.add_argument("slug")
    p.add_argument("--name")
    p.add_argument("--slack-team", help="Slack team id (T...) this workspace serves")
    _json(add(ws, "list", cmd_ws_list, "list workspaces"))
    p = add(ws, "set", cmd_ws_set, "change a workspace setting")
    p.add_argument("slug")
    p.add_argument("key")
    p.add_argument("value")

    member = sub.add_parser("member", help="workspace members").add_subparsers(metavar="ACTION")
    p = _ws(add(member, "add", cmd_member_add, "add a member"))
    p.add_argument("slack_user_id")
    p.add_argument("name")
    p.add_argument("--role", default="engineer", help="viewer, engineer, admin or owner")
    p.add_argument("--email")
    p.add_argument("--phone", help="E.164 number for SMS paging")
    p = _ws(add(member, "role", cmd_member_role, "change a member's role"))
    p.add_argument("slack_user_id")
    p.add_argument("role")
    _ws(add(member, "list", cmd_member_list, "list members"))

    token = sub.add_parser("token", help="API tokens").add_subparsers(metavar="ACTION")
    p = _ws(add(token, "create", cmd_token_create, "create a token (printed once)"))
    p.add_argument("--name", required=True)
    p = _ws(add(token, "revoke", cmd_token_revoke, "revoke tokens by name"))
    p.add_argument("--name", required=True)

    cli_incidents.register(sub, add, _ws)
    cli_oncall.register(sub, add, _ws)
    return parser


def _json(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p.add_argument("--json", action="store_true", help="print JSON")
    return p


def _ws(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p.add_argument("--workspace", "-w", help="workspace slug (default: VIGILO_WORKSPACE, "
                   "or the only workspace)")
    return _json(p)


if __name__ == "__main__":
    sys.exit(main())
