"""The `vigilo` command line, run in-process against a fresh database."""

import json

import pytest

from store import migrate
from vigilo.cli import main


@pytest.fixture
def cli(db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.delenv("VIGILO_WORKSPACE", raising=False)

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    assert run("db", "upgrade")[0] == 0
    return run


def test_walk_an_incident_through_the_cli(cli) -> None:
    assert cli("workspace", "create", "acme", "--name", "Acme Corp")[0] == 0
    assert cli("member", "add", "U0DANA", "Dana", "--role", "engineer")[0] == 0
    code, out, _ = cli("incident", "declare", "--title", "Checkout is down", "--severity", "p1",
                       "--as", "U0DANA", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["key"] == "INC-0001" and data["commander"]["name"] == "Dana"
    assert data["url"] == "http://localhost:8000/ws/acme/incidents/INC-0001"
    for move in ("investigate", "mitigate"):
        assert cli("incident", "transition", "inc-1", move, "--as", "U0DANA")[0] == 0
    code, out, _ = cli("incident", "transition", "INC-0001", "resolve", "--root-cause",
                       "bad deploy", "--json")
    assert json.loads(out)["status"] == "resolved"
    code, out, _ = cli("incident", "list", "--status", "all")
    assert "INC-0001\tp1\tresolved" in out
    code, out, _ = cli("incident", "show", "1")
    assert "root cause: bad deploy" in out and "Start investigating" in out


def test_errors_are_one_line_and_non_zero(cli) -> None:
    code, _, err = cli("incident", "list")
    assert code == 2 and err.strip() == ("error: No workspace yet: run `vigilo workspace "
                                         "create SLUG` first.")
    cli("workspace", "create", "acme")
    code, _, err = cli("incident", "show", "INC-0009")
    assert code == 2 and err == "error: No incident INC-0009 in this workspace.\n"
    code, _, err = cli("incident", "declare", "--title", "x", "--severity", "p9")
    assert code == 2 and "Unknown severity 'p9'" in err and "Traceback" not in err
    cli("incident", "declare", "--title", "x")
    code, _, err = cli("incident", "transition", "1", "resolve")
    assert code == 2 and "Allowed from open: investigate" in err
    code, _, err = cli("incident", "transition", "1", "explode")
    assert code == 2 and "Unknown move 'explode'" in err
    code, _, err = cli("workspace", "create", "acme")
    assert code == 2 and "already exists" in err


def test_member_roles_and_permissions_apply(cli) -> None:
    cli("workspace", "create", "acme")
    cli("member", "add", "U0VIEW", "Vic", "--role", "viewer")
    cli("incident", "declare", "--title", "x")
    code, _, err = cli("incident", "transition", "1", "investigate", "--as", "U0VIEW")
    assert code == 2 and "viewer" in err
    assert cli("member", "role", "U0VIEW", "engineer")[0] == 0
    assert cli("incident", "transition", "1", "investigate", "--as", "U0VIEW")[0] == 0
    code, out, _ = cli("member", "list", "--json")
    assert json.loads(out)[0]["role"] == "engineer"


def test_token_is_printed_once_and_only_hash_stored(cli, db_url: str) -> None:
    cli("workspace", "create", "acme")
    code, out, err = cli("token", "create", "--workspace", "acme", "--name", "datadog")
    token = out.strip()
    assert code == 0 and token.startswith("vgl_") and "shown once" in err
    from services.workspaces import hash_token, verify_token
    from store.db import Database

    db = Database.from_url(db_url)
    row = verify_token(db, token)
    assert row is not None and row.token_hash == hash_token(token) != token
    db.dispose()


def test_workspace_settings_from_cli(cli) -> None:
    cli("workspace", "create", "acme")
    code, out, _ = cli("workspace", "set", "acme", "timeline_capture", "command")
    assert code == 0 and "timeline_capture = command" in out
    code, _, err = cli("workspace", "set", "acme", "timeline_capture", "sometimes")
    assert code == 2 and "takes one of all, command" in err


def test_announcements_channel_and_archive_delay_from_cli(cli) -> None:
    cli("workspace", "create", "acme")
    for key, typed, stored in (("announce_channel", "#Incidents", "#incidents"),
                               ("announce_severity", "p1", "p1"),
                               ("archive_delay", "90m", "1h30m")):
        code, out, _ = cli("workspace", "set", "acme", key, typed)
        assert code == 0 and f"{key} = {stored}" in out
    code, _, err = cli("workspace", "set", "acme", "archive_delay", "tomorrow")
    assert code == 2 and "0 (archive at once) or a length like 30m, 24h" in err
    code, _, err = cli("workspace", "set", "acme", "announce_channel", "#no spaces")
    assert code == 2 and "channel names are lowercase letters" in err


def test_db_check_passes_at_head(cli) -> None:
    code, out, _ = cli("db", "check")
    assert code == 0 and "agree" in out
    assert migrate.head_revision() is not None
