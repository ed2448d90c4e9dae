"""One poller answers every reply waiting for its channel (bot/channel_watch.py)."""

import threading
import time

from bot.channel_watch import ChannelWatch, Key


class Channels:
    """What the database would answer: channels appear when the test says so."""

    def __init__(self) -> None:
        self.made: dict[Key, str] = {}
        self.asked: list[list[Key]] = []
        self.fail = False

    def __call__(self, keys: list[Key]) -> dict[Key, str]:
        self.asked.append(sorted(keys))
        if self.fail:
            raise ConnectionError("database away")
        return {key: self.made[key] for key in keys if key in self.made}


def wait_all(watch: ChannelWatch, keys: list[Key], timeout: float) -> dict[Key, str | None]:
    got: dict[Key, str | None] = {}
    threads = [threading.Thread(
        target=lambda k=key: got.update({k: watch.wait(k[0], k[1], timeout)}))
               for key in keys]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    return got


def test_many_waiters_share_one_query_per_round() -> None:
    channels = Channels()
    watch = ChannelWatch(channels, every=0.02)
    keys = [(1, n) for n in range(1, 21)]
    threading.Timer(0.1, lambda: channels.made.update(
        {key: f"C{key[1]}" for key in keys})).start()
    started = time.monotonic()
    got = wait_all(watch, keys, timeout=5.0)
    assert got == {key: f"C{key[1]}" for key in keys}
    assert time.monotonic() - started < 2.0  # answered when made, not at the timeout
    # One query per round for everyone waiting, never one per waiter per round.
    assert len(channels.asked) < 40 and max(len(keys) for keys in channels.asked) == 20


def test_a_channel_that_never_comes_times_out_and_the_poller_stops() -> None:
    channels = Channels()
    watch = ChannelWatch(channels, every=0.01)
    assert watch.wait(1, 7, timeout=0.1) is None
    time.sleep(0.1)
    asked = len(channels.asked)
    time.sleep(0.1)
    assert asked and len(channels.asked) == asked  # nobody waits: nothing is asked


def test_a_failing_database_is_waited_out() -> None:
    channels = Channels()
    channels.fail = True
    watch = ChannelWatch(channels, every=0.01)

    def recover() -> None:
        channels.made[(2, 1)] = "C9"
        channels.fail = False

    threading.Timer(0.1, recover).start()
    assert watch.wait(2, 1, timeout=5.0) == "C9"
