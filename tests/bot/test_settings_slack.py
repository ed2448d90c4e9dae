"""`/vigilo settings` over signed HTTP, and the announcements channel and delayed archive it
turns on, delivered to the fake Slack."""

from hypothesis import given
from hypothesis import strategies as st

from core.permissions import Role
from services import workspace_view
from tests.bot.test_slack_request import FAST, SQLITE, TEXT
from tests.bot_harness import Slack, slack_fixture  # noqa: F401


def test_admins_set_the_announcements_channel_from_slack_and_declarations_land_there(
        slack: Slack) -> None:
    channel = slack.fake.add_channel("incidents")
    said = slack.reply(f"settings announce_channel <#{channel}|incidents>", role=Role.ADMIN)
    assert f"`announce_channel` = <#{channel}>" in said and "Invite @Vigilo" in said
    assert "`announce_severity` = p2" in slack.reply("settings", role=Role.ADMIN)
    slack.reply("new p1 Checkout is down")
    slack.drain()
    [card] = slack.fake.messages(channel)
    assert "INC-0001" in card.full_text and "Checkout is down" in card.full_text
    assert "Open" in card.full_text


def test_wrong_values_and_non_admins_change_nothing(slack: Slack) -> None:
    said = slack.reply("settings announce_channel #in cidents", role=Role.ADMIN)
    assert "like #incidents or its id" in said
    said = slack.reply("settings archive_delay soon", role=Role.ADMIN)
    assert "30m, 24h" in said
    said = slack.reply("settings archive_delay 24h")  # an engineer
    assert "Only workspace admins" in said
    assert "There is no setting 'colour'" in slack.reply("settings colour red",
                                                         role=Role.ADMIN)
    settings = workspace_view.settings_for(slack.db, slack.world.actor(Role.ADMIN))
    assert (settings.announce_channel, settings.archive_delay) == ("", "0")


def test_a_delayed_archive_warns_the_channel_instead_of_archiving(slack: Slack) -> None:
    assert "`archive_delay` = 24h" in slack.reply("settings archive_delay 24h",
                                                  role=Role.ADMIN)
    slack.reply("new p2 Search is slow")
    slack.drain()
    channel = slack.fake.channel_by_name("inc-0001-search-is-slow")
    assert channel is not None
    slack.reply("investigate", channel=channel.id)
    slack.reply("resolve index rebuilt", channel=channel.id)
    slack.drain()
    assert not slack.fake.channels[channel.id].archived
    assert "will be archived in 24 h" in slack.fake.messages(channel.id)[-1].text


@SQLITE
@FAST
@given(key=st.sampled_from(["announce_channel", "archive_delay", "announce_severity"]),
       text=TEXT)
def test_any_value_is_set_or_refused_with_a_reason(slack: Slack, key: str, text: str) -> None:
    admin = slack.world.actor(Role.ADMIN)
    before = workspace_view.settings_for(slack.db, admin).to_json()
    said = slack.reply(f"settings {key} {text}", role=Role.ADMIN)
    assert "went wrong" not in said
    after = workspace_view.settings_for(slack.db, admin).to_json()
    if not said.startswith("✅"):
        assert after == before
    else:
        assert {k for k in after if after[k] != before[k]} <= {key}


def test_integrations_shows_the_announcements_channel_and_why_it_failed(slack: Slack) -> None:
    slack.fake.add_channel("incidents", bot_member=False)
    slack.reply("settings announce_channel #incidents", role=Role.ADMIN)
    slack.reply("new p1 Checkout is down")
    slack.drain()
    said = slack.reply("integrations", role=Role.ADMIN)
    assert "*announcements channel* — #incidents (p2 and worse)" in said
    assert "invite @Vigilo to #incidents" in said
    assert "incident channels archived at once on resolve" in said
