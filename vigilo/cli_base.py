"""What every `vigilo` command module shares: registration, output, the workspace and actor.

A command module has one function, `register(cli: Commands)`, and adds each command with one
call; `vigilo/cli.py` lists the modules in its `MODULES` table, one line each:

    def register(cli: Commands) -> None:
        cli.group("oncall", "who is on call")
        p = cli.add("oncall show", cmd_show, "who is on call now")
        p.add_argument("--at", help="ISO 8601 time")

`add` gives every command `--json` (and `--workspace` unless `workspace=False`); a run
function takes `(args, settings)`, prints with `emit(args, data, text)` and returns the exit
code. Errors are raised, never printed: a DomainError or CliError becomes one line on stderr.
"""

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from core.errors import InvalidInput, NotFound
from core.permissions import Role
from services import workspaces
from services.actor import Actor
from store.db import Database
from store.models import Workspace
from vigilo.settings import Settings

Command = Callable[[argparse.Namespace, Settings], int]


class CliError(Exception):
    """An operator's mistake or an unusable environment: one line with the fix."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class Commands:
    """The registrar handed to each command module."""

    def __init__(self, parser: argparse.ArgumentParser) -> None:
        self.parser = parser
        self._sub = parser.add_subparsers(metavar="COMMAND")
        self._groups: dict[str, Any] = {}

    def group(self, name: str, help_text: str) -> Any:
        """A command with actions (`vigilo db upgrade`); alone it prints its own usage."""
        if name not in self._groups:
            group: argparse.ArgumentParser = self._sub.add_parser(
                name, help=help_text, description=help_text)
            group.set_defaults(run=None, usage_of=group)
            self._groups[name] = group.add_subparsers(metavar="ACTION")
        return self._groups[name]

    def add(self, path: str, run: Command, help_text: str, *, workspace: bool = True,
            log_level: str = "WARNING") -> argparse.ArgumentParser:
        """`add("token list", ...)` or a top-level `add("serve", ...)`.

        `log_level` applies when LOG_LEVEL is unset: commands print results, so only
        warnings are logged unless the command is a server.
        """
        names = path.split()
        if len(names) not in (1, 2):
            raise ValueError(f"a command is one or two words, not '{path}'")
        parent = self._sub if len(names) == 1 else self.group(names[0], names[0])
        p: argparse.ArgumentParser = parent.add_parser(names[-1], help=help_text,
                                                       description=help_text)
        p.set_defaults(run=run, default_log_level=log_level)
        p.add_argument("--json", action="store_true", help="print JSON")
        if workspace:
            p.add_argument("--workspace", "-w", help="workspace slug (default: "
                           "VIGILO_WORKSPACE, or the only workspace)")
        return p


def emit(args: argparse.Namespace, data: Any, text: str) -> None:
    print(json.dumps(data, indent=2, default=str) if getattr(args, "json", False) else text)


def note(args: argparse.Namespace, text: str) -> None:
    """A remark for people (stderr), kept out of JSON output."""
    if not getattr(args, "json", False):
        print(text, file=sys.stderr)


def open_db(settings: Settings) -> Database:
    return Database.from_url(settings.database_url)


def workspace_of(db: Database, args: argparse.Namespace, settings: Settings) -> Workspace:
    slug = getattr(args, "workspace", None) or settings.workspace
    if slug:
        return workspaces.get_workspace(db, slug)
    rows = workspaces.list_workspaces(db)
    if len(rows) == 1:
        return rows[0]
    if not rows:
        raise NotFound("No workspace yet: run `vigilo workspace create SLUG` first.")
    raise InvalidInput("Several workspaces exist: pass --workspace SLUG.", field="workspace")


def actor_of(db: Database, workspace: Workspace, args: argparse.Namespace) -> Actor:
    """`--as U123` acts as that member with their role; otherwise as the operator."""
    slack_id = getattr(args, "as_member", None)
    if not slack_id:
        return Actor.operator(workspace.id or 0)
    member = workspaces.require_member(db, workspace.id or 0, slack_id)
    return Actor(workspace.id or 0, member.id, member.display_name, Role(member.role), "cli")


def context(args: argparse.Namespace,
            settings: Settings) -> tuple[Database, Workspace, Actor]:
    db = open_db(settings)
    ws = workspace_of(db, args, settings)
    return db, ws, actor_of(db, ws, args)
