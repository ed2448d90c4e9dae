"""Requests first: background work gives way while HTTP requests are being answered.

One process shares one interpreter lock between the event loop answering Slack (which gives
up at 3 s) and the threads doing what was acked (declarations, Slack calls, replies). Python
hands the lock round without priorities, so with dozens of background threads runnable an
ack waited behind all of them at every step: in a burst of 100 form submissions the acks
took p50 0.6 s in one process against 15 ms with the background in another process.

`Foreground` counts the requests in flight (`InFlight`, an ASGI middleware). Background
threads call `give_way()` before each unit of work: they sleep (holding no lock) until no
request has been in flight for `quiet` seconds, or for `most` seconds at most, then go on
regardless, so background work is slowed under load, never stopped. A unit already running
is not interrupted.
"""

import threading
import time

from starlette.types import ASGIApp, Receive, Scope, Send

# Seconds a unit of background work waits at most for the requests to finish. Shorter
# waits let every waiting thread go at once, again and again, under a flood of requests
# (50 users, no think time: ack p99 168-320 ms at 50 ms, 48-62 ms at 0.5-1 s).
MOST = 0.5
QUIET = 0.003  # seconds without a request in flight before background work goes on


class Foreground:
    def __init__(self, most: float = MOST, quiet: float = QUIET) -> None:
        self.most = most
        self.quiet = quiet
        self._busy = 0
        self._last = 0.0  # when a request was last answered (time.monotonic)
        self._cond = threading.Condition()

    @property
    def busy(self) -> int:
        return self._busy

    def enter(self) -> None:
        with self._cond:
            self._busy += 1

    def leave(self) -> None:
        with self._cond:
            self._busy -= 1
            self._last = time.monotonic()
            if self._busy == 0:
                self._cond.notify_all()

    def give_way(self) -> None:
        if not self._busy and time.monotonic() - self._last >= self.quiet:
            return  # the common case, without taking the lock
        deadline = time.monotonic() + self.most
        with self._cond:
            while (now := time.monotonic()) < deadline:
                if self._busy:
                    self._cond.wait(deadline - now)
                    continue
                # No request in flight, but one was answered a moment ago: under load the
                # count touches zero between two requests, and letting every waiting thread
                # go then stalled the next acks behind all of them at once.
                calm = self._last + self.quiet - now
                if calm <= 0:
                    return
                self._cond.wait(min(calm, deadline - now))


class InFlight:
    """Counts each HTTP request from its arrival until its answer is sent."""

    def __init__(self, app: ASGIApp, foreground: Foreground) -> None:
        self.app = app
        self.foreground = foreground

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.foreground.enter()
        try:
            await self.app(scope, receive, send)
        finally:
            self.foreground.leave()
