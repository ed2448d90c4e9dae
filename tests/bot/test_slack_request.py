"""Hostile and odd input at /slack/events: any text people type gets an answer and changes
only what it should; any signed body gets a 2xx or a 4xx with a reason, never a 5xx."""

import itertools
import json
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from bot.slack_request import MAX_BODY
from core.validation import storable
from services import incidents, queries
from services.slack_capture import readable
from store.models import Incident, TimelineEvent
from tests.bot_harness import Slack, slack_fixture, value  # noqa: F401
from vigilo.sandbox.signing import event_callback, message_event, slash_command

FAST = settings(max_examples=15, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])
SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

# Printable text, weighted towards what fooled Bolt's sniffing parser.
TRICKY = st.sampled_from(["payload", "payload=", "{", "}", "{\"type\":\"x\"}", "&", "=",
                          "%26", "%3D", "%7B", "+", "payload%3D%7B%7D", "text=", "[1]", "\\",
                          "token=x&team_id=T", "<@U1>", "&amp;", "'", "\""])
TEXT = st.lists(st.one_of(TRICKY, st.text(min_size=1, max_size=12)), max_size=6).map(" ".join)
PRINTABLE = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60)
_runs = itertools.count()


def count(slack: Slack) -> int:
    with slack.db.read() as session:
        return len(session.exec(select(Incident)).all())


def run(slack: Slack, text: str, **fields: Any) -> tuple[int, list[dict[str, Any]]]:
    name = f"hostile-{next(_runs)}"
    body, ctype = slash_command(text, user_id=slack.uid(), trigger_id=f"trigger-{name}",
                                response_url=slack.fake.response_url(name),
                                **{"user_name": "someone", "channel_id": "CGENERAL", **fields})
    response = slack.post(body, ctype)
    return response.status_code, slack.fake.responses(name)


@SQLITE
@FAST
@given(text=TEXT)
def test_any_command_text_is_answered_and_reading_changes_nothing(slack: Slack,
                                                                  text: str) -> None:
    before = count(slack)
    status, replies = run(slack, f"show {text}")
    assert status == 200 and len(replies) == 1
    assert "went wrong" not in replies[0]["text"]
    assert count(slack) == before


@SQLITE
@FAST
@given(text=TEXT)
def test_declaring_any_title_declares_that_title_or_says_why_not(slack: Slack,
                                                                 text: str) -> None:
    before = count(slack)
    status, replies = run(slack, f"new p3 {text}")
    assert status == 200 and len(replies) == 1
    reply = replies[0]["text"]
    assert "went wrong" not in reply
    if "Declared" in reply:
        assert count(slack) == before + 1
        latest = queries.get_detail(slack.db, slack.world.ws_id, before + 1).incident
        assert latest.title == " ".join(readable(text).split())
    else:
        assert count(slack) == before


@SQLITE
@FAST
@given(channel=PRINTABLE, user=PRINTABLE)
def test_any_channel_or_user_name_still_gets_the_command(slack: Slack, channel: str,
                                                         user: str) -> None:
    status, replies = run(slack, "help", channel_name=channel, user_name=user)
    assert status == 200 and len(replies) == 1 and "subcommands" in replies[0]["text"]


def test_a_title_with_a_control_character_gets_a_specific_answer(slack: Slack) -> None:
    status, replies = run(slack, "new p2 disk\x00 full\x07")
    assert status == 200 and "control character (U+0000)" in replies[0]["text"]
    assert count(slack) == 0


