"""What the README promises of the command line: one-line errors with the fix, --json on
every command, --version, per-command usage, validated input, unique token names."""

import argparse
import json
import logging
import time

import pytest

from services import workspaces
from store.db import Database
from tests.vigilo.conftest import Run
from vigilo.app import build
from vigilo.cli import build_parser
from vigilo.sandbox.slack_api import FakeSlack
from vigilo.settings import Settings


def _one_line(err: str) -> str:
    assert "Traceback" not in err and err.count("\n") == 1, err
    return err.strip()


def test_before_db_upgrade_every_command_says_to_run_it(run: Run) -> None:
    for argv in (("db", "check"), ("incident", "list"), ("workspace", "list"),
                 ("token", "list")):
        code, _, err = run(*argv)
        assert code == 1, argv
        line = _one_line(err)
        assert line.startswith("error: database not initialised")
        assert line.endswith("run `vigilo db upgrade`")


def test_every_command_takes_json_and_groups_print_their_own_usage(run: Run) -> None:
    parser = build_parser()
    leaves: list[tuple[str, argparse.ArgumentParser]] = []

    def walk(p: argparse.ArgumentParser, path: str) -> None:
        subs = [a for a in p._actions if isinstance(a, argparse._SubParsersAction)]
        if not subs:
            leaves.append((path, p))
        for action in subs:
            for name, child in action.choices.items():
                walk(child, f"{path} {name}".strip())

    walk(parser, "")
    assert {"token list", "token revoke", "workspace create", "workspace set", "serve",
            "db check"} <= {path for path, _ in leaves}
    for path, p in leaves:
        assert "--json" in p._option_string_actions, f"vigilo {path} lacks --json"
    code, _, err = run("db")
    assert code == 2 and err.startswith("usage: vigilo db ")
    assert "upgrade" in err and "workspace" not in err
    code, out, _ = run("--version")
    assert code == 0 and out.startswith("vigilo 0.")


def test_workspace_commands_answer_json_and_keep_every_slack_team(cli: Run,
                                                                 db_url: str) -> None:
    code, out, _ = cli("workspace", "create", "acme", "--slack-team", "T1ACME", "T2ACME",
                       "--json")
    assert code == 0 and json.loads(out)["slack_teams"] == ["T1ACME", "T2ACME"]
    code, out, _ = cli("workspace", "set", "acme", "auto_archive", "off", "--json")
    assert code == 0 and json.loads(out)["value"] is False
    db = Database.from_url(db_url)
    for team in ("T1ACME", "T2ACME"):
        found = workspaces.workspace_for_team(db, team)
        assert found is not None and found.slug == "acme"
    db.dispose()
    code, _, err = cli("workspace", "create", "other", "--slack-team", "T2ACME")
    assert code == 2 and "T2ACME already belongs to a workspace" in err
    code, _, err = cli("workspace", "create", "other", "--slack-team", "acme-team")
    assert code == 2 and "not a Slack team id" in err


def test_phone_and_email_are_validated(cli: Run) -> None:
    cli("workspace", "create", "acme")
    code, _, err = cli("member", "add", "U0DANA", "Dana", "--phone", "555-1234")
    assert code == 2 and "+14155550123 (E.164)" in _one_line(err)
    code, _, err = cli("member", "add", "U0DANA", "Dana", "--email", "not-an-email")
    assert code == 2 and "not an e-mail address" in _one_line(err)
    code, out, _ = cli("member", "add", "U0DANA", "Dana", "--phone", "+1 (415) 555-0123",
                       "--email", "dana@example.com", "--json")
    assert code == 0 and json.loads(out)["phone"] == "+14155550123"


def test_token_names_are_unique_and_listed(cli: Run) -> None:
    cli("workspace", "create", "acme")
    assert cli("token", "create", "--name", "ci")[0] == 0
    code, _, err = cli("token", "create", "--name", "ci")
    assert code == 2 and "A live token named 'ci' exists already" in _one_line(err)
    assert cli("token", "create", "--name", "datadog")[0] == 0
    code, out, _ = cli("token", "list", "--json")
    assert [t["name"] for t in json.loads(out)] == ["ci", "datadog"]
    assert "vgl_" not in out
    code, out, _ = cli("token", "revoke", "--name", "ci", "--json")
    assert code == 0 and json.loads(out)["name"] == "ci" and json.loads(out)["revoked_at"]
    code, out, _ = cli("token", "list")
    assert out.startswith("datadog\t") and "ci\t" not in out
    code, _, err = cli("token", "revoke", "--name", "ci")
    assert code == 2 and "No live token named 'ci'" in err
    assert cli("token", "create", "--name", "ci")[0] == 0  # a revoked name may be reused
    code, out, _ = cli("token", "list", "--all", "--json")
    assert sorted(t["name"] for t in json.loads(out)) == ["ci", "ci", "datadog"]


def test_a_bad_slack_token_at_start_up_is_explained_in_one_line(
        sqlite_url: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    with FakeSlack("xoxb-the-real-one") as fake:
        vigilo = build(Settings(database_url=sqlite_url, slack_bot_token="xoxb-an-old-one",
                                slack_signing_secret="secret", slack_api_url=fake.base_url),
                       run_worker=False)
        vigilo.registry.start_in_background()
        deadline = time.monotonic() + 5
        while vigilo.registry.waiting == ["slack: starting"]:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        vigilo.registry.stop()
    explained = ("Slack refused the bot token (invalid_auth) on auth.test: set SLACK_BOT_TOKEN "
                 "to the app's current xoxb- token, or reinstall the app from manifest.yml")
    assert vigilo.registry.waiting == [f"slack: {explained}"]
    lines = [r for r in caplog.records if r.name == "integrations.registry"]
    assert lines and lines[0].getMessage().startswith(f"slack did not start ({explained})")
    assert all(r.exc_info is None for r in caplog.records)
    vigilo.db.dispose()
