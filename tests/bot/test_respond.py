"""Replies to response_urls go over the bot's kept connections and say what Bolt's
respond() says: against the sandbox Slack on loopback."""

import threading

from slack_bolt.context.respond import Respond

from bot.respond import KeptRespond
from integrations.slack.keepalive import Kept
from vigilo.sandbox.slack_api import FakeSlack

BLOCKS = [{"type": "section", "text": {"type": "mrkdwn", "text": "*INC-0001* declared"}}]


def test_a_reply_says_what_bolts_respond_says() -> None:
    with FakeSlack() as fake:
        kept = Kept()
        for respond in (Respond(response_url=fake.response_url("bolt")),
                        KeptRespond(fake.response_url("kept"), kept)):
            answer = respond(text="Declared", blocks=BLOCKS, response_type="ephemeral",
                             replace_original=False)
            assert answer.status_code == 200
            respond({"text": "as a whole message", "delete_original": True})
        assert fake.responses("kept") == fake.responses("bolt")
        assert fake.responses("kept")[0] == {"text": "Declared", "blocks": BLOCKS,
                                             "response_type": "ephemeral",
                                             "replace_original": False}


def test_replies_from_one_thread_share_one_connection() -> None:
    with FakeSlack() as fake:
        kept = Kept()
        for n in range(5):
            KeptRespond(fake.response_url(f"reply-{n}"), kept)(text=f"reply {n}")
        assert fake.connections == 1
        assert [fake.responses(f"reply-{n}")[0]["text"] for n in range(5)] == [
            f"reply {n}" for n in range(5)]
        others = [threading.Thread(
            target=lambda: KeptRespond(fake.response_url("other"), kept)(text="other"))
            for _ in range(2)]
        for thread in others:
            thread.start()
        for thread in others:
            thread.join()
        assert fake.connections == 3  # one per thread


def test_a_refused_reply_is_answered_with_its_status_as_bolt_does() -> None:
    with FakeSlack() as fake:
        kept = Kept()
        respond = KeptRespond(fake.response_url("away"), kept)
        fake.down = True
        refused = respond(text="not now")
        assert refused.status_code == 503 and "service_unavailable" in refused.body
        fake.down = False
        assert respond(text="now").status_code == 200
        assert [r["text"] for r in fake.responses("away")] == ["now"]
