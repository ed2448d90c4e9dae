"""The Post update modal (the nudge's button, `/vigilo update`) and the New change modal
(`/vigilo change`), through the real Bolt app over signed HTTP against the fake Slack."""

from datetime import timedelta

from sqlalchemy import update
from sqlmodel import col, select

from core.effects import Label
from core.permissions import Role
from integrations.slack.insight_blocks import ACTION_POST_UPDATE
from services import cause, incidents, queries, reminders
from store.models import ChangeRequest, Incident, TimelineEvent
from store.types import utcnow
from tests.bot_harness import Slack, slack_fixture, value, when  # noqa: F401


def updates(slack: Slack) -> list[str]:
    with slack.db.read() as session:
        return [e.text for e in session.exec(select(TimelineEvent).where(
            TimelineEvent.label == Label.UPDATE).order_by(col(TimelineEvent.id)))]


def quiet_for(slack: Slack, minutes: int) -> None:
    """As if the incident had been declared `minutes` ago and nothing said since."""
    then = utcnow() - timedelta(minutes=minutes)
    with slack.db.transaction() as session:
        session.execute(update(TimelineEvent).values(at=then))
        session.execute(update(Incident).values(created_at=then, detected_at=then))


def test_post_update_button_opens_a_modal_whose_text_resets_the_reminder(slack: Slack) -> None:
    incidents.declare(slack.db, slack.world.actor(), title="Slow checkout", severity="p1")
    quiet_for(slack, 20)
    now = utcnow()
    assert reminders.send_due(slack.db, now) == 1  # stale: the nudge with Post update
    assert slack.click(ACTION_POST_UPDATE, "INC-0001") == []  # the modal is the answer
    view = slack.last_view()
    assert view["callback_id"] == "post_update"
    empty = slack.submit(view, {"update": value("   ")}).json()
    assert empty["response_action"] == "errors" and "update" in empty["errors"]
    assert slack.submit(view, {"update": value("Rolled back v2.14; errors falling")}
                        ).status_code == 200
    assert updates(slack) == ["Rolled back v2.14; errors falling"]
    assert "update reminder starts again" in str(slack.fake.view(view["id"]))
    assert reminders.send_due(slack.db, now + timedelta(minutes=5)) == 0  # clock reset
    assert reminders.send_due(slack.db, now + timedelta(minutes=16)) == 1


def test_vigilo_update_with_text_posts_it_and_alone_opens_the_modal(slack: Slack) -> None:
    incidents.declare(slack.db, slack.world.actor(), title="Slow checkout")
    slack.drain()  # the incident channel
    assert "Update posted on INC-0001" in slack.reply("update INC-1 Still investigating")
    assert updates(slack) == ["Still investigating"]
    slack.drain()
    channel = queries.get_detail(slack.db, slack.world.ws_id, 1).incident.slack_channel_id
    posted = [m.text for m in slack.fake.messages(channel or "")]
    assert any("Update from" in t and "Still investigating" in t for t in posted), posted
    assert slack.command("update INC-1") == []
    assert slack.last_view()["callback_id"] == "post_update"
    assert "can read incidents but not" in slack.reply("update INC-1 hi", role=Role.VIEWER)
    assert "Which incident?" in slack.reply("update")


def test_new_change_modal_records_a_change_that_suggest_cause_then_finds(slack: Slack) -> None:
    incidents.declare(slack.db, slack.world.actor(), title="Checkout down",
                      services=["checkout"])
    assert slack.command("change new") == []
    view = slack.last_view()
    assert view["callback_id"] == "new_change"
    started = (utcnow() - timedelta(minutes=30)).timestamp()
    good = {"title": value("Deploy checkout v2.14"), "description": value("canary skipped"),
            "assets": value("checkout, payments"), "link": value("https://ci.example.com/1"),
            "started_at": when(started)}
    errors = [slack.submit(view, {**good, **bad}).json()["errors"] for bad in (
        {"title": value(" ")}, {"link": value("ftp://x")},
        {"started_at": when(started + 7200)},
        {"finished_at": when(started - 60)})]
    assert [list(e) for e in errors] == [["title"], ["link"], ["started_at"], ["finished_at"]]
    assert slack.submit(view, good).status_code == 200
    assert "Recorded CHG-0001" in str(slack.fake.view(view["id"]))
    with slack.db.read() as session:
        row = session.exec(select(ChangeRequest)).one()
    assert row.affected_assets == ["checkout", "payments"] and row.author
    suggested = cause.suggest(slack.db, slack.world.ws_id, 1)
    assert [s.number for s in suggested.suggestions] == [1]
    assert "can read incidents but not" in slack.reply("change", role=Role.VIEWER)
    assert "I don't know 'x' for changes" in slack.reply("change x")
