"""What a log line is about, and failures that repeat.

`bound(incident=..., integration=..., request_id=...)` sets context variables that the log
formatter (vigilo/logs.py) adds to every record made inside the block, in whatever thread or
task it runs, so a JSON line says which incident and integration it concerns without each
call passing them. Lives here, not in core/, because it is about logging (I/O); every layer
that logs (integrations, bot, webhooks, vigilo) can import it.

`Repeated` is "log once with a count": the first failure of a kind is logged with its reason,
identical ones after it are counted and summarised at growing intervals, and recovery is
logged once with the total, so a database that is away for a minute costs a handful of lines
instead of a traceback per poll.
"""

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

FIELDS = ("incident", "integration", "request_id")
_vars: dict[str, ContextVar[str | None]] = {
    name: ContextVar(f"vigilo_log_{name}", default=None) for name in FIELDS}


def current() -> dict[str, str]:
    """The fields bound right now (only those that are set)."""
    return {name: value for name, var in _vars.items() if (value := var.get()) is not None}


@contextmanager
def bound(**fields: object) -> Iterator[None]:
    """Bind log fields for the duration of the block; None leaves a field as it was."""
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise TypeError(f"unknown log fields: {', '.join(sorted(unknown))}")
    tokens = [(_vars[name], _vars[name].set(str(value)))
              for name, value in fields.items() if value is not None]
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


def one_line(error: BaseException) -> str:
    """An exception as one line: its type and the first line of its message."""
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text and text[0] else type(error).__name__


class Repeated:
    """Log a failure once, count its repeats, and say when it is over.

    `failed(reason)` returns the delay the caller should wait before trying again (doubling
    from `base` to `cap`), so the same object paces the retries it reports.
    """

    def __init__(self, log: logging.Logger, what: str, *, base: float = 0.5,
                 cap: float = 30.0, every: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.log = log
        self.what = what
        self.base = base
        self.cap = cap
        self.every = every
        self.clock = clock
        self.count = 0
        self.reason = ""
        self._since = 0.0
        self._last_report = 0.0

    @property
    def backoff(self) -> float:
        return 0.0 if not self.count else min(self.cap, self.base * 2 ** (self.count - 1))

    def failed(self, error: BaseException | str) -> float:
        reason = error if isinstance(error, str) else one_line(error)
        now = self.clock()
        if not self.count:
            self._since = self._last_report = now
            self.count, self.reason = 1, reason
            self.log.error("%s failed: %s; retrying in %.1f s (repeats are counted, not "
                           "logged)", self.what, reason, self.backoff)
            return self.backoff
        self.count += 1
        if reason != self.reason or now - self._last_report >= self.every:
            self._last_report = now
            self.log.warning("%s still failing: %d times in %.0f s (%s); retrying every "
                             "%.1f s", self.what, self.count, now - self._since, reason,
                             self.backoff)
        self.reason = reason
        return self.backoff

    def succeeded(self) -> None:
        if self.count:
            self.log.warning("%s recovered after %d failures in %.0f s (last: %s)", self.what,
                             self.count, self.clock() - self._since, self.reason)
        self.count = 0
        self.reason = ""
