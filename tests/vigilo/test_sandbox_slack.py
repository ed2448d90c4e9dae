"""The sandbox Slack answers the real slack_sdk client the way Slack does, errors included."""

import json
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from vigilo.sandbox.slack_api import DEFAULT_BOT_TOKEN, FakeSlack


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as server:
        server.add_user("U1ALICE", "alice", "Alice A.", is_admin=True, email="alice@example.com")
        server.add_user("U2BOB", "bob")
        yield server


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    # No retry handlers beyond slack_sdk's default, so errors surface on the first answer.
    return WebClient(token=DEFAULT_BOT_TOKEN, base_url=fake.base_url, timeout=5)


def slack_error(call: Any) -> SlackApiError:
    with pytest.raises(SlackApiError) as info:
        call()
    return info.value


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def new_channel(client: WebClient, name: str = "inc-0001-db-down") -> str:
    return str(client.conversations_create(name=name)["channel"]["id"])


def test_nothing_listens_until_started() -> None:
    fake = FakeSlack()
    with pytest.raises(RuntimeError):
        _ = fake.base_url
    with fake:
        assert fake.base_url.startswith("http://127.0.0.1:")
        assert fake.base_url.endswith("/api/")


def test_auth_test_names_the_sandbox_bot(client: WebClient) -> None:
    identity = client.auth_test()
    assert (identity["team_id"], identity["team"]) == ("T0SANDBOX", "Sandbox")
    assert (identity["user_id"], identity["bot_id"]) == ("U0VIGILO", "B0VIGILO")


def test_bad_or_missing_token_is_refused(fake: FakeSlack) -> None:
    wrong = WebClient(token="xoxb-wrong", base_url=fake.base_url)
    assert slack_error(wrong.auth_test).response["error"] == "invalid_auth"
    anonymous = WebClient(base_url=fake.base_url)
    assert slack_error(anonymous.auth_test).response["error"] == "not_authed"
    assert all("token" not in c.params for c in fake.calls)


def test_users_info(client: WebClient) -> None:
    user = client.users_info(user="U1ALICE")["user"]
    assert (user["name"], user["real_name"], user["is_admin"]) == ("alice", "Alice A.", True)
    assert user["profile"]["email"] == "alice@example.com"
    assert slack_error(lambda: client.users_info(user="U404")).response["error"] == (
        "user_not_found")


def test_create_channel_then_name_taken(fake: FakeSlack, client: WebClient) -> None:
    created = client.conversations_create(name="inc-0001-db-down")["channel"]
    assert created["id"] == "C0000001" and created["name"] == "inc-0001-db-down"
    err = slack_error(lambda: client.conversations_create(name="inc-0001-db-down"))
    assert err.response["error"] == "name_taken"
    assert fake.channels["C0000001"].members == ["U0VIGILO"]
    assert [c.error for c in fake.calls_to("conversations.create")] == [None, "name_taken"]


@pytest.mark.parametrize(("name", "error"), [
    ("", "invalid_name_required"),
    ("x" * 81, "invalid_name_maxlength"),
    ("INC-0001", "invalid_name_specials"),
    ("inc 0001", "invalid_name_specials"),
    ("inc#0001", "invalid_name_specials"),
])
def test_invalid_channel_names(client: WebClient, name: str, error: str) -> None:
    assert slack_error(lambda: client.conversations_create(name=name)).response["error"] == error


def test_longest_valid_name_and_private_flag(fake: FakeSlack, client: WebClient) -> None:
    channel_id = client.conversations_create(name="a_-9" * 20, is_private=True)["channel"]["id"]
    assert fake.channels[channel_id].is_private
    assert client.conversations_info(channel=channel_id)["channel"]["is_private"] is True


def test_rate_limit_surfaces_429_with_retry_after(fake: FakeSlack, client: WebClient) -> None:
    fake.fail_next("chat.postMessage", retry_after=7)
    channel_id = new_channel(client)
    err = slack_error(lambda: client.chat_postMessage(channel=channel_id, text="hi"))
    assert err.response.status_code == 429
    assert err.response.headers["Retry-After"] == "7"
    assert err.response["error"] == "ratelimited"
    assert client.chat_postMessage(channel=channel_id, text="hi")["ok"]  # only one injected


def test_retry_handler_honours_retry_after_and_succeeds(fake: FakeSlack) -> None:
    client = WebClient(token=DEFAULT_BOT_TOKEN, base_url=fake.base_url,
                       retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)])
    channel_id = new_channel(client)
    fake.fail_next("chat.postMessage", retry_after=0, times=2)
    answer = client.chat_postMessage(channel=channel_id, text="after the storm")
    assert answer["ok"] and answer.status_code == 200
    assert [c.status for c in fake.calls_to("chat.postMessage")] == [429, 429, 200]
    assert [m.text for m in fake.messages(channel_id)] == ["after the storm"]


