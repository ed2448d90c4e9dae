"""Channel messages → timeline through signed Events API deliveries; request signatures."""

import threading
import time
from typing import Any

from sqlmodel import select

from core.permissions import Role
from services import incidents, queries, workspaces
from store.models import Incident, TimelineEvent
from tests.bot_harness import SECRET, Slack, slack_fixture  # noqa: F401
from vigilo.sandbox.signing import event_callback, sign, slash_command


def incident_channel(slack: Slack) -> str:
    incidents.declare(slack.db, slack.world.actor(), title="Checkout is down")
    slack.drain()
    channel = queries.get_detail(slack.db, slack.world.ws_id, 1).incident.slack_channel_id
    assert channel
    return channel


def messages(slack: Slack, *, deleted: bool = False) -> list[TimelineEvent]:
    detail = queries.get_detail(slack.db, slack.world.ws_id, 1, include_deleted=deleted)
    return [e for e in detail.timeline if e.label == "message"]


def test_messages_become_readable_timeline_events(slack: Slack) -> None:
    channel = incident_channel(slack)
    eng = slack.uid()
    ts = slack.say(channel, eng, "<@UENG0> can you check <https://grafana.example.com/d/1|the "
                   "dashboard>? See <#C0GENERAL|general> &amp; ping <!here> &lt;3 "
                   "<mailto:ops@example.com|ops@example.com> <@UNOBODY|ghost>")
    reply_ts = slack.say(channel, "UENG0", "on it :eyes:", thread_ts=ts)
    slack.say(channel, "UENG0", "", subtype="file_share",
              files=[{"id": "F1", "name": "graph.png", "title": "graph", "mimetype":
                      "image/png", "permalink": "https://files/F1", "url_private": "secret"}])
    first, reply, shared = messages(slack)
    assert first.text == ("@Eng 0 can you check the dashboard (https://grafana.example.com/d/1)"
                          "? See #general & ping @here <3 ops@example.com @ghost")
    assert (first.source, first.actor, first.actor_id) == (
        "slack", "Engineer", slack.world.members[Role.ENGINEER].id)
    assert first.payload == {"channel": channel, "ts": ts, "thread_ts": None, "files": []}
    assert abs(first.at.timestamp() - float(ts)) < 0.001
    assert (reply.text, reply.payload["thread_ts"], reply.actor) == ("on it :eyes:", ts,
                                                                    "Eng 0")
    assert reply.payload["ts"] == reply_ts
    assert shared.text == "shared graph.png"
    assert shared.payload["files"] == [{"id": "F1", "name": "graph.png", "title": "graph",
                                        "mimetype": "image/png",
                                        "permalink": "https://files/F1"}]


def test_bots_system_messages_and_other_channels_are_ignored(slack: Slack) -> None:
    channel = incident_channel(slack)
    before = len(queries.get_detail(slack.db, slack.world.ws_id, 1).timeline)
    slack.say(channel, "U0VIGILO", "our own sitrep", bot_id="B0VIGILO")
    slack.say(channel, "UOTHERBOT", "deploy finished", subtype="bot_message", bot_id="B2")
    slack.say(channel, slack.uid(), "<@UENGINEER> has joined the channel",
              subtype="channel_join")
    slack.say(channel, slack.uid(), "set the topic", subtype="channel_topic")
    slack.say("CGENERAL", slack.uid(), "lunch?")
    slack.event({"type": "reaction_added", "user": slack.uid(), "reaction": "eyes"})
    assert len(queries.get_detail(slack.db, slack.world.ws_id, 1).timeline) == before


def test_edits_keep_the_previous_text_and_deletes_mark_deleted(slack: Slack) -> None:
    channel = incident_channel(slack)
    ts = slack.say(channel, slack.uid(), "db is at 90% CPU")
    edit = {"type": "message", "subtype": "message_changed", "channel": channel,
            "hidden": True, "ts": f"{time.time():.6f}",
            "message": {"type": "message", "user": slack.uid(), "text": "db is at 99% CPU",
                        "ts": ts, "edited": {"user": slack.uid(), "ts": "1"}},
            "previous_message": {"type": "message", "user": slack.uid(), "ts": ts,
                                 "text": "db is at 90% CPU"}}
    slack.event(edit)
    slack.event(edit, retry=1)  # the same edit again changes nothing
    [event] = messages(slack)
    assert (event.text, event.edited_at is not None) == ("db is at 99% CPU", True)
    assert [p["text"] for p in event.payload["previous_texts"]] == ["db is at 90% CPU"]
    slack.event({"type": "message", "subtype": "message_deleted", "channel": channel,
                 "hidden": True, "deleted_ts": ts, "ts": f"{time.time():.6f}",
                 "previous_message": {"type": "message", "user": slack.uid(), "ts": ts,
                                      "text": "db is at 99% CPU"}})
    assert messages(slack) == []
    [gone] = messages(slack, deleted=True)
    assert gone.deleted_at is not None and gone.text == "db is at 99% CPU"


