"""Pick a change: `/vigilo link` alone opens a modal with an external select; Slack's
block_suggestion requests are answered at once with the workspace's matching changes, newest
first, and never stored in the inbox; the picked change is bound. Signed HTTP, fake Slack."""

import json
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from bot.modals.pick_change import ACTION_PICK, BLOCK
from core.permissions import Role
from services import change_requests, incidents, queries
from services.change_requests import clean_change
from store.inbox_models import InboxRow
from store.types import utcnow
from tests.bot_harness import Slack, slack_fixture  # noqa: F401
from tests.conftest import World
from vigilo.sandbox.slack_model import TEAM_ID


def suggest(slack: Slack, typed: str, *, team: str = TEAM_ID) -> Any:
    payload = {"type": "block_suggestion", "team": {"id": team, "domain": "sandbox"},
               "user": {"id": slack.uid(), "team_id": team}, "api_app_id": "A0VIGILO",
               "action_id": ACTION_PICK, "block_id": BLOCK, "value": typed,
               "view": {"type": "modal", "callback_id": "pick_change", "id": "V1"}}
    body = urlencode({"payload": json.dumps(payload)}).encode()
    return slack.post(body, "application/x-www-form-urlencoded")


def values(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [o["value"] for o in response.json()["options"]]


def changes(slack: Slack, *titles: str) -> None:
    for n, title in enumerate(titles):
        change_requests.create(slack.db, slack.world.actor(), clean_change(
            title, assets="checkout", started_at=utcnow() - timedelta(hours=len(titles) - n)))


def inbox_rows(slack: Slack) -> int:
    with slack.db.read() as session:
        return len(session.exec(select(InboxRow)).all())


def test_link_alone_opens_pick_a_change_and_binds_the_picked_one(slack: Slack) -> None:
    changes(slack, "Deploy checkout", "Flip payments flag", "Deploy search")
    incidents.declare(slack.db, slack.world.actor(), title="Checkout down")
    assert slack.command("link INC-1") == []  # the modal is the answer
    view = slack.last_view()
    element = next(b for b in view["blocks"] if b.get("block_id") == BLOCK)["element"]
    assert element["type"] == "external_select" and element["action_id"] == ACTION_PICK
    stored = inbox_rows(slack)
    assert values(suggest(slack, "")) == ["CHG-0003", "CHG-0002", "CHG-0001"]  # newest first
    assert values(suggest(slack, "deploy")) == ["CHG-0003", "CHG-0001"]
    assert values(suggest(slack, "chg-2")) == ["CHG-0002"]
    assert values(suggest(slack, "100%_")) == []
    assert values(suggest(slack, "x", team="T0OTHER")) == []  # not our workspace: nothing
    assert inbox_rows(slack) == stored  # suggestions are reads, never stored as work
    picked = {BLOCK: {ACTION_PICK: {"type": "external_select", "selected_option": {
        "value": "CHG-0002", "text": {"type": "plain_text", "text": "CHG-0002 · Flip"}}}}}
    response = slack.submit(view, picked)
    assert response.status_code == 200
    detail = queries.get_detail(slack.db, slack.world.ws_id, 1)
    assert detail.incident.caused_by_change_id is not None
    assert "now the probable cause of INC-0001" in str(slack.fake.view(view["id"]))


def test_pick_a_change_refuses_an_empty_pick_and_viewers(slack: Slack) -> None:
    changes(slack, "Deploy checkout")
    incidents.declare(slack.db, slack.world.actor(), title="Checkout down")
    slack.command("link INC-1")
    response = slack.submit(slack.last_view(), {})
    assert response.json() == {"response_action": "errors",
                               "errors": {BLOCK: "Pick a change from the list."}}
    assert "can read incidents but not" in slack.reply("link INC-1", role=Role.VIEWER)
    assert "No incident INC-0009" in slack.reply("link INC-9")


def test_link_with_a_key_and_unlink_keep_working(slack: Slack, world: World) -> None:
    incidents.declare(slack.db, world.actor(), title="Checkout down")
    assert "No change has been recorded yet" in slack.reply("link INC-1")
    changes(slack, "Deploy checkout")
    assert "now the probable cause" in slack.reply("link INC-1 CHG-1")
    assert "no longer linked" in slack.reply("unlink INC-1")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(typed=st.text(max_size=300))
def test_any_typed_text_gets_options_never_an_error(slack: Slack, typed: str) -> None:
    if not hasattr(slack, "changes_for_test"):
        changes(slack, "Deploy 100% of checkout_v2", "Flip \\ flag")
        slack.changes_for_test = True  # type: ignore[attr-defined]
    found = values(suggest(slack, typed))
    assert set(found) <= {"CHG-0001", "CHG-0002"}
    if not typed.strip():
        assert found == ["CHG-0002", "CHG-0001"]
