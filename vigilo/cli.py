"""The `vigilo` command line. Errors are one clear line on stderr and a non-zero exit.

Commands live in modules of their own; each has `register(cli)` (see vigilo/cli_base.py for
the one-call-per-command API) and is listed in MODULES, one line per module.
"""

import argparse
import importlib
import json
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from core.errors import DomainError
from integrations.registry import RegistryError
from vigilo import logs
from vigilo.cli_base import CliError, Commands
from vigilo.settings import Settings

MODULES = (
    "vigilo.cli_admin",      # serve, demo, db, workspace, member, token
    "vigilo.cli_incidents",  # incident
    "vigilo.cli_insight",    # change, runbook
    "vigilo.cli_oncall",     # oncall
    "vigilo.cli_outbox",     # outbox log, pending, retry
    "vigilo.cli_inbox",      # inbox list, retry
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "run", None) is None:
        # `vigilo db` alone: that command's usage and actions, not the whole help.
        (getattr(args, "usage_of", None) or parser).print_help(sys.stderr)
        return 2
    settings: Settings | None = None
    try:
        settings = Settings.from_env()
        logs.configure(settings.log_level or args.default_log_level, settings.log_format)
        return int(args.run(args, settings))
    except DomainError as error:
        return _fail(args, error.message, 2)
    except CliError as error:
        return _fail(args, error.message, error.code)
    except DBAPIError as error:
        return _fail(args, database_problem(settings, error), 1)
    except (ValueError, OSError, RegistryError) as error:
        return _fail(args, str(error), 1)
    except KeyboardInterrupt:
        return 130


def _fail(args: argparse.Namespace, message: str, code: int) -> int:
    line = " ".join(message.split())
    if getattr(args, "json", False):
        print(json.dumps({"error": line}), file=sys.stderr)
    else:
        print(f"error: {line}", file=sys.stderr)
    return code


def database_problem(settings: Settings | None, error: DBAPIError) -> str:
    """Say why the database refused, with the fix, instead of SQLAlchemy's page of text."""
    from store.db import Database
    from store.migrate import current_revision, head_revision

    url = settings.database_url if settings else ""
    shown = make_url(url).render_as_string(hide_password=True) if url else "the database"
    first = (str(error.orig).strip().splitlines() or [type(error.orig).__name__])[0]
    try:
        db = Database.from_url(url)
        try:
            current = current_revision(db.engine)
        finally:
            db.dispose()
    except Exception:
        return f"cannot use the database at {shown}: {first} (check DATABASE_URL)"
    if current is None:
        return f"database not initialised ({shown}): run `vigilo db upgrade`"
    if current != head_revision():
        return (f"database schema is at {current}, this version needs {head_revision()}: "
                "run `vigilo db upgrade`")
    return f"the database at {shown} refused the request: {first}"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vigilo", description="Slack-first incident response.")
    parser.add_argument("--version", action="version", version=f"vigilo {_version()}")
    cli = Commands(parser)
    for name in MODULES:
        importlib.import_module(name).register(cli)
    return parser


def _version() -> str:
    try:
        return version("vigilo")
    except PackageNotFoundError:  # running from a checkout that was never installed
        return "unknown"


if __name__ == "__main__":
    sys.exit(main())
