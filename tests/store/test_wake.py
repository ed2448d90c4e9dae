"""Waking another process's takers over PostgreSQL LISTEN/NOTIFY: a poke reaches every
listener of the same database and schema, and no other."""

import threading
import time

from store.wake import INBOX, OUTBOX, Listener, Notifier, channel


def test_a_poke_wakes_the_listener_of_its_topic_only(pg_url: str) -> None:
    heard = {INBOX: threading.Event(), OUTBOX: threading.Event()}
    counts = {INBOX: 0, OUTBOX: 0}

    def hook(topic: str) -> None:
        counts[topic] += 1
        heard[topic].set()

    listener = Listener(pg_url, {t: (lambda t=t: hook(t)) for t in heard})
    notifier = Notifier(pg_url)
    listener.start()
    try:
        assert heard[INBOX].wait(5) and heard[OUTBOX].wait(5)  # the pass made at start
        time.sleep(0.3)
        heard[INBOX].clear()
        heard[OUTBOX].clear()
        before = dict(counts)
        notifier.poke(INBOX)
        assert heard[INBOX].wait(5)
        time.sleep(0.3)
        assert counts[OUTBOX] == before[OUTBOX]  # an inbox poke is not outbox work
        notifier.poke(OUTBOX)
        assert heard[OUTBOX].wait(5)
    finally:
        notifier.stop()
        listener.stop()


def test_each_schema_has_its_own_channels() -> None:
    one = "postgresql+psycopg://127.0.0.1/test?options=-csearch_path%3Da"
    other = "postgresql+psycopg://127.0.0.1/test?options=-csearch_path%3Db"
    assert channel(one, INBOX) != channel(other, INBOX) != channel(other, OUTBOX)
    assert len(channel(one, OUTBOX)) < 64  # PostgreSQL's identifier limit
