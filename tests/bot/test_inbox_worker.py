"""The Slack inbox end to end: stored before the ack, once per delivery, taken again after a
crash, unknown authors kept and named later, poison quarantined without blocking the rest."""

import json
import logging
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import col, select

from bot.inbox_worker import InboxWorker
from services import inbox, incidents, queries
from store.inbox_models import DISPATCH, DONE, MESSAGE, PENDING, QUARANTINED, InboxRow
from store.models import Incident, IntegrationLog, TimelineEvent
from store.types import utcnow
from tests.bot_harness import Slack, option, slack_fixture, value  # noqa: F401
from vigilo.sandbox.signing import event_callback, message_event, slash_command


def rows(slack: Slack, kind: str | None = None) -> list[InboxRow]:
    with slack.db.read() as session:
        query = select(InboxRow).order_by(col(InboxRow.id))
        if kind:
            query = query.where(InboxRow.kind == kind)
        return list(session.exec(query))


def channel_of_incident(slack: Slack) -> str:
    incidents.declare(slack.db, slack.world.actor(), title="Checkout is down")
    slack.drain()
    channel = queries.get_detail(slack.db, slack.world.ws_id, 1).incident.slack_channel_id
    assert channel
    return channel


def timeline(slack: Slack) -> list[TimelineEvent]:
    detail = queries.get_detail(slack.db, slack.world.ws_id, 1)
    return [e for e in detail.timeline if e.label == "message"]


def worker(slack: Slack) -> InboxWorker:
    assert slack.vigilo.slack is not None
    return slack.vigilo.slack.inbox


def due_now(slack: Slack) -> None:
    with slack.db.transaction() as session:
        session.execute(update(InboxRow).where(InboxRow.status == PENDING)
                        .values(next_attempt_at=utcnow(), locked_until=None))


def test_every_delivery_is_stored_once_and_settled(slack: Slack) -> None:
    channel = channel_of_incident(slack)
    event = message_event(channel, slack.uid(), "db failover started", "1700000000.000100")
    for retry in (None, 1, 2):  # Slack's redeliveries keep the event id
        slack.event(event, event_id="EvSame", retry=retry)
    assert slack.reply("help").startswith("*`/vigilo` subcommands*")
    stored = rows(slack)
    assert [(r.kind, r.status) for r in stored] == [(MESSAGE, DONE), (DISPATCH, DONE)]
    assert stored[0].delivery_key.endswith(":EvSame")
    assert [e.text for e in timeline(slack)] == ["db failover started"]


def test_a_command_acked_before_a_crash_is_answered_after_the_restart(slack: Slack) -> None:
    # As a crashed replica leaves it: stored (so acked), its lease run out, never carried out.
    body, ctype = slash_command("new p2 Payments API 500s", user_id=slack.uid(),
                                user_name="eng", channel_id="CGENERAL",
                                response_url=slack.fake.response_url("lost"),
                                trigger_id="trigger-lost")
    inbox.record(slack.db, [{"delivery_key": "request:lost", "team_id": "T0SANDBOX",
                             "kind": DISPATCH, "body": body.decode(), "content_type": ctype,
                             "locked_until": utcnow() - timedelta(seconds=1)}])
    # This worker or the app's own (it polls too, and wins on a loaded machine) takes it:
    # either way it is carried out once.
    worker(slack).step()
    assert slack.bot.wait_idle(10)
    replies = slack.fake.responses("lost")
    assert len(replies) == 1 and "Declared" in replies[0]["text"]
    assert queries.get_detail(slack.db, slack.world.ws_id, 1).incident.title == (
        "Payments API 500s")
    assert rows(slack)[0].status == DONE
    # Taken once more (a second crash after the work, before the row was settled): the
    # declaration is idempotent, by its trigger id.
    with slack.db.transaction() as session:
        session.execute(update(InboxRow).values(status=PENDING, locked_until=None))
    worker(slack).step()
    assert slack.bot.wait_idle(10)
    with slack.db.read() as session:
        assert len(session.exec(select(Incident)).all()) == 1
    assert len(slack.fake.responses("lost")) == 2  # answered again, with the same incident
    assert "INC-0001" in slack.fake.responses("lost")[1]["text"]


def test_a_stranger_whose_lookup_fails_lands_under_the_slack_id_and_is_named_later(
        slack: Slack) -> None:
    channel = channel_of_incident(slack)
    slack.fake.add_user("UNEW1", "newcomer", "Nia Newcomer")
    slack.fake.fail_next("users.info", "service_unavailable", status=503, times=1)
    slack.say(channel, "UNEW1", "I see 502s from eu-west", ts="1700000000.000200")
    [entry] = timeline(slack)
    assert (entry.actor, entry.actor_id, entry.text) == ("UNEW1", None, "I see 502s from eu-west")
    [name_row] = rows(slack, "name")
    assert name_row.status == PENDING
    due_now(slack)
    worker(slack).step()
    [entry] = timeline(slack)
    assert entry.actor == "Nia Newcomer" and entry.actor_id is not None
    assert rows(slack, "name")[0].status == DONE