def test_injected_plain_error(fake: FakeSlack, client: WebClient) -> None:
    fake.fail_next("conversations.create", "missing_scope", status=200)
    err = slack_error(lambda: client.conversations_create(name="inc-1"))
    assert (err.response.status_code, err.response["error"]) == (200, "missing_scope")
    assert "Retry-After" not in err.response.headers
    assert new_channel(client, "inc-1")


def test_post_message_records_blocks_and_threads(fake: FakeSlack, client: WebClient) -> None:
    channel_id = new_channel(client)
    first = client.chat_postMessage(channel="#inc-0001-db-down", text="declared",
                                    blocks=[section("*INC-0001* declared")])
    reply = client.chat_postMessage(channel=channel_id, text="ack", thread_ts=first["ts"])
    assert first["channel"] == channel_id and float(reply["ts"]) > float(first["ts"])
    posted = fake.messages(channel_id)
    assert [m.thread_ts for m in posted] == [None, first["ts"]]
    assert posted[0].blocks == [section("*INC-0001* declared")]
    assert "*INC-0001* declared" in posted[0].full_text
    assert fake.messages("inc-0001-db-down") == posted  # by name too


def test_message_limits(client: WebClient) -> None:
    channel_id = new_channel(client)
    assert client.chat_postMessage(channel=channel_id, text="x", blocks=[section("b")] * 50)
    too_many = slack_error(lambda: client.chat_postMessage(
        channel=channel_id, text="x", blocks=[section("b")] * 51))
    assert too_many.response["error"] == "invalid_blocks"
    assert "no more than 50 items" in too_many.response["response_metadata"]["messages"][0]
    assert client.chat_postMessage(channel=channel_id, text="x", blocks=[section("y" * 3000)])
    too_long = slack_error(lambda: client.chat_postMessage(
        channel=channel_id, text="x", blocks=[section("y" * 3001)]))
    assert too_long.response["error"] == "invalid_blocks"
    assert "/blocks/0/text/text" in too_long.response["errors"][0]
    huge = slack_error(lambda: client.chat_postMessage(channel=channel_id, text="z" * 40_001))
    assert huge.response["error"] == "msg_too_long"
    with pytest.warns(UserWarning):  # slack_sdk itself nags about a message without text
        empty = slack_error(lambda: client.chat_postMessage(channel=channel_id, text=""))
    assert empty.response["error"] == "no_text"


def test_post_needs_membership_and_live_channel(fake: FakeSlack, client: WebClient) -> None:
    outside = fake.add_channel("general", members=["U1ALICE"], bot_member=False)
    err = slack_error(lambda: client.chat_postMessage(channel=outside, text="hi"))
    assert err.response["error"] == "not_in_channel"
    client.conversations_join(channel=outside)
    assert client.chat_postMessage(channel="general", text="hi")["ok"]
    missing = slack_error(lambda: client.chat_postMessage(channel="C9999999", text="hi"))
    assert missing.response["error"] == "channel_not_found"
    client.conversations_archive(channel=outside)
    archived = slack_error(lambda: client.chat_postMessage(channel=outside, text="hi"))
    assert archived.response["error"] == "is_archived"


def test_post_to_a_user_opens_a_dm(fake: FakeSlack, client: WebClient) -> None:
    answer = client.chat_postMessage(channel="U2BOB", text="you are paged")
    assert answer["channel"].startswith("D")
    assert fake.messages(answer["channel"])[0].text == "you are paged"


def test_invite_and_its_errors(fake: FakeSlack, client: WebClient) -> None:
    channel_id = new_channel(client)
    client.conversations_invite(channel=channel_id, users=["U1ALICE", "U2BOB"])
    assert fake.channels[channel_id].members == ["U0VIGILO", "U1ALICE", "U2BOB"]
    assert client.conversations_members(channel=channel_id)["members"] == [
        "U0VIGILO", "U1ALICE", "U2BOB"]

    def invite_error(channel: str, users: str) -> str:
        err = slack_error(lambda: client.conversations_invite(channel=channel, users=users))
        return str(err.response["error"])

    assert invite_error(channel_id, "U1ALICE,U2BOB") == "already_in_channel"
    assert invite_error(channel_id, "U404") == "user_not_found"
    assert invite_error("C9999999", "U1ALICE") == "channel_not_found"
    client.conversations_archive(channel=channel_id)
    assert invite_error(channel_id, "U1ALICE") == "is_archived"


