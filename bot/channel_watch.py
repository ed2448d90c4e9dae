"""Replies waiting for their new incident's channel, all answered by one poller.

A declaration's reply links the channel once the outbox has made it (a few hundred
milliseconds, seconds in a storm). Each waiting reply asking the database on its own took a
tenth of the process's CPU in a burst of 100 (bench/bench_declare_to_channel.py); one
thread asking once for everyone who waits costs one query per round, however many wait.
The database is asked, not told, so a channel made by another process is seen too.
"""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

Key = tuple[int, int]  # (workspace id, incident number)
Lookup = Callable[[list[Key]], dict[Key, str]]  # the channels made so far, of these


@dataclass
class _Waiter:
    made: threading.Event = field(default_factory=threading.Event)
    channel: str | None = None


class ChannelWatch:
    def __init__(self, lookup: Lookup, every: float = 0.1) -> None:
        self.lookup = lookup
        self.every = every
        self._lock = threading.Lock()
        self._waiting: dict[Key, list[_Waiter]] = {}
        self._polling = False

    def wait(self, workspace_id: int, number: int, timeout: float) -> str | None:
        """The incident's channel id once made, or None after `timeout` seconds."""
        key, waiter = (workspace_id, number), _Waiter()
        with self._lock:
            self._waiting.setdefault(key, []).append(waiter)
            start, self._polling = not self._polling, True
        if start:  # a poller only while someone waits: nothing runs when no one does
            threading.Thread(target=self._poll, name="vigilo-channel-watch", daemon=True).start()
        waiter.made.wait(timeout)
        with self._lock:
            left = [w for w in self._waiting.get(key, []) if w is not waiter]
            if left:
                self._waiting[key] = left
            else:
                self._waiting.pop(key, None)
        return waiter.channel

    def _poll(self) -> None:
        while True:
            with self._lock:
                keys = list(self._waiting)
                if not keys:
                    self._polling = False
                    return
            try:
                found = self.lookup(keys)
            except Exception:  # the database briefly away: the waiters' timeouts still hold
                found = {}
            with self._lock:
                for key, channel in found.items():
                    for waiter in self._waiting.pop(key, []):
                        waiter.channel = channel
                        waiter.made.set()
            time.sleep(self.every)
