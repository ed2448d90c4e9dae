"""Reading what people type: the command's shape, mentions, and Slack's wire format."""

import pytest

from bot.commands import TABLE
from bot.commands.parse import Words, mention, parse
from services.inbox_capture import to_message
from services.slack_capture import mentioned_users, readable

SUBS = set(TABLE)


@pytest.mark.parametrize(("text", "sub", "key", "rest"), [
    ("", "", None, ""),
    ("   ", "", None, ""),
    ("resolve INC-42 bad deploy", "resolve", "INC-42", "bad deploy"),
    ("INC-0042 resolve bad deploy", "resolve", "INC-0042", "bad deploy"),
    ("resolve bad deploy", "resolve", None, "bad deploy"),
    ("RESOLVE inc-0042", "resolve", "inc-0042", ""),
    ("inc42", "show", "inc42", ""),
    ("log   two  spaces\nand a newline", "log", None, "two  spaces\nand a newline"),
    ("new p1 resolve INC-3 later", "new", None, "p1 resolve INC-3 later"),
    ("add <@U1|Ann Lee> observer", "add", None, "<@U1|Ann Lee> observer"),
])
def test_command_shape(text: str, sub: str, key: str | None, rest: str) -> None:
    command = parse(text, SUBS)
    assert (command.sub, command.key, command.rest.text) == (sub, key, rest)


def test_words_keep_slack_markup_together() -> None:
    words = Words("<@U1|Ann Lee> <https://x.test/a b|the link> tail")
    assert [w for w, _ in words.tokens()] == ["<@U1|Ann Lee>", "<https://x.test/a b|the link>",
                                              "tail"]
    assert words.after_first().after_first().text == "tail"
    assert (mention("<@U1|Ann Lee>"), mention("<@W2>"), mention("@ann"), mention(None)) == (
        "U1", "W2", None, None)


def test_readable_text() -> None:
    assert readable("<@U1> and <@U2|bob> and <@U3>", {"U1": "Ann"}) == "@Ann and @bob and @U3"
    assert readable("<!here> <!channel|@channel> <!subteam^S1|@oncall> <!subteam^S2>") == (
        "@here @channel @oncall @S2")
    assert readable("<#C1|ops> <#C2>") == "#ops #C2"
    assert readable("<https://a.test> <https://a.test|a.test> <https://a.test/x|docs>") == (
        "https://a.test https://a.test docs (https://a.test/x)")
    assert readable("<mailto:a@b.test|a@b.test> <!date^1392734382^{date}|Feb 18>") == (
        "a@b.test Feb 18")
    assert readable("a &lt;b&gt; &amp;lt; c") == "a <b> &lt; c"
    assert readable("no markup 🔥 *bold* `code`") == "no markup 🔥 *bold* `code`"
    assert mentioned_users("<@U1> <@U1|x> <@W9> <#C1> <@u2>") == ["U1", "W9"]


def test_which_events_are_a_persons_message() -> None:
    base = {"type": "message", "channel": "C1", "user": "U1", "text": "hi", "ts": "1.0"}
    assert to_message(base) is not None
    for subtype in ("thread_broadcast", "file_share", "me_message"):
        assert to_message({**base, "subtype": subtype}) is not None
    for ignored in ({"subtype": "channel_join"}, {"subtype": "bot_message"},
                    {"bot_id": "B1"}, {"user": None}, {"channel": ""},
                    {"subtype": "channel_archive"}):
        assert to_message({**base, **ignored}) is None, ignored
    changed = {"type": "message", "subtype": "message_changed", "channel": "C1",
               "message": {**base, "text": "hi!"}}
    assert to_message(changed).kind == "edit"  # type: ignore[union-attr]
    assert to_message({**changed, "message": {**base, "bot_id": "B1"}}) is None
    deleted = {"type": "message", "subtype": "message_deleted", "channel": "C1",
               "deleted_ts": "1.0", "previous_message": base}
    assert to_message(deleted).kind == "delete"  # type: ignore[union-attr]
    assert to_message({**deleted, "previous_message": {**base, "bot_id": "B1"}}) is None
