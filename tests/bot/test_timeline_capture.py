"""Any Slack message onto an incident's timeline: the "Add to incident timeline" message
shortcut (choose the incident), and a 📌 reaction in an incident channel on `command`
capture. Once per message, at the time it was posted, under its author's name."""

import json
import time
from typing import Any
from urllib.parse import urlencode

from core.permissions import Role
from services import incidents, queries, workspaces
from store.models import TimelineEvent
from tests.bot_harness import Slack, option, slack_fixture, value  # noqa: F401
from vigilo.sandbox.slack_model import TEAM_ID


def notes(slack: Slack) -> list[TimelineEvent]:
    detail = queries.get_detail(slack.db, slack.world.ws_id, 1)
    return [e for e in detail.timeline if e.label == "note"]


def shortcut(slack: Slack, channel: str, ts: str, text: str, author: str, *,
             role: Role = Role.ENGINEER) -> None:
    payload = {"type": "message_action", "callback_id": "add_to_timeline",
               "trigger_id": "trigger-shortcut", "team": {"id": TEAM_ID, "domain": "sandbox"},
               "user": {"id": slack.uid(role), "team_id": TEAM_ID}, "api_app_id": "A0VIGILO",
               "channel": {"id": channel, "name": "general"}, "message_ts": ts,
               "message": {"type": "message", "user": author, "ts": ts, "text": text},
               "response_url": slack.fake.response_url("shortcut")}
    response = slack.post(urlencode({"payload": json.dumps(payload)}).encode(),
                          "application/x-www-form-urlencoded")
    assert response.status_code == 200


def test_shortcut_asks_which_incident_and_adds_the_message_once(slack: Slack) -> None:
    incidents.declare(slack.db, slack.world.actor(), title="Checkout is down")
    incidents.declare(slack.db, slack.world.actor(), title="Search is slow")
    slack.fake.add_user("UWALKIN", "walk", "Walk In")
    posted = f"{time.time() - 600:.6f}"  # ten minutes ago
    shortcut(slack, "CGENERAL", posted, "saw 500s on <@UENG0|eng0>'s dashboard", "UWALKIN")
    view = slack.last_view()
    assert view["callback_id"] == "timeline_from_message"
    fields = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    offered = [o["value"] for o in fields["incident"]["options"]]
    assert sorted(offered) == ["INC-0001", "INC-0002"]
    assert fields["text"]["initial_value"] == "saw 500s on @eng0's dashboard"
    missing = slack.submit(view, {"text": value("x")}).json()
    assert missing["errors"]["incident"] == "Choose the incident."
    state = {"incident": option("INC-0001"), "text": value(fields["text"]["initial_value"])}
    slack.submit(view, state)
    slack.submit(view, state)  # twice: still once
    [entry] = notes(slack)
    assert entry.text == "saw 500s on @eng0's dashboard" and entry.actor == "Walk In"
    assert abs(entry.at.timestamp() - float(posted)) < 0.001  # when it was posted
    assert entry.payload["added_by"] == "Engineer" and entry.payload["via"] == "shortcut"


def test_viewers_cannot_use_the_shortcut(slack: Slack) -> None:
    incidents.declare(slack.db, slack.world.actor(), title="Checkout is down")
    shortcut(slack, "CGENERAL", "1764560280.000100", "x", "UENG0", role=Role.VIEWER)
    assert slack.fake.calls_to("views.open") == []
    [told] = [c for c in slack.fake.calls_to("chat.postEphemeral")]
    assert "viewer" in str(told.params["text"])


def pin(slack: Slack, channel: str, ts: str, *, user: str | None = None,
        reaction: str = "pushpin") -> Any:
    return slack.event({"type": "reaction_added", "user": user or slack.uid(),
                        "reaction": reaction, "item_user": "UENG1",
                        "item": {"type": "message", "channel": channel, "ts": ts},
                        "event_ts": ts})


def test_a_pin_in_an_incident_channel_adds_the_message_on_command_capture(slack: Slack
                                                                          ) -> None:
    incidents.declare(slack.db, slack.world.actor(), title="Checkout is down")
    slack.drain()
    channel = queries.get_detail(slack.db, slack.world.ws_id, 1).incident.slack_channel_id
    assert channel
    ts = slack.fake.add_message(channel, "UENG1", "restarted the payment workers")
    pin(slack, channel, ts)  # capture is "all": the message is on the timeline already
    assert notes(slack) == []
    workspaces.set_setting(slack.db, slack.world.actor(Role.ADMIN), "timeline_capture",
                           "command")
    pin(slack, channel, ts, reaction="eyes")
    assert notes(slack) == []
    pin(slack, channel, ts)
    pin(slack, channel, ts, user="UENG0")  # a second pin adds nothing
    [entry] = notes(slack)
    assert (entry.text, entry.actor) == ("restarted the payment workers", "Eng 1")
    told = [c.params["text"] for c in slack.fake.calls_to("chat.postEphemeral")]
    assert told == ["📌 Added to the incident's timeline."]
    other = slack.fake.add_message(channel, "UENG1", "viewers cannot pin")
    pin(slack, channel, other, user=slack.uid(Role.VIEWER))
    assert len(notes(slack)) == 1
    assert "viewer" in str(slack.fake.calls_to("chat.postEphemeral")[-1].params["text"])
