"""The bot's thread pools: replies after the commands being carried out, a second at most."""

import threading
import time

import pytest
from slack_sdk import WebClient

from bot import runtime
from bot.runtime import Bot
from store.db import Database


def idle_bot(db: Database) -> Bot:
    return Bot(db, WebClient(token="xoxb-unused", base_url="http://127.0.0.1:9/"),
               "http://vigilo.example")


def test_a_reply_waits_for_the_commands_in_progress(db: Database) -> None:
    bot, release, replied = idle_bot(db), threading.Event(), threading.Event()
    idle = []
    bot.jobs.on_idle = lambda: idle.append(time.monotonic())
    bot.jobs.submit(release.wait, 5)
    bot.replies.submit(replied.set)
    assert not replied.wait(0.3)  # a declaration is still being recorded
    release.set()
    assert replied.wait(2) and len(idle) == 1


def test_a_reply_waits_a_second_at_most(db: Database,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtime, "REPLIES_WAIT_AT_MOST", 0.2)
    bot, release, replied = idle_bot(db), threading.Event(), threading.Event()
    bot.jobs.submit(release.wait, 5)
    began = time.monotonic()
    bot.replies.submit(replied.set)
    try:
        assert replied.wait(2) and time.monotonic() - began < 0.8  # slowed, never stopped
    finally:
        release.set()
