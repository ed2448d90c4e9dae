"""LOG_LEVEL / LOG_FORMAT, the JSON line format, the start-up summary, request ids."""

import io
import json
import logging

import pytest
from starlette.testclient import TestClient

from integrations.log_context import bound
from store.db import Database
from vigilo import logs
from vigilo.app import build
from vigilo.server import describe, summary
from vigilo.settings import Settings


@pytest.fixture
def restore_logging():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def test_json_is_one_object_a_line_with_the_bound_fields(restore_logging) -> None:
    out = io.StringIO()
    logs.configure("INFO", "json", stream=out)
    log = logging.getLogger("vigilo.test")
    with bound(incident="INC-0042", integration="slack", request_id="r-1"):
        log.warning("gave up on %s", "slack.announce", extra={"outbox_id": 7})
        try:
            raise RuntimeError("boom\nsecond line")
        except RuntimeError:
            log.exception("failed")
    log.debug("not at INFO")
    logging.getLogger("alembic.runtime.plugins").info("setup plugin alembic.autogenerate")
    logging.getLogger("uvicorn.error").info("Started", extra={"color_message": "\x1b[36m"})
    lines = out.getvalue().splitlines()
    assert len(lines) == 3
    first, second, third = (json.loads(line) for line in lines)
    assert third == {"time": third["time"], "level": "info", "logger": "uvicorn.error",
                     "message": "Started"}
    assert first["message"] == "gave up on slack.announce" and first["level"] == "warning"
    assert (first["incident"], first["integration"], first["request_id"],
            first["outbox_id"]) == ("INC-0042", "slack", "r-1", 7)
    assert first["time"].endswith("Z") and first["logger"] == "vigilo.test"
    assert "RuntimeError: boom" in second["exception"]


def test_text_lines_carry_the_fields_as_tags(restore_logging) -> None:
    out = io.StringIO()
    logs.configure("WARNING", "text", stream=out)
    with bound(incident="INC-0042"):
        logging.getLogger("vigilo.test").warning("channel created")
    logging.getLogger("vigilo.test").info("hidden")
    assert out.getvalue().rstrip().endswith("WARNING vigilo.test: channel created "
                                            "[incident=INC-0042]")
    assert out.getvalue().count("\n") == 1


def test_log_settings_are_checked() -> None:
    settings = Settings.from_env({"LOG_LEVEL": "debug", "LOG_FORMAT": "JSON"}, dotenv=False)
    assert (settings.log_level, settings.log_format) == ("DEBUG", "json")
    assert Settings.from_env({}, dotenv=False).log_level is None
    with pytest.raises(ValueError, match="LOG_LEVEL must be one of DEBUG, INFO"):
        Settings.from_env({"LOG_LEVEL": "loud"}, dotenv=False)
    with pytest.raises(ValueError, match="LOG_FORMAT must be text or json, not 'xml'"):
        Settings.from_env({"LOG_FORMAT": "xml"}, dotenv=False)


def test_start_up_says_what_is_off_and_why(db: Database,
                                           caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    settings = Settings(database_url="postgresql://vigilo:hunter2@db.internal/vigilo",
                        slack_bot_token="xoxb-only-the-token")
    vigilo = build(settings, db=db, run_worker=False)
    warning = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warning == ["Slack is off: not configured (set SLACK_SIGNING_SECRET, or "
                       "SLACK_APP_TOKEN for Socket Mode). /slack/events is not served (404) "
                       "and no Slack effect is delivered; set SLACK_BOT_TOKEN and "
                       "SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN for Socket Mode)"]
    parts = describe(vigilo)
    assert parts["database"] == "postgresql://vigilo:***@db.internal/vigilo"
    assert parts["slack"] == ("off — not configured (set SLACK_SIGNING_SECRET, or "
                              "SLACK_APP_TOKEN for Socket Mode)")
    assert parts["pagerduty"] == ("off — not configured (PAGERDUTY_API_KEY, "
                                  "PAGERDUTY_FROM_EMAIL, PAGERDUTY_SERVICE_ID unset)")
    line = summary(vigilo)
    assert line.startswith("Vigilo starting: database postgresql://vigilo:***@")
    assert "hunter2" not in line and "\n" not in line


def test_every_answer_has_a_request_id(db: Database) -> None:
    vigilo = build(Settings(), db=db, run_worker=False)
    with TestClient(vigilo.asgi) as client:  # type: ignore[arg-type]
        given = client.get("/healthz", headers={"X-Request-Id": "lb-1234"})
        made = client.get("/healthz")
        odd = client.get("/healthz", headers={"X-Request-Id": "bad id\tinjection"})
    assert given.headers["x-request-id"] == "lb-1234"
    assert len(made.headers["x-request-id"]) == 16
    assert odd.headers["x-request-id"] != "bad id\tinjection"
