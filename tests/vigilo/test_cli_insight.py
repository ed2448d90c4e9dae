"""`vigilo change` and `vigilo runbook`, run in-process against a fresh database."""

import json

import pytest

from vigilo.cli import main


@pytest.fixture
def cli(sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.delenv("VIGILO_WORKSPACE", raising=False)

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    assert run("db", "upgrade")[0] == 0
    assert run("workspace", "create", "acme")[0] == 0
    return run


def test_change_add_list_and_idempotency_key(cli) -> None:
    code, out, _ = cli("change", "add", "--title", "Deploy api 3", "--assets", "api,db",
                       "--key", "run-1", "--started-at", "2026-11-30T10:00:00Z", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["key"] == "CHG-0001" and data["affected_assets"] == ["api", "db"]
    assert data["url"] == "http://localhost:8000/ws/acme/changes/CHG-0001"
    code, out, _ = cli("change", "add", "--title", "Deploy api 3", "--key", "run-1")
    assert code == 0 and out.startswith("already recorded CHG-0001")
    cli("change", "add", "--title", "Flag flip")
    code, out, _ = cli("change", "list")
    assert out.splitlines()[0].startswith("CHG-0002") and "CHG-0001" in out
    code, _, err = cli("change", "add", "--title", "x", "--started-at", "soon")
    assert code == 2 and err.startswith("error: started_at 'soon' is not an ISO 8601 time")


def test_runbook_add_list_remove(cli) -> None:
    code, out, _ = cli("runbook", "add", "--title", "DB failover", "--tags", "db,postgres",
                       "--link", "https://wiki/db", "--json")
    assert code == 0 and json.loads(out)["tags"] == ["db", "postgres"]
    code, out, _ = cli("runbook", "list")
    assert "#1\tdb,postgres\tDB failover\thttps://wiki/db" in out
    assert cli("runbook", "remove", "#1")[0] == 0
    assert cli("runbook", "list")[1].strip() == "no runbooks"
    code, _, err = cli("runbook", "remove", "1")
    assert code == 2 and "No runbook #1" in err
    code, _, err = cli("runbook", "add", "--title", "x", "--link", "file:///etc/passwd")
    assert code == 2 and "http(s) URL" in err
