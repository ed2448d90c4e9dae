"""`/vigilo oncall` through the real app: who is on call, taking the pager, and phones
taken from Slack profiles on first contact."""

from datetime import date, timedelta

from core.permissions import Role
from services import oncall, workspaces
from store.types import utcnow
from tests.bot_harness import Slack, slack_fixture  # noqa: F401


def rotation(slack: Slack) -> None:
    admin = slack.world.actor(Role.ADMIN)
    start = utcnow().date() - timedelta(days=3)
    oncall.create_schedule(slack.db, admin, "primary", "Europe/Berlin", "09:00", "weekly",
                           start)
    for member in slack.world.members_extra[:2]:
        oncall.add_to_rotation(slack.db, admin, None, member.slack_user_id)


def test_oncall_shows_now_and_next_and_override_takes_the_pager(slack: Slack) -> None:
    assert "No on-call schedule yet" in slack.reply("oncall")
    rotation(slack)
    reply = slack.reply("oncall")
    assert "*primary* (Europe/Berlin, handoff 09:00)" in reply
    assert "Now: <@UENG0> since <!date^" in reply and "Next: <@UENG1> from" in reply
    assert "no phone number" in reply
    reply = slack.reply("oncall override 2h")
    assert reply.startswith("✅ You are on call for *primary* until <!date^")
    assert "Next: <@UENG0>" in reply
    [view] = oncall.show(slack.db, slack.world.ws_id)
    assert view.now is not None and view.now.override
    assert view.now.person.slack_user_id == slack.uid(Role.ENGINEER)
    assert view.now.ends_at is not None
    assert timedelta(hours=1, minutes=59) < view.now.ends_at - utcnow() <= timedelta(hours=2)


def test_oncall_bad_input_changes_nothing(slack: Slack) -> None:
    rotation(slack)
    for text, expected in [("oncall override", "for how long"),
                           ("oncall override soon", "not a duration"),
                           ("oncall override 2h nope", "No on-call schedule 'nope'"),
                           ("oncall override 200d", "at most 90 days"),
                           ("oncall sideways", "`oncall override 2h`")]:
        assert expected in slack.reply(text), text
    assert "Your role (viewer)" in slack.reply("oncall override 1h", role=Role.VIEWER)
    [view] = oncall.show(slack.db, slack.world.ws_id)
    assert view.now is not None and not view.now.override


def test_phone_comes_from_the_slack_profile_when_usable(slack: Slack) -> None:
    oncall.create_schedule(slack.db, slack.world.actor(Role.ADMIN), None, "UTC", "09:00",
                           "daily", date(2026, 1, 1))
    slack.fake.add_user("UPHONE1", "pat", "Pat", phone="+49 151 1234 5678")
    slack.fake.add_user("UPHONE2", "sam", "Sam", phone="555-1234")
    slack.reply("oncall", user="UPHONE1")
    slack.reply("oncall", user="UPHONE2")
    pat = workspaces.find_member(slack.db, slack.world.ws_id, "UPHONE1")
    sam = workspaces.find_member(slack.db, slack.world.ws_id, "UPHONE2")
    assert pat is not None and pat.phone == "+4915112345678"
    assert sam is not None and sam.phone is None  # not a number we could text
