"""Action items from Slack: added with owner and due date, listed across incidents, done and
reopened by command or button, assigned; shown on the web tab."""

from datetime import date, timedelta

from core.permissions import Role
from services import action_items, incidents
from tests.bot_harness import Slack, mention, slack_fixture, user  # noqa: F401


def test_add_with_owner_and_due_then_list_done_reopen(slack: Slack) -> None:
    actor = slack.world.actor()
    incidents.declare(slack.db, actor, title="Checkout is down")
    incidents.declare(slack.db, actor, title="Search is slow")
    due = (date.today() + timedelta(days=7)).isoformat()
    reply = slack.reply(f"action INC-1 Add an alert on queue depth {mention('UENG0')} due {due}")
    assert "Action item #1 added to INC-0001 for <@UENG0>, due " + due in reply
    slack.reply("action INC-2 Tune the search cache")
    items, total = action_items.open_items(slack.db, slack.world.ws_id)
    assert total == 2 and items[0].due_on == date.fromisoformat(due)  # soonest due first
    [listing] = slack.command("actions")
    text = str(listing["blocks"])
    assert "Add an alert on queue depth" in text and "Tune the search cache" in text
    assert "INC-0002" in text
    mine = slack.command("actions mine", user="UENG0")[0]
    assert "queue depth" in str(mine["blocks"]) and "search cache" not in str(mine["blocks"])
    assert "is done" in slack.click("item_done", "1")[0]["text"]
    assert "already done" in slack.click("item_done", "1")[0]["text"]
    assert "open again" in slack.reply("actions reopen 1")
    assert "is now <@UENG1>'s" in slack.reply(f"actions assign 1 {mention('UENG1')}")
    items, _ = action_items.open_items(slack.db, slack.world.ws_id,
                                       owner_id=slack.world.members_extra[1].id)
    assert [i.id for i in items] == [1]


def test_bad_action_input_is_explained(slack: Slack) -> None:
    incidents.declare(slack.db, slack.world.actor(), title="x")
    assert "is not a date" in slack.reply("action INC-1 fix it due tomorrow")
    assert "in the past" in slack.reply("action INC-1 fix it due 2020-01-01")
    assert "Give its number" in slack.reply("actions done abc")
    assert "No action item #99" in slack.reply("actions done 99")
    slack.reply("action INC-1 fix it")
    assert slack.reply("actions done 1", role=Role.VIEWER).startswith("🔒")


def test_assign_button_opens_a_form_that_sets_the_owner(slack: Slack) -> None:
    incidents.declare(slack.db, slack.world.actor(), title="x")
    slack.reply("action INC-1 fix the alert")
    [listing] = slack.command("actions")
    assert "item_assign" in str(listing["blocks"])
    assert slack.click("item_assign", "1", role=Role.VIEWER)[0]["text"].startswith("🔒")
    assert slack.click("item_assign", "1") == []
    view = slack.last_view()
    assert view["callback_id"] == "assign_action_item" and "fix the alert" in str(view)
    assert "Choose who owns it" in slack.submit(view, {}).json()["errors"]["owner"]
    slack.submit(view, {"owner": user("UENG2")})
    items, _ = action_items.open_items(slack.db, slack.world.ws_id,
                                       owner_id=slack.world.members_extra[2].id)
    assert [i.id for i in items] == [1]
