"""`/vigilo storm|cause suggest|link|unlink|stats` and their buttons, through the real Bolt
app over signed HTTP, on SQLite and PostgreSQL."""

from datetime import timedelta
from typing import Any

from core.permissions import Role
from integrations.slack.insight_blocks import (
    ACTION_LINK_CHANGE,
    ACTION_POST_UPDATE,
    ACTION_SNOOZE,
    ACTION_STORM_ACK,
    ACTION_STORM_RESOLVE,
)
from services import change_requests, incidents, queries, runbooks, storm_views, storms
from services.change_requests import clean_change
from store.types import utcnow
from tests.bot_harness import Slack, slack_fixture  # noqa: F401


def accessories(reply: dict[str, Any]) -> list[tuple[str, str]]:
    return [(b["accessory"]["action_id"], b["accessory"]["value"]) for b in reply["blocks"]
            if "accessory" in b]


def storm_of_three(slack: Slack) -> int:
    for n in range(3):
        incidents.declare(slack.db, slack.world.actor(), title=f"api {n}", services=["api"],
                          detected_at=utcnow() - timedelta(minutes=5))
    storms.detect(slack.db, utcnow())
    return storm_views.open_storms(slack.db, slack.world.ws_id)[0].id


def test_cause_suggest_with_link_buttons_then_link_and_unlink(slack: Slack) -> None:
    actor = slack.world.actor()
    change_requests.create(slack.db, actor, clean_change(
        "Deploy checkout", assets="checkout", started_at=utcnow() - timedelta(hours=2)))
    incidents.declare(slack.db, actor, title="Checkout down", services=["checkout"])
    reply = slack.command("cause suggest INC-1")[0]
    assert "CHG-0001" in str(reply["blocks"]) and "started 2 h before" in str(reply["blocks"])
    assert accessories(reply) == [(ACTION_LINK_CHANGE, "INC-0001 CHG-0001")]
    assert "now the probable cause of INC-0001" in slack.click(
        ACTION_LINK_CHANGE, "INC-0001 CHG-0001")[0]["text"]
    assert queries.get_detail(slack.db, slack.world.ws_id, 1).incident.caused_by_change_id
    assert "no longer linked" in slack.reply("unlink INC-1")
    assert "now the probable cause" in slack.reply("link INC-1 chg-1")
    assert slack.command("link INC-1") == []  # alone: the Pick a change modal opens
    assert slack.last_view()["callback_id"] == "pick_change"
    assert "No change CHG-0009" in slack.reply("link INC-1 CHG-9")
    assert "Root cause of INC-0001 recorded" in slack.reply("cause INC-1 bad config")
    assert "Only" not in slack.reply("cause suggest INC-1")  # still answers after a cause
    assert "can read incidents but not" in slack.reply("unlink INC-1", role=Role.VIEWER)


def test_storm_list_ack_and_resolve(slack: Slack) -> None:
    storm_id = storm_of_three(slack)
    listing = slack.command("storm")[0]
    assert "3 related incidents in the last 30 minutes" in str(listing["blocks"])
    assert [(e["action_id"], e["value"]) for b in listing["blocks"] if b["type"] == "actions"
            for e in b["elements"]] == [(ACTION_STORM_ACK, str(storm_id)),
                                        (ACTION_STORM_RESOLVE, str(storm_id))]
    reply = slack.reply("storm ack")
    assert "You now command 3 incidents" in reply and "Started investigating" in reply
    for number in (1, 2, 3):
        assert queries.get_detail(slack.db, slack.world.ws_id, number).incident.status == \
            "investigating"
    assert "resolved" not in slack.reply(f"storm resolve {storm_id}", role=Role.ENGINEER)
    assert f"Storm #{storm_id} resolved" in slack.reply(f"storm resolve {storm_id}",
                                                         role=Role.ADMIN)
    assert "No open storm" in slack.reply("storm")
    assert "There is no open storm" in slack.reply("storm ack")
    assert "is not a storm number" in slack.reply("storm ack x")


def test_storm_buttons(slack: Slack) -> None:
    storm_id = storm_of_three(slack)
    assert "You now command" in slack.click(ACTION_STORM_ACK, str(storm_id))[0]["text"]
    assert "resolved" in slack.click(ACTION_STORM_RESOLVE, str(storm_id),
                                     role=Role.ADMIN)[0]["text"]
    assert "does not name a storm" in slack.click(ACTION_STORM_ACK, "nope")[0]["text"]


def test_reminder_buttons_and_stats(slack: Slack) -> None:
    incidents.declare(slack.db, slack.world.actor(), title="Slow", severity="p1")
    assert "No update reminders for INC-0001 until" in slack.click(
        ACTION_SNOOZE, "INC-0001")[0]["text"]
    assert slack.click(ACTION_POST_UPDATE, "INC-0001") == []  # opens Post update
    assert slack.last_view()["callback_id"] == "post_update"
    stats = slack.reply("stats")
    assert "Response times" in stats and "Last 7 days* — 1 incidents" in stats


def test_declaring_suggests_matching_runbooks(slack: Slack) -> None:
    runbooks.add(slack.db, slack.world.actor(), title="Checkout failover",
                 link="https://wiki/co")
    reply = slack.command("new p2 Checkout errors")[0]
    assert "Runbooks that may help" in str(reply["blocks"])
    assert "<https://wiki/co|Checkout failover>" in str(reply["blocks"])


def test_open_storms_show_on_the_home_tab_with_acknowledge_all(slack: Slack) -> None:
    storm_id = storm_of_three(slack)
    user = slack.uid()
    slack.event({"type": "app_home_opened", "user": user, "channel": "D1", "tab": "home",
                 "event_ts": "1.0"})
    view = slack.fake.home_view(user)
    assert view is not None
    assert any(f"Storm #{storm_id}" in b["text"]["text"] for b in view["blocks"]
               if b["type"] == "section")
    assert (ACTION_STORM_ACK, str(storm_id)) in [
        (e["action_id"], e.get("value")) for b in view["blocks"] if b["type"] == "actions"
        for e in b["elements"]]