def test_redeliveries_add_nothing(slack: Slack) -> None:
    channel = incident_channel(slack)
    event = {"type": "message", "channel": channel, "user": slack.uid(), "text": "first",
             "ts": "1700000000.000100", "channel_type": "channel"}
    slack.event(event, event_id="EvSAME")
    for retry in (1, 2, 3):
        slack.event(event, event_id="EvSAME", retry=retry)
    assert [e.text for e in messages(slack)] == ["first"]


def test_first_contact_authors_and_mentioned_strangers(slack: Slack) -> None:
    channel = incident_channel(slack)
    slack.fake.add_user("UWALKIN", "walk", "Walk In")
    slack.fake.add_user("USTRANGER", "stranger", "Stranger Danger")
    slack.say(channel, "UWALKIN", "hi, I own the cache <@USTRANGER> <@UGONE>")
    [event] = messages(slack)
    assert (event.actor, event.text) == ("Walk In", "hi, I own the cache @Stranger Danger "
                                                    "@UGONE")
    walkin = workspaces.find_member(slack.db, slack.world.ws_id, "UWALKIN")
    assert walkin is not None and walkin.role == "engineer" and event.actor_id == walkin.id
    assert workspaces.find_member(slack.db, slack.world.ws_id, "USTRANGER") is None


def test_capture_setting_command_keeps_only_vigilo_log(slack: Slack) -> None:
    channel = incident_channel(slack)
    workspaces.set_setting(slack.db, slack.world.actor(Role.ADMIN), "timeline_capture",
                           "command")
    slack.say(channel, slack.uid(), "chatter")
    slack.reply("log this one counts", channel=channel)
    detail = queries.get_detail(slack.db, slack.world.ws_id, 1)
    assert [e.text for e in detail.timeline if e.label in ("message", "note")] == [
        "this one counts"]


def test_concurrent_deliveries_with_redeliveries_lose_and_duplicate_nothing(
        slack: Slack) -> None:
    channel = incident_channel(slack)
    users = [slack.uid(), "UENG0", "UENG1", "UENG2"]
    sent = [(f"17000000{n:02d}.{i:06d}", users[i % 4], f"message {n}-{i}")
            for n in range(8) for i in range(25)]

    def deliver(worker: int) -> None:
        for k, (ts, user, text) in enumerate(sent):
            if k % 8 == worker or (k % 5 == 0 and worker == 7):  # every 5th twice
                body, ctype = event_callback(
                    {"type": "message", "channel": channel, "user": user, "text": text,
                     "ts": ts}, event_id=f"Ev{ts}")
                answer = slack.http.post("/slack/events", content=body,
                                         headers={"Content-Type": ctype, **sign(SECRET, body)})
                statuses.append(answer.status_code)

    statuses: list[int] = []
    threads = [threading.Thread(target=deliver, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(statuses) == {200}
    assert slack.bot.wait_idle(20)
    with slack.db.read() as session:
        keys = session.exec(select(TimelineEvent.dedupe_key).where(
            TimelineEvent.label == "message")).all()
    assert sorted(keys) == sorted(f"slack:{channel}:{ts}" for ts, _, _ in sent)


def test_bad_signatures_and_stale_timestamps_get_401_and_change_nothing(
        slack: Slack) -> None:
    channel = incident_channel(slack)
    before = len(queries.get_detail(slack.db, slack.world.ws_id, 1).timeline)
    command, ctype = slash_command("new p1 forged", user_id=slack.uid(), user_name="x",
                                   channel_id="CGENERAL",
                                   response_url=slack.fake.response_url("forged"))
    event, etype = event_callback({"type": "message", "channel": channel, "user": slack.uid(),
                                   "text": "forged", "ts": "1.000001"}, event_id="EvForged")
    cases: list[dict[str, Any]] = [
        {"secret": "wrong"}, {"ts": int(time.time()) - 600}, {"ts": int(time.time()) + 600}]
    for body, content_type in ((command, ctype), (event, etype)):
        for case in cases:
            response = slack.post(body, content_type, **case)
            assert response.status_code == 401, case
        unsigned = slack.http.post("/slack/events", content=body,
                                   headers={"Content-Type": content_type})
        assert unsigned.status_code == 401
    garbage = slack.post(b"\xff\xfe not utf-8", "application/json", secret="wrong")
    assert garbage.status_code == 401
    assert slack.post(b"{signed, but not JSON", "application/json").status_code == 400
    assert slack.fake.responses("forged") == []
    with slack.db.read() as session:
        assert len(session.exec(select(Incident)).all()) == 1
    assert len(queries.get_detail(slack.db, slack.world.ws_id, 1).timeline) == before
