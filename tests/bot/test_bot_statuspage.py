"""`/vigilo statuspage ...` through the real app."""

from core.permissions import Role
from services import incidents, statuspage
from tests.bot_harness import Slack, slack_fixture  # noqa: F401


def test_publish_update_withdraw_from_slack(slack: Slack) -> None:
    incidents.declare(slack.db, slack.world.actor(), title="Internal words", severity="p4")
    reply = slack.reply("statuspage INC-0001 publish Checkout is slow for some customers.")
    assert reply.startswith("✅ INC-0001 is on the public status page (Investigating)")
    assert "http://vigilo.test/status/acme" in reply
    assert "Status page updated" in slack.reply("statuspage INC-0001 update Fix deployed.")
    page = statuspage.public_page(slack.db, "acme")
    assert [u.message for u in page.active[0].updates] == [
        "Fix deployed.", "Checkout is slow for some customers."]
    for text, expected in [("statuspage INC-0001 publish", "needs the words"),
                           ("statuspage INC-0001 shout hi", "publish or update"),
                           ("statuspage INC-0001 withdraw now", "takes nothing"),
                           ("statuspage publish hi", "Which incident?")]:
        assert expected in slack.reply(text), text
    assert "commander or a workspace admin" in slack.reply(
        "statuspage INC-0001 withdraw", role=Role.VIEWER)
    assert "off the public status page" in slack.reply("statuspage INC-0001 withdraw")
    assert statuspage.public_page(slack.db, "acme").active == ()
