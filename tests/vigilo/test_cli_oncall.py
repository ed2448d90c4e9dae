"""`vigilo oncall ...` and `vigilo member add --phone`, run in-process on a fresh database."""

import json

import pytest

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
    assert run("workspace", "create", "acme")[0] == 0
    return run


def test_schedule_rotation_override_and_show(cli) -> None:
    assert cli("member", "add", "U0DANA", "Dana", "--phone", "+49 151 12345678")[0] == 0
    assert cli("member", "add", "U0LEE", "Lee")[0] == 0
    code, out, _ = cli("oncall", "create", "--timezone", "Europe/Berlin", "--handoff", "09:00",
                       "--length", "weekly", "--start", "2026-03-23")
    assert code == 0 and "weekly handoff at 09:00 Europe/Berlin" in out
    code, out, _ = cli("oncall", "add", "U0DANA", "U0LEE")
    assert code == 0 and "rotation: Dana (U0DANA), Lee (U0LEE)" in out
    code, out, _ = cli("oncall", "show", "--at", "2026-03-25T12:00Z")
    assert "now:  Dana (U0DANA, +4915112345678) since Mon 23 Mar 09:00 CET" in out
    assert "until Mon 30 Mar 09:00 CEST" in out
    assert "next: Lee (U0LEE, no phone number) from Mon 30 Mar 09:00 CEST" in out
    code, out, _ = cli("oncall", "override", "U0LEE", "--from", "2026-03-25T10:00Z",
                       "--for", "2h")
    assert code == 0
    code, out, _ = cli("oncall", "show", "primary", "--at", "2026-03-25T11:00Z", "--json")
    [view] = json.loads(out)
    assert view["now"]["slack_user_id"] == "U0LEE" and view["now"]["override"] is True
    assert view["now"]["ends_at"] == "2026-03-25T12:00:00+00:00"
    assert view["next"]["slack_user_id"] == "U0DANA"


def test_bad_input_is_one_clear_line(cli) -> None:
    code, _, err = cli("member", "add", "U0PAT", "Pat", "--phone", "555-1234")
    assert code == 2 and "country code" in err
    code, out, _ = cli("member", "list")
    assert "U0PAT" not in out
    assert "no on-call schedule yet" in cli("oncall", "show")[1]
    code, _, err = cli("oncall", "create", "--timezone", "Mars/Olympus")
    assert code == 2 and "IANA timezone" in err
    assert cli("oncall", "create", "--timezone", "UTC")[0] == 0
    code, _, err = cli("oncall", "override", "U0NOBODY", "--for", "2h")
    assert code == 2 and "No member U0NOBODY" in err
    code, _, err = cli("oncall", "override", "U0NOBODY", "--for", "soon")
    assert code == 2 and "not a duration" in err
    code, _, err = cli("oncall", "override", "U0NOBODY")
    assert code == 2 and "--for 2h" in err
    code, _, err = cli("oncall", "show", "--at", "tomorrow")
    assert code == 2 and "ISO 8601" in err
    code, _, err = cli("oncall", "create", "--timezone", "UTC", "--start", "someday")
    assert code == 2 and "--start" in err
