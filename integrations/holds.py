"""Effects that wait while people's commands are being carried out, a second at most.

One process shares one interpreter lock between the threads that carry out what people
asked for (declarations, on the bot's job threads) and the outbox's deliveries. In a burst
of declarations, each new channel's setup (its topic, the report pinned, the invitations:
three Slack calls) competed with the declarations still waiting to be recorded, and so with
the channels still to be made. While commands are being carried out, the outbox leaves the
kinds in `kinds` unclaimed (their lanes wait, nothing else does), for `at_most` seconds in
a row at most, so under a steady flood of commands they are slowed, never stopped. When the
commands are done, `idle()` wakes the outbox to claim what was held.
"""

import threading
import time
from collections.abc import Callable

AT_MOST = 1.0


class Hold:
    def __init__(self, kinds: frozenset[str], busy: Callable[[], bool],
                 wake: Callable[[], None] = lambda: None, at_most: float = AT_MOST,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.kinds = kinds
        self.busy = busy
        self.wake = wake
        self.at_most = at_most
        self.clock = clock
        self._since: float | None = None  # when the commands in progress began to hold
        self._lock = threading.Lock()

    def __call__(self) -> frozenset[str]:
        """The kinds to leave unclaimed now."""
        if not self.busy():
            self.idle()
            return frozenset()
        with self._lock:
            now = self.clock()
            if self._since is None:
                self._since = now
            return self.kinds if now - self._since < self.at_most else frozenset()

    def idle(self) -> None:
        """The commands are done: what was held is due at once."""
        with self._lock:
            held, self._since = self._since is not None, None
        if held:
            self.wake()
