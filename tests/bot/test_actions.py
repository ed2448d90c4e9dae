"""Buttons on Vigilo's messages: the same permissions and FSM as the commands."""

import json
from typing import Any
from urllib.parse import urlencode

from core.fsm import Move
from core.permissions import Role
from services import incidents, queries
from tests.bot_harness import Slack, option, slack_fixture, value  # noqa: F401
from vigilo.sandbox.slack_model import TEAM_ID


def status(slack: Slack) -> str:
    return queries.get_detail(slack.db, slack.world.ws_id, 1).incident.status


def sitrep_buttons(slack: Slack) -> dict[str, str]:
    """action_id → value of the buttons on the newest message Vigilo posted in the channel."""
    channel = queries.get_detail(slack.db, slack.world.ws_id, 1).incident.slack_channel_id
    assert channel
    posted = slack.fake.messages(channel)
    assert posted, "the outbox posted nothing"
    return {e["action_id"]: e["value"] for b in posted[-1].blocks if b["type"] == "actions"
            for e in b["elements"]}


def test_the_buttons_vigilo_posts_move_the_incident(slack: Slack) -> None:
    incidents.declare(slack.db, slack.world.actor(), title="API errors")
    slack.drain()
    buttons = sitrep_buttons(slack)
    assert buttons == {"inc_investigate": "INC-0001", "inc_add_responders": "INC-0001"}
    assert "now *Investigating*" in slack.click("inc_investigate", "INC-0001")[0]["text"]
    slack.drain()
    assert "inc_mitigate" in sitrep_buttons(slack)  # the announcement offers the next moves
    slack.click("inc_mitigate", "INC-0001")
    incidents.transition(slack.db, slack.world.actor(), 1, Move.RESOLVE)
    slack.click("inc_reopen", "INC-0001")
    assert status(slack) == "investigating"
    incidents.transition(slack.db, slack.world.actor(), 1, Move.RESOLVE)
    slack.click("inc_postmortem", "INC-0001")
    assert status(slack) == "post_mortem"
    assert queries.get_detail(slack.db, slack.world.ws_id, 1).postmortem is not None


def test_refused_clicks_answer_the_clicker_alone(slack: Slack) -> None:
    incidents.declare(slack.db, slack.world.actor(), title="API errors")
    viewer = slack.click("inc_investigate", "INC-0001", role=Role.VIEWER)
    assert viewer[0]["text"].startswith("🔒") and viewer[0]["response_type"] == "ephemeral"
    stale = slack.click("inc_mitigate", "INC-0001")
    assert "Cannot mitigate: the incident is open" in stale[0]["text"]
    assert "No incident INC-0009" in slack.click("inc_investigate", "INC-0009")[0]["text"]
    assert status(slack) == "open"


def home_click(slack: Slack, action_id: str, user: str) -> Any:
    payload = {"type": "block_actions", "team": {"id": TEAM_ID}, "user": {"id": user},
               "api_app_id": "A0VIGILO", "trigger_id": "trigger-home",
               "container": {"type": "view", "view_id": "V1"},
               "view": {"id": "V1", "type": "home"},
               "actions": [{"type": "button", "action_id": action_id, "value": "declare"}]}
    body = urlencode({"payload": json.dumps(payload)}).encode()
    return slack.post(body, "application/x-www-form-urlencoded")


def test_home_declare_button_opens_the_form_or_says_why_not_by_dm(slack: Slack) -> None:
    assert home_click(slack, "home_declare", slack.uid()).status_code == 200
    view = slack.last_view()
    assert view["callback_id"] == "new_incident"
    slack.submit(view, {"title": value("Declared from home"), "severity": option("p2")})
    declared = [c for c in slack.fake.calls_to("chat.postMessage")
                if c.params["channel"] == slack.uid()]  # no response_url: a direct message
    assert len(declared) == 1 and "Declared" in declared[0].params["text"]
    home_click(slack, "home_declare", slack.uid(Role.VIEWER))
    dms = [c for c in slack.fake.calls_to("chat.postMessage")
           if c.params["channel"] == slack.uid(Role.VIEWER)]
    assert len(dms) == 1 and dms[0].params["text"].startswith("🔒")
    assert home_click(slack, "link_web_list", slack.uid()).status_code == 200  # acked only
    assert len(slack.fake.calls_to("views.open")) == 1
