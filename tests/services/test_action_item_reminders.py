"""Overdue action items: their owners are reminded by direct message the day after the due
date, then on days 3 and 7, then weekly; once per day, whoever runs the job; never once done."""

from datetime import date, datetime, time, timedelta

from core.action_items import days_overdue, reminder_due
from services import action_item_reminders, action_items, incidents
from store.types import utcnow
from tests.bot_harness import Slack, slack_fixture  # noqa: F401
from vigilo.scheduler import JOBS


def test_reminder_days() -> None:
    assert [d for d in range(0, 30) if reminder_due(d)] == [1, 3, 7, 14, 21, 28]
    assert days_overdue(date(2026, 12, 1), date(2026, 12, 4)) == 3
    assert days_overdue(None, date(2026, 12, 4)) == days_overdue(date(2026, 12, 5),
                                                                  date(2026, 12, 4)) == 0


def at(day: date) -> datetime:
    return datetime.combine(day, time(9), tzinfo=utcnow().tzinfo)


def test_owners_are_reminded_once_a_due_day_by_direct_message(slack: Slack) -> None:
    assert any(job.name == "action_item_reminders" for job in JOBS)
    actor = slack.world.actor()
    incidents.declare(slack.db, actor, title="Checkout is down")
    due = utcnow().date() + timedelta(days=2)
    owner = slack.world.members_extra[0]
    action_items.add_action_item(slack.db, actor, 1, "Alert on queue depth", owner.id, due)
    action_items.add_action_item(slack.db, actor, 1, "Nobody's", None, due)
    assert action_item_reminders.send_overdue(slack.db, at(due)) == 0  # not late yet
    assert action_item_reminders.send_overdue(slack.db, at(due + timedelta(days=1))) == 1
    assert action_item_reminders.send_overdue(slack.db, at(due + timedelta(days=1))) == 0
    assert action_item_reminders.send_overdue(slack.db, at(due + timedelta(days=2))) == 0
    slack.drain()
    [dm] = [c for c in slack.fake.calls_to("chat.postMessage")
            if c.params.get("channel") == owner.slack_user_id]
    assert "Action item #1" in dm.params["text"] and "1 day ago" in dm.params["text"]
    assert "item_done" in str(dm.params["blocks"])
    assert action_item_reminders.send_overdue(slack.db, at(due + timedelta(days=3))) == 1
    action_items.set_done(slack.db, actor, 1, True)
    assert action_item_reminders.send_overdue(slack.db, at(due + timedelta(days=7))) == 0
    slack.drain()  # the day-3 reminder, recorded before it was done, is skipped
    assert len([c for c in slack.fake.calls_to("chat.postMessage")
                if c.params.get("channel") == owner.slack_user_id]) == 1