def test_topic_archive_and_archived_names(fake: FakeSlack, client: WebClient) -> None:
    channel_id = new_channel(client)
    client.conversations_setTopic(channel=channel_id, topic="P1 · investigating")
    assert fake.channels[channel_id].topic == "P1 · investigating"
    client.conversations_archive(channel=channel_id)
    assert fake.channels[channel_id].archived
    err = slack_error(lambda: client.conversations_archive(channel=channel_id))
    assert err.response["error"] == "already_archived"
    taken = slack_error(lambda: client.conversations_create(name="inc-0001-db-down"))
    assert taken.response["error"] == "name_taken"
    info = slack_error(lambda: client.conversations_info(channel="C9999999"))
    assert info.response["error"] == "channel_not_found"


def test_update_ephemeral_permalink_pins(fake: FakeSlack, client: WebClient) -> None:
    channel_id = new_channel(client)
    client.conversations_invite(channel=channel_id, users="U1ALICE")
    ts = client.chat_postMessage(channel=channel_id, text="v1", blocks=[section("v1")])["ts"]
    client.chat_update(channel=channel_id, ts=ts, text="v2")
    updated = fake.messages(channel_id)[0]
    assert (updated.text, updated.blocks, updated.edited) == ("v2", [section("v1")], True)
    gone = slack_error(lambda: client.chat_update(channel=channel_id, ts="1.000001", text="x"))
    assert gone.response["error"] == "message_not_found"

    client.chat_postEphemeral(channel=channel_id, user="U1ALICE", text="only you")
    assert fake.ephemerals(channel_id)[0].ephemeral_to == "U1ALICE"
    outsider = slack_error(lambda: client.chat_postEphemeral(
        channel=channel_id, user="U2BOB", text="x"))
    assert outsider.response["error"] == "user_not_in_channel"

    link = client.chat_getPermalink(channel=channel_id, message_ts=ts)["permalink"]
    assert link == f"https://sandbox.slack.com/archives/{channel_id}/p{ts.replace('.', '')}"
    client.pins_add(channel=channel_id, timestamp=ts)
    assert fake.pins(channel_id) == [ts]
    again = slack_error(lambda: client.pins_add(channel=channel_id, timestamp=ts))
    assert again.response["error"] == "already_pinned"


def home(blocks: int) -> dict[str, Any]:
    return {"type": "home", "blocks": [section(f"row {i}") for i in range(blocks)]}


def test_views_publish_limit_and_home_record(fake: FakeSlack, client: WebClient) -> None:
    client.views_publish(user_id="U1ALICE", view=home(100))
    published = fake.home_view("U1ALICE")
    assert published is not None and len(published["blocks"]) == 100
    err = slack_error(lambda: client.views_publish(user_id="U1ALICE", view=home(101)))
    assert err.response["error"] == "invalid_arguments"
    assert "no more than 100 items" in err.response["response_metadata"]["messages"][0]
    assert fake.home_view("U2BOB") is None
    unknown = slack_error(lambda: client.views_publish(user_id="U404", view=home(1)))
    assert unknown.response["error"] == "user_not_found"


def test_modal_open_update_push(fake: FakeSlack, client: WebClient) -> None:
    modal = {"type": "modal", "callback_id": "declare", "title": {"type": "plain_text",
             "text": "Declare incident"}, "blocks": [section("What broke?")]}
    opened = client.views_open(trigger_id="123.456", view=modal)["view"]
    assert opened["callback_id"] == "declare" and fake.view(opened["id"]) is not None
    updated = client.views_update(view_id=opened["id"], hash=opened["hash"],
                                  view={**modal, "blocks": [section("Thanks")]})["view"]
    assert updated["id"] == opened["id"] and updated["hash"] != opened["hash"]
    stale = slack_error(lambda: client.views_update(view_id=opened["id"], hash=opened["hash"],
                                                    view=modal))
    assert stale.response["error"] == "hash_conflict"
    assert client.views_push(trigger_id="123.457", view=modal)["view"]["id"] != opened["id"]
    long_title = {**modal, "title": {"type": "plain_text", "text": "T" * 25}}
    err = slack_error(lambda: client.views_open(trigger_id="1.2", view=long_title))
    assert err.response["error"] == "invalid_arguments"


def test_response_urls_record_what_respond_sends(fake: FakeSlack) -> None:
    respond = Respond(response_url=fake.response_url("declare-1"))
    answer = respond(text="Declared INC-0001", response_type="ephemeral")
    assert answer.status_code == 200
    assert fake.responses("declare-1") == [
        {"text": "Declared INC-0001", "response_type": "ephemeral"}]
    assert fake.responses("other") == []


def test_on_call_hook_sees_successful_calls(fake: FakeSlack, client: WebClient) -> None:
    seen: list[tuple[str, dict[str, Any]]] = []
    fake.on_call = lambda method, params: seen.append((method, params))
    channel_id = new_channel(client)
    slack_error(lambda: client.conversations_create(name="inc-0001-db-down"))
    client.chat_postMessage(channel=channel_id, text="hello")
    assert [m for m, _ in seen] == ["conversations.create", "chat.postMessage"]
    assert seen[1][1] == {"channel": channel_id, "text": "hello"}


