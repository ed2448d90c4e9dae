"""An incident from declaration to archived channel, only through what Slack sends: signed
commands, clicks and channel messages, with the outbox delivering to the fake Slack."""

from services import queries
from tests.bot_harness import Slack, mention, slack_fixture  # noqa: F401


def test_declare_channel_messages_transitions_resolve_archive(slack: Slack) -> None:
    oncall, helper = slack.uid(), slack.world.members_extra[0].slack_user_id
    declared = slack.reply("new p1 Checkout is down for EU customers")
    assert "Declared *<http://vigilo.test/ws/acme/incidents/INC-0001|INC-0001>*" in declared
    slack.drain()
    channel = slack.fake.channel_by_name("inc-0001-checkout-is-down-for-eu-customers")
    assert channel is not None and oncall in channel.members
    assert slack.fake.pins(channel.id)  # the situation report

    slack.say(channel.id, oncall, "Error rate at 40% since 03:10, paging payments")
    assert "as responder" in slack.reply(f"add {mention(helper)}", channel=channel.id)
    slack.drain()
    assert helper in slack.fake.channels[channel.id].members
    slack.say(channel.id, helper, "I see <https://deploys.example.com/771|deploy 771> at 03:08")

    assert "now *Investigating*" in slack.click("inc_investigate", "INC-0001",
                                                channel=channel.id)[0]["text"]
    slack.reply("log rolling back deploy 771", channel=channel.id)
    slack.say(channel.id, helper, "rollback done, errors dropping")
    slack.reply("mitigate", channel=channel.id, user=helper)
    slack.reply("resolve deploy 771 shipped a bad payments config", channel=channel.id)
    slack.drain()
    assert slack.fake.channels[channel.id].archived
    slack.reply("postmortem INC-0001")

    detail = queries.get_detail(slack.db, slack.world.ws_id, 1)
    assert (detail.incident.status, detail.incident.root_cause) == (
        "post_mortem", "deploy 771 shipped a bad payments config")
    said = [(e.actor, e.text) for e in detail.timeline if e.label == "message"]
    assert said == [("Engineer", "Error rate at 40% since 03:10, paging payments"),
                    ("Eng 0", "I see deploy 771 (https://deploys.example.com/771) at 03:08"),
                    ("Eng 0", "rollback done, errors dropping")]
    moves = [e.payload.get("to") for e in detail.timeline if e.label == "status_changed"]
    assert moves == ["investigating", "mitigated", "resolved", "post_mortem"]
    posted = "\n".join(m.full_text for m in slack.fake.messages(channel.id))
    assert "open → investigating" in posted and "bad payments config" in posted
    assert detail.postmortem is not None and any(
        "rollback done" in str(e.get("text")) for e in detail.postmortem.timeline)
