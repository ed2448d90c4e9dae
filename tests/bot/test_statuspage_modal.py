"""The status-page modal through the real app: opened by `/vigilo statuspage` alone, field
errors inside the modal, publish / update / withdraw through the same services."""

from typing import Any

from core.permissions import Role
from services import incidents, statuspage
from tests.bot_harness import Slack, option, slack_fixture, value  # noqa: F401


def inputs(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}


def said(view: dict[str, Any]) -> str:
    return str([b for b in view["blocks"] if b["type"] in ("context", "section")])


def form(action: str, status: str, message: str = "") -> dict[str, Any]:
    return {"action": option(action), "status": option(status), "message": value(message)}


def redrawn(slack: Slack) -> dict[str, Any]:
    return dict(slack.fake.calls_to("views.update")[-1].params["view"])


def opened(slack: Slack, text: str = "statuspage INC-0001") -> dict[str, Any]:
    assert slack.command(text) == []  # no reply: the modal is the answer
    view = slack.last_view()
    assert view["callback_id"] == "status_page"
    return view


def test_the_modal_publishes_updates_and_withdraws(slack: Slack) -> None:
    incidents.declare(slack.db, slack.world.actor(), title="Internal: db-7 OOM", severity="p4")
    view = opened(slack)
    fields = inputs(view)
    assert list(fields) == ["action", "status", "message"]
    assert fields["action"]["initial_option"]["value"] == "publish"
    assert fields["status"]["initial_option"]["value"] == "investigating"
    assert [o["value"] for o in fields["status"]["options"]] == [
        "investigating", "identified", "monitoring", "resolved"]
    assert "initial_value" not in fields["message"]  # never drafted from internal text
    assert fields["message"]["max_length"] == 2000
    assert "not on the public status page" in said(view)
    answer = slack.submit(view, form("publish", "identified", "Checkout is slow for some."))
    assert answer.json()["response_action"] == "update"  # acked from the form alone
    assert "is on the public status page (Identified)" in str(redrawn(slack))
    [shown] = statuspage.public_page(slack.db, "acme").active
    assert (shown.status, [u.message for u in shown.updates]) == (
        "identified", ["Checkout is slow for some."])
    assert "db-7" not in str(shown)

    again = opened(slack)
    fields = inputs(again)
    assert fields["action"]["initial_option"]["value"] == "update"
    assert fields["status"]["initial_option"]["value"] == "identified"
    assert "initial_value" not in fields["message"]
    assert "as *Identified*" in said(again)
    slack.submit(again, form("update", "monitoring", "A fix is rolling out."))
    [shown] = statuspage.public_page(slack.db, "acme").active
    assert shown.status == "monitoring" and shown.updates[0].message == "A fix is rolling out."
    slack.submit(opened(slack), form("withdraw", "monitoring"))
    assert "off the public status page" in str(redrawn(slack))
    assert statuspage.public_page(slack.db, "acme").active == ()


def test_field_errors_come_back_inside_the_modal_and_change_nothing(slack: Slack) -> None:
    incidents.declare(slack.db, slack.world.actor(), title="Checkout", severity="p4")
    view = opened(slack)
    cases = {
        "message": [form("publish", "investigating", "   "),
                    form("update", "investigating", ""),
                    form("withdraw", "investigating", "kept words"),
                    form("publish", "investigating", "x" * 2001)],
        "status": [form("publish", "on-fire", "words")],
        "action": [form("delete", "investigating", "words")],
    }
    for block, submissions in cases.items():
        for values in submissions:
            body = slack.submit(view, values).json()
            assert body["response_action"] == "errors" and list(body["errors"]) == [block], (
                values, body)
    assert statuspage.public_page(slack.db, "acme").active == ()


def test_a_refusal_after_the_ack_redraws_the_form_with_what_was_typed(slack: Slack) -> None:
    incidents.declare(slack.db, slack.world.actor(), title="Checkout", severity="p4")
    view = opened(slack)
    slack.submit(view, form("update", "investigating", "Words nobody loses"))
    again = redrawn(slack)
    assert again["callback_id"] == "status_page"
    assert "not on the status page" in said(again)
    assert inputs(again)["message"]["initial_value"] == "Words nobody loses"
    assert statuspage.public_page(slack.db, "acme").active == ()


def test_same_permissions_and_incident_rules_as_the_commands(slack: Slack) -> None:
    incidents.declare(slack.db, slack.world.actor(), title="Checkout", severity="p4")
    assert "commander or a workspace admin" in slack.reply("statuspage INC-0001",
                                                           role=Role.VIEWER)
    assert "Which incident?" in slack.reply("statuspage")  # not in an incident channel
    assert "No incident INC-0009" in slack.reply("statuspage INC-0009")
    assert slack.fake.calls_to("views.open") == []


def test_a_replayed_submission_publishes_and_updates_once(slack: Slack) -> None:
    incidents.declare(slack.db, slack.world.actor(), title="Checkout", severity="p4")
    actor = slack.world.actor()
    for _ in range(2):  # the inbox may run a stored submission again after a crash
        statuspage.publish(slack.db, actor, "INC-0001", "Checkout is slow.", "identified")
    for _ in range(2):
        statuspage.update(slack.db, actor, "INC-0001", "Fix deployed.", "monitoring")
    [shown] = statuspage.public_page(slack.db, "acme").active
    assert [u.message for u in shown.updates] == ["Fix deployed.", "Checkout is slow."]