def test_form_and_json_bodies_both_decode(fake: FakeSlack, client: WebClient) -> None:
    channel_id = new_channel(client)
    blocks = json.dumps([section("via form")])
    body = f"channel={channel_id}&text=t&blocks={urllib.parse.quote(blocks)}".encode()
    request = urllib.request.Request(
        fake.base_url + "chat.postMessage", data=body, method="POST",
        headers={"Authorization": f"Bearer {DEFAULT_BOT_TOKEN}",
                 "Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(request, timeout=5) as answer:
        assert json.loads(answer.read())["ok"] is True
    assert fake.calls_to("chat.postMessage")[0].params["blocks"] == [section("via form")]
    assert fake.messages(channel_id)[0].blocks == [section("via form")]


def test_down_answers_503(fake: FakeSlack, client: WebClient) -> None:
    fake.down = True
    err = slack_error(client.auth_test)
    assert err.response.status_code == 503
    fake.down = False
    assert client.auth_test()["ok"]


def test_latency_delays_answers(fake: FakeSlack, client: WebClient) -> None:
    fake.latency = 0.3
    started = time.monotonic()
    client.auth_test()
    assert time.monotonic() - started >= 0.3


def test_jitter_spreads_the_latency(fake: FakeSlack, client: WebClient) -> None:
    fake.latency, fake.jitter = 0.03, 0.02
    took = []
    for _ in range(8):
        started = time.monotonic()
        client.auth_test()
        took.append(time.monotonic() - started)
    assert min(took) >= 0.03 and max(took) - min(took) > 0.002


def test_flaky_fails_about_that_share_as_429_or_500(fake: FakeSlack) -> None:
    plain = WebClient(token=DEFAULT_BOT_TOKEN, base_url=fake.base_url, timeout=5,
                      retry_handlers=[])
    fake.flaky = 0.5
    statuses = []
    for _ in range(60):
        try:
            plain.auth_test()
            statuses.append(200)
        except SlackApiError as error:
            statuses.append(error.response.status_code)
            if error.response.status_code == 429:
                assert error.response.headers["Retry-After"] == "1"
    assert set(statuses) == {200, 429, 500}
    assert 15 <= statuses.count(200) <= 45
    fake.flaky = 0.0
    assert plain.auth_test()["ok"]


def test_concurrent_posts_get_unique_ordered_ts(fake: FakeSlack, client: WebClient) -> None:
    channel_id = new_channel(client)

    def post(n: int) -> None:
        client.chat_postMessage(channel=channel_id, text=f"m{n}")

    threads = [threading.Thread(target=post, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stamps = [m.ts for m in fake.messages(channel_id)]
    assert len(set(stamps)) == 20 and stamps == sorted(stamps, key=float)


def test_wait_for_background_calls(fake: FakeSlack, client: WebClient) -> None:
    timer = threading.Timer(0.1, client.auth_test)
    timer.start()
    assert fake.wait_for("auth.test", timeout=5)[0].ok
    timer.join()
    with pytest.raises(TimeoutError):
        fake.wait_for("chat.postMessage", timeout=0.1)


def test_message_metadata_comes_back_in_history_only_when_asked(fake: FakeSlack,
                                                                client: WebClient) -> None:
    channel = fake.add_channel("incidents")
    before = client.chat_postMessage(channel=channel, text="older")["ts"]
    meta = {"event_type": "vigilo_announcement", "event_payload": {"effect_id": 7}}
    ts = client.chat_postMessage(channel=channel, text="card", metadata=meta)["ts"]
    found = client.conversations_history(channel=channel, oldest=before,
                                         include_all_metadata=True)["messages"]
    assert [(m["ts"], m.get("metadata")) for m in found] == [(ts, meta)]
    plain = client.conversations_history(channel=channel)["messages"]
    assert all("metadata" not in m for m in plain) and len(plain) == 2
    error = slack_error(lambda: client.chat_postMessage(channel=channel, text="x",
                                                        metadata={"event_payload": {}}))
    assert error.response["error"] == "invalid_metadata_schema"


def test_a_lost_answer_is_carried_out_but_answered_500(fake: FakeSlack,
                                                       client: WebClient) -> None:
    channel = fake.add_channel("incidents")
    other = fake.add_channel("elsewhere")
    fake.lose_next_answer("chat.postMessage", channel=channel)
    client.chat_postMessage(channel=other, text="not this one")  # another channel: answered
    error = slack_error(lambda: client.chat_postMessage(channel=channel, text="card"))
    assert error.response.status_code == 500
    assert [m.text for m in fake.messages(channel)] == ["card"]  # Slack did post it
    client.chat_postMessage(channel=channel, text="next")  # only the one answer was lost