def test_a_row_the_database_refuses_is_quarantined_and_blocks_nothing(slack: Slack) -> None:
    channel = channel_of_incident(slack)
    bad, ctype = event_callback({**message_event(channel, slack.uid(), "x", "1.0"),
                                 "event": "not an object"}, event_id="EvBad")
    poisoned = json.loads(bad)
    poisoned["event"] = ["not", "an", "event"]  # as if stored by an older, laxer version
    inbox.record(slack.db, [{"delivery_key": "event:T:EvBad", "team_id": "T0SANDBOX",
                             "kind": MESSAGE, "body": json.dumps(poisoned)[:-1],
                             "content_type": ctype, "locked_until": None}])
    slack.say(channel, slack.uid(), "behind the bad one", ts="1700000000.000300")
    assert [e.text for e in timeline(slack)] == ["behind the bad one"]
    for _ in range(inbox.MAX_ATTEMPTS):
        due_now(slack)
        worker(slack).step()
    [row] = [r for r in rows(slack) if r.delivery_key == "event:T:EvBad"]
    assert row.status == QUARANTINED and row.last_error and "unreadable" in row.last_error
    with slack.db.read() as session:
        logged = session.exec(select(IntegrationLog).where(
            IntegrationLog.kind == "inbox.message")).one()
    assert not logged.ok and f"#{row.id}" in logged.detail
    slack.say(channel, slack.uid(), "still flowing", ts="1700000000.000400")
    assert [e.text for e in timeline(slack)] == ["behind the bad one", "still flowing"]
    assert inbox.retry(slack.db, row.id or 0) is not None
    assert rows(slack)[0].status == PENDING


def test_text_postgres_cannot_store_is_cleaned_and_lands(slack: Slack) -> None:
    channel = channel_of_incident(slack)
    slack.say(channel, slack.uid(), "core dump:\u0000\u0001 segfault\ud800 at 0x0",
              ts="1700000000.000500")
    assert [e.text for e in timeline(slack)] == ["core dump: segfault\ufffd at 0x0"]


def test_unreadable_redelivery_keys_are_refused_not_stored(slack: Slack) -> None:
    response: Any = slack.post(b'{"type": "event_callback", "event": 5}', "application/json")
    assert response.status_code == 400
    assert rows(slack) == []


def test_a_batch_with_a_row_postgres_refuses_still_captures_the_others(slack: Slack) -> None:
    channel = channel_of_incident(slack)
    stored = []
    for n, ts in enumerate(["1700000000.000600", "1." + "9" * 250, "1700000000.000700"]):
        body, ctype = event_callback(message_event(channel, slack.uid(), f"m{n}", ts),
                                     event_id=f"EvBatch{n}")
        stored.append({"delivery_key": f"event:T:EvBatch{n}", "team_id": "T0SANDBOX",
                       "kind": MESSAGE, "body": body.decode(), "content_type": ctype,
                       "locked_until": None})
    inbox.record(slack.db, stored)  # one batch, as under load
    worker(slack).step()
    texts = [e.text for e in timeline(slack)]
    assert "m0" in texts and "m2" in texts
    if not slack.db.sqlite:  # the 250-digit timestamp overflows the dedupe key's column
        bad = [r for r in rows(slack) if r.delivery_key == "event:T:EvBatch1"][0]
        assert bad.status == PENDING and bad.last_error and bad.attempts == 1


def test_a_form_submission_taken_again_declares_once(slack: Slack) -> None:
    slack.command("new")
    view = slack.last_view()
    slack.submit(view, {"title": value("Card payments fail"),
                        "severity": option("p2")})
    [row] = [r for r in rows(slack, DISPATCH) if "view_submission" in r.body]
    assert row.status == DONE
    with slack.db.transaction() as session:  # as if the replica died before settling it
        session.execute(update(InboxRow).where(InboxRow.id == row.id)
                        .values(status=PENDING, locked_until=None))
    assert worker(slack).step() == 1
    assert slack.bot.wait_idle(10)
    with slack.db.read() as session:
        assert [i.title for i in session.exec(select(Incident))] == ["Card payments fail"]
    assert rows(slack, DISPATCH)[-1].status == DONE


def test_the_inbox_worker_with_its_database_away_writes_one_line(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from slack_sdk import WebClient

    from bot.people import People
    from bot.runtime import Bot
    from store.db import Database

    caplog.set_level(logging.INFO, logger="bot.inbox_worker")
    away = Database.from_url(f"sqlite:///{tmp_path}/missing-dir/vigilo.db")
    client = WebClient(token="xoxb-unused", base_url="http://127.0.0.1:9/")
    bot = Bot(away, client, "http://vigilo.example")
    worker = InboxWorker(bot, People(away, client), lambda delivery: None, poll=0.01)
    worker.start()
    time.sleep(0.6)
    worker.stop()
    away.dispose()
    records = [r for r in caplog.records if r.name == "bot.inbox_worker"]
    assert len(records) == 1, [r.getMessage() for r in records]
    assert records[0].exc_info is None and "OperationalError" in records[0].getMessage()