@SQLITE
@FAST
@given(title=PRINTABLE)
def test_any_modal_title_declares_it_or_comes_back_as_a_field_error(slack: Slack,
                                                                    title: str) -> None:
    slack.command("new")
    view = slack.last_view()
    before = count(slack)
    response = slack.submit(view, {"title": value(title), "severity": {"value": {
        "type": "static_select", "selected_option": {"value": "p3"}}}})
    assert response.status_code == 200
    answer = response.json()
    if answer["response_action"] == "errors":
        assert "title" in answer["errors"] and "went wrong" not in answer["errors"]["title"]
        assert count(slack) == before
    else:  # acked from the form alone; declared after the ack
        assert answer["response_action"] == "update"
        assert count(slack) == before + 1
        latest = queries.get_detail(slack.db, slack.world.ws_id, before + 1).incident
        assert latest.title == " ".join(title.split())


@FAST
@given(text=st.one_of(TEXT, st.text(max_size=80)))
def test_any_message_lands_on_the_timeline_as_typed(slack: Slack, text: str) -> None:
    if not hasattr(slack, "channel_for_test"):
        incidents.declare(slack.db, slack.world.actor(), title="Checkout is down")
        slack.drain()
        slack.channel_for_test = queries.get_detail(  # type: ignore[attr-defined]
            slack.db, slack.world.ws_id, 1).incident.slack_channel_id
    channel = slack.channel_for_test  # type: ignore[attr-defined]
    ts = slack.say(channel, slack.uid(), text)
    with slack.db.read() as session:
        entry = session.exec(select(TimelineEvent).where(
            TimelineEvent.dedupe_key == f"slack:{channel}:{ts}")).first()
    assert entry is not None and entry.text == readable(storable(text)).strip()


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=3), max_leaves=8)
SLACK_KEYS = st.sampled_from(["type", "team", "team_id", "user", "event", "view", "actions",
                              "authorizations", "channel", "enterprise", "container",
                              "command", "trigger_id", "response_url", "callback_id",
                              "action_id", "block_id", "value"])
SLACK_TYPES = st.sampled_from(["event_callback", "block_actions", "view_submission",
                               "view_closed", "shortcut", "message_action",
                               "url_verification", "block_suggestion"])
SHAPES = (st.builds(lambda kind, rest: {**rest, "type": kind}, SLACK_TYPES,
                    st.dictionaries(SLACK_KEYS, JSON_VALUES, max_size=6))
          | st.dictionaries(SLACK_KEYS, JSON_VALUES, max_size=6) | JSON_VALUES)


@SQLITE
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(shape=SHAPES, as_form=st.booleans())
def test_a_signed_body_of_any_shape_is_never_a_server_error(slack: Slack, shape: Any,
                                                            as_form: bool) -> None:
    if as_form:
        body = urlencode({"payload": json.dumps(shape)}).encode()
        ctype = "application/x-www-form-urlencoded"
    else:
        body, ctype = json.dumps(shape).encode(), "application/json"
    response = slack.post(body, ctype)
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.json()["error"]


@SQLITE
def test_event_shapes_slack_never_sends_are_refused_with_a_reason(slack: Slack) -> None:
    body, ctype = event_callback({"type": "message", "channel": ["C1"], "user": "U1",
                                  "ts": "1.0"}, event_id="Ev1")
    response = slack.post(body, ctype)
    assert response.status_code == 400 and "event.channel" in response.json()["error"]
    no_view_type = {"type": "view_submission", "team": {"id": "T0SANDBOX"},
                    "user": {"id": slack.uid()}, "view": {"callback_id": "new_incident"}}
    response = slack.post(urlencode({"payload": json.dumps(no_view_type)}).encode(),
                          "application/x-www-form-urlencoded")
    assert response.status_code == 400 and "view's type" in response.json()["error"]
    response = slack.post(b"[1, 2]", "application/json")
    assert response.status_code == 400 and "not an object" in response.json()["error"]
    response = slack.post(b"text=hi", "text/plain")
    assert response.status_code == 415


@SQLITE
def test_a_body_over_the_limit_is_413(slack: Slack) -> None:
    message = message_event("C1", slack.uid(), "x" * (MAX_BODY + 10), "1.0")
    body, ctype = event_callback(message, event_id="EvBig")
    assert slack.post(body, ctype).status_code == 413
