"""Requests first: background work gives way while HTTP requests are being answered.

One process shares one interpreter lock between the event loop answering Slack (which gives
up at 3 s) and the threads doing what was acked (declarations, Slack calls, replies). Python
hands the lock round without priorities, so with dozens of background threads runnable an
ack waited behind all of them at every step: in a burst of 100 form submissions the acks
took p50 0.6 s in one process against 15 ms with the background in another process.

`Foreground` counts the requests in flight (`InFlight`, an ASGI middleware). Background
threads call `give_way()` before each unit of work: while requests are in flight they sleep
(holding no lock) for at most `most` seconds, then go on regardless, so background work is
slowed under load, never stopped. A unit already running is not interrupted.
"""

import threading

from starlette.types import ASGIApp, Receive, Scope, Send

MOST = 0.05  # seconds a unit of background work waits at most for the requests to finish


class Foreground:
    def __init__(self, most: float = MOST) -> None:
        self.most = most
        self._busy = 0
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
            if self._busy == 0:
                self._cond.notify_all()

    def give_way(self) -> None:
        if not self._busy:  # the common case, without taking the lock
            return
        with self._cond:
            self._cond.wait_for(lambda: self._busy == 0, self.most)


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
