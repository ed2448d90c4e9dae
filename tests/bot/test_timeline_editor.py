"""The timeline editor modal: page through entries, edit and delete what people wrote (old
text kept, audited), add an entry at the time it happened, hide recorded changes from the
postmortem. Viewers cannot open it."""

import json
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from sqlmodel import col, select

from core.fsm import Move
from core.permissions import Role
from services import incidents, timeline
from services.postmortem_view import get_postmortem
from store.models import AuditLog, TimelineEvent
from store.types import utcnow
from tests.bot_harness import Slack, slack_fixture, value, when  # noqa: F401
from vigilo.sandbox.slack_model import TEAM_ID


def click_in(slack: Slack, view: dict[str, Any], action_id: str, *, value_: str = "",
             option: str | None = None, role: Role = Role.ENGINEER) -> dict[str, Any]:
    """A click inside an open modal (button or overflow menu); the modal as redrawn."""
    action: dict[str, Any] = {"action_id": action_id, "block_id": "b", "type": "button",
                              "value": value_}
    if option is not None:
        action = {"action_id": action_id, "block_id": "b", "type": "overflow",
                  "selected_option": {"value": option}}
    payload = {"type": "block_actions", "team": {"id": TEAM_ID, "domain": "sandbox"},
               "user": {"id": slack.uid(role), "team_id": TEAM_ID}, "api_app_id": "A0VIGILO",
               "trigger_id": "trigger-in-view", "container": {"type": "view",
                                                              "view_id": view["id"]},
               "view": view, "actions": [action]}
    body = urlencode({"payload": json.dumps(payload)}).encode()
    response = slack.post(body, "application/x-www-form-urlencoded")
    assert response.status_code == 200
    stored = slack.fake.view(view["id"])
    assert stored is not None
    return stored


def menu(view: dict[str, Any], text: str) -> list[str]:
    """The overflow options of the entry whose text contains `text`."""
    for block in view["blocks"]:
        if block["type"] == "section" and text in block["text"]["text"]:
            return [o["value"] for o in block.get("accessory", {}).get("options", [])]
    raise AssertionError(f"no entry with {text!r}")


def setup(slack: Slack) -> None:
    actor = slack.world.actor()
    incidents.declare(slack.db, actor, title="Checkout is down")
    timeline.append_entry(slack.db, actor, 1, "rolled back build 512")
    incidents.transition(slack.db, actor, 1, Move.INVESTIGATE)
    for n in range(12):
        timeline.append_entry(slack.db, actor, 1, f"update {n}")


def test_editor_pages_and_edits_keeping_the_old_text(slack: Slack) -> None:
    setup(slack)
    assert slack.command("timeline INC-1") == []
    view = slack.last_view()
    assert view["callback_id"] == "timeline_editor" and "page 1 of 2" in str(view["blocks"])
    assert "update 11" in str(view["blocks"]) and "rolled back" not in str(view["blocks"])
    older = click_in(slack, view, "tl_page", value_="INC-0001 2")
    assert "page 2 of 2" in str(older["blocks"]) and "rolled back build 512" in str(
        older["blocks"])
    options = menu(older, "rolled back build 512")
    assert [o.split()[0] for o in options] == ["edit", "delete", "hide"]
    form = click_in(slack, older, "tl_entry", option=options[0])
    assert form["callback_id"] == "timeline_edit_entry"
    assert form["blocks"][-1]["element"]["initial_value"] == "rolled back build 512"
    slack.submit(form, {"text": value("rolled back build 512 to 511")})
    with slack.db.read() as s:
        event = s.exec(select(TimelineEvent).where(
            TimelineEvent.text == "rolled back build 512 to 511")).one()
        audit = s.exec(select(AuditLog).where(AuditLog.action == "timeline.edited")).one()
    assert event.payload["previous_texts"][0]["text"] == "rolled back build 512"
    assert audit.detail["new"] == "rolled back build 512 to 511"


def test_recorded_changes_are_hidden_not_rewritten_and_postmortem_follows(slack: Slack
                                                                          ) -> None:
    setup(slack)
    actor = slack.world.actor()
    incidents.transition(slack.db, actor, 1, Move.RESOLVE)
    incidents.transition(slack.db, actor, 1, Move.OPEN_POST_MORTEM)
    slack.command("timeline INC-1")
    view = click_in(slack, slack.last_view(), "tl_page", value_="INC-0001 2")
    options = menu(view, "Start investigating")
    assert [o.split()[0] for o in options] == ["hide"]  # a recorded change: no edit, no delete
    view = click_in(slack, view, "tl_entry", option=options[0])
    assert "Hidden from the postmortem" in str(view["blocks"])
    assert "hidden from the postmortem" in str(view["blocks"])
    copy = get_postmortem(slack.db, slack.world.ws_id, 1, whole_timeline=True).timeline
    assert not any("Start investigating" in str(e["text"]) for e in copy)
    # A forged menu value for a rewrite is refused in place, and changes nothing.
    event_id = options[0].split()[2]
    refused = click_in(slack, view, "tl_entry", option=f"delete INC-0001 {event_id}")
    assert "Only what people wrote can be edited or deleted" in str(refused["blocks"])
    deleted = click_in(slack, refused, "tl_entry",
                       option=menu(refused, "rolled back build 512")[1])
    assert "Deleted the entry" in str(deleted["blocks"])
    copy = get_postmortem(slack.db, slack.world.ws_id, 1, whole_timeline=True).timeline
    assert not any("rolled back build 512" in str(e["text"]) for e in copy)
    with slack.db.read() as s:
        actions = [a.action for a in s.exec(select(AuditLog).order_by(col(AuditLog.id)))]
    assert "timeline.hidden" in actions and "timeline.deleted" in actions


def test_add_an_entry_at_the_time_it_happened(slack: Slack) -> None:
    setup(slack)
    slack.command("timeline INC-1")
    form = click_in(slack, slack.last_view(), "tl_add", value_="INC-0001")
    assert form["callback_id"] == "timeline_add_entry"
    noticed = utcnow() - timedelta(minutes=30)
    future = slack.submit(form, {"text": value("x"), "at": when(
        (utcnow() + timedelta(hours=1)).timestamp())}).json()
    assert "in the future" in future["errors"]["at"]
    slack.submit(form, {"text": value("we noticed the error rate at 02:58"),
                        "at": when(noticed.timestamp())})
    with slack.db.read() as s:
        event = s.exec(select(TimelineEvent).where(
            TimelineEvent.text == "we noticed the error rate at 02:58")).one()
    assert abs((event.at - noticed).total_seconds()) < 1 and event.editable


def test_viewers_cannot_open_the_editor(slack: Slack) -> None:
    setup(slack)
    assert slack.reply("timeline INC-1", role=Role.VIEWER).startswith("🔒")
    assert slack.fake.calls_to("views.open") == []
