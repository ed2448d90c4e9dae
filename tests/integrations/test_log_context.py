"""Log fields bound to a context; a failure logged once with a count; dead effects logged."""

import logging
import time

import pytest

from core.effects import SLACK_CREATE_CHANNEL
from integrations.log_context import Repeated, bound, current, one_line
from integrations.outbox import OutboxWorker, PermanentFailure
from services import incidents
from store.db import Database
from tests.conftest import World
from tests.integrations.conftest import Tick


def test_bound_fields_nest_and_unwind() -> None:
    with bound(incident="INC-0001", integration="slack"):
        with bound(integration="pagerduty", request_id=None):
            assert current() == {"incident": "INC-0001", "integration": "pagerduty"}
        assert current() == {"incident": "INC-0001", "integration": "slack"}
    assert current() == {}
    with pytest.raises(TypeError, match="unknown log fields: colour"), bound(colour="red"):
        pass


def test_a_repeated_failure_is_logged_once_then_summarised_then_recovered(
        caplog: pytest.LogCaptureFixture, tick: Tick) -> None:
    caplog.set_level(logging.INFO)
    failures = Repeated(logging.getLogger("t"), "outbox worker round", base=0.25, cap=30,
                        every=60, clock=tick)
    waits = []
    for _ in range(22):  # the database away for 8 s
        waits.append(failures.failed(ConnectionRefusedError(111, "Connection refused")))
        tick.now += 8 / 22
    assert [r.levelname for r in caplog.records] == ["ERROR"]
    assert caplog.records[0].getMessage().startswith(
        "outbox worker round failed: ConnectionRefusedError: [Errno 111] Connection refused;"
        " retrying in 0.2 s")
    assert caplog.records[0].exc_info is None
    assert waits[:4] == [0.25, 0.5, 1.0, 2.0] and waits[-1] == 30
    tick.now += 60
    failures.failed(ConnectionRefusedError(111, "Connection refused"))
    assert caplog.records[-1].getMessage().startswith(
        "outbox worker round still failing: 23 times in 68 s")
    failures.succeeded()
    assert caplog.records[-1].getMessage().startswith(
        "outbox worker round recovered after 23 failures in 68 s")
    failures.succeeded()
    assert len(caplog.records) == 3
    assert failures.failed("other") == 0.25  # a new episode starts from the base again
    assert one_line(ValueError("first\nsecond")) == "ValueError: first"


def test_the_worker_with_its_database_away_writes_one_line_not_a_traceback_a_poll(
        tmp_path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="integrations.outbox")
    away = Database.from_url(f"sqlite:///{tmp_path}/missing-dir/vigilo.db")
    worker = OutboxWorker(away, {}, poll=0.01)
    worker.start()
    time.sleep(0.6)
    worker.stop()
    away.dispose()
    records = [r for r in caplog.records if r.name == "integrations.outbox"]
    assert len(records) == 1, [r.getMessage() for r in records]
    assert records[0].exc_info is None and "OperationalError" in records[0].getMessage()


def test_an_effect_given_up_on_is_one_line_with_its_reason(
        world: World, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="integrations.outbox")

    def refuse(effect: object) -> str:
        raise PermanentFailure("the Slack app lacks the channels:manage scope: reinstall it")

    worker = OutboxWorker(world.db, {SLACK_CREATE_CHANNEL: refuse})
    incidents.declare(world.db, world.actor(), title="Checkout is down")
    worker.drain()
    dead = [r for r in caplog.records if r.getMessage().startswith("gave up on")]
    assert len(dead) == 1
    assert "gave up on slack.create_channel" in dead[0].getMessage()
    assert "after 1 attempt(s): permanent: the Slack app lacks the channels:manage scope" in (
        dead[0].getMessage())
    assert (dead[0].incident, dead[0].integration) == ("INC-0001", "slack")  # type: ignore[attr-defined]
