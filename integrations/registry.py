"""The integration registry: every outside system as one object, checked at start-up.

Each `integrations/<name>/` package exposes `build(settings, db) -> Integration`; building is
pure (no network I/O), so the server starts even when an outside system is down. Network I/O
(auth checks, sockets) happens in `start()`, which the lifespan retries in the background
until it succeeds; until then `/readyz` answers 503 with the reason.

The registry refuses to start, with one line, when an effect kind in `core.effects` has no
handler and no integration saying why it is off, or when two integrations handle one kind:
either would silently skip (or double-deliver) side effects forever.
"""

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from core.effects import KINDS, integration_of
from integrations.outbox import Handler

log = logging.getLogger(__name__)


class RegistryError(RuntimeError):
    """The integrations as assembled cannot deliver every effect kind exactly once."""


class IntegrationSettings(Protocol):
    """Frozen, typed settings of one integration; `why_off` is None exactly when enabled."""

    @property
    def enabled(self) -> bool: ...

    @property
    def why_off(self) -> str | None: ...


@runtime_checkable
class Integration(Protocol):
    """One outside system. `name` is its package's name, `kinds` the effect kinds it owns."""

    @property
    def name(self) -> str: ...

    @property
    def settings(self) -> IntegrationSettings: ...

    @property
    def kinds(self) -> frozenset[str]: ...

    def handlers(self) -> dict[str, Handler]: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...


@dataclass(frozen=True)
class Off:
    """Settings of an integration that is not configured: always off, for this reason."""

    reason: str
    enabled: bool = False

    @property
    def why_off(self) -> str | None:
        return self.reason


class Disabled:
    """An integration that is off: owns its kinds, so their effects settle as skipped."""

    def __init__(self, name: str, kinds: Iterable[str], why_off: str) -> None:
        self.name = name
        self.settings: IntegrationSettings = Off(why_off)
        self.kinds = frozenset(kinds)

    def handlers(self) -> dict[str, Handler]:
        return {}

    def start(self) -> None:
        return None

    def stop(self) -> None:
        return None


class Registry:
    """The one list of integrations, its handlers by kind, and whether each has started."""

    def __init__(self, integrations: Iterable[Integration], *,
                 kinds: Iterable[str] = KINDS) -> None:
        self.integrations = list(integrations)
        self.handlers: dict[str, Handler] = {}
        self.off: dict[str, str] = {}  # kind -> why its integration is off
        self._pending: dict[str, str] = {}  # integration -> why it has not started yet
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._starter: threading.Thread | None = None
        self._started: list[Integration] = []
        self._check(set(kinds))

    def _check(self, known: set[str]) -> None:
        owner: dict[str, str] = {}
        for integration in self.integrations:
            if not integration.settings.enabled:
                why = integration.settings.why_off or "disabled"
                # An integration that is off may still say so where people look (Twilio
                # tells the commander that no SMS page went out) through `handlers_when_off`.
                when_off: dict[str, Handler] = getattr(integration, "handlers_when_off", dict)()
                for kind in integration.kinds:
                    if kind in when_off:
                        self.handlers[kind] = when_off[kind]
                    else:
                        self.off[kind] = f"{integration.name} is off: {why}"
                continue
            for kind, handler in integration.handlers().items():
                if kind in owner:
                    raise RegistryError(f"two handlers for effect kind {kind}: "
                                        f"{owner[kind]} and {integration.name}")
                if kind not in known:
                    raise RegistryError(f"{integration.name} handles {kind}, which is not "
                                        "an effect kind in core.effects")
                owner[kind] = integration.name
                self.handlers[kind] = handler
        claimed = {kind: i.name for i in self.integrations for kind in i.kinds}
        for kind in sorted(known):
            if kind in self.handlers or kind in self.off:
                continue
            if kind in claimed:
                raise RegistryError(f"integration {claimed[kind]} is on but has no handler "
                                    f"for effect kind {kind}")
            raise RegistryError(f"effect kind {kind} has no handler and no integration "
                                f"that says why it is off (add {integration_of(kind)} to "
                                "the integrations list in vigilo/integrations.py)")
        names = [i.name for i in self.integrations]
        if len(set(names)) != len(names):
            twice = sorted({n for n in names if names.count(n) > 1})
            raise RegistryError(f"integration {', '.join(twice)} is registered twice")

    def get(self, name: str) -> Integration | None:
        return next((i for i in self.integrations if i.name == name), None)

    # -- start and stop -------------------------------------------------------------------
    @property
    def waiting(self) -> list[str]:
        """Why not ready: one line per enabled integration that has not started."""
        with self._lock:
            return [f"{name}: {why}" for name, why in self._pending.items()]

    def start(self) -> None:
        """Start every enabled integration now, in order; the first failure raises."""
        for integration in self._enabled():
            if integration not in self._started:
                integration.start()
                self._started.append(integration)

    def start_in_background(self, *, first_wait: float = 1.0, max_wait: float = 30.0,
                            sleep: Callable[[float], bool] | None = None) -> None:
        """Start each enabled integration on a thread, retrying with backoff until it does.

        One whose `start()` does no I/O (`needs_start = False`) starts here and now, so it
        never waits behind another that is unreachable, nor shows in `waiting`.
        """
        for integration in self._enabled():
            if integration not in self._started and not getattr(integration, "needs_start",
                                                                True):
                integration.start()
                self._started.append(integration)
        with self._lock:
            self._pending = {i.name: "starting" for i in self._enabled()
                             if i not in self._started}
        if not self._pending:
            return
        self._stop.clear()
        wait = sleep or self._stop.wait

        def run() -> None:
            for integration in self._enabled():
                delay = first_wait
                while integration not in self._started and not self._stop.is_set():
                    try:
                        integration.start()
                    except Exception as error:
                        why = str(error).splitlines()[0] if str(error) else type(error).__name__
                        with self._lock:
                            self._pending[integration.name] = why
                        log.warning("%s did not start (%s); retrying in %.0fs",
                                    integration.name, why, delay)
                        if wait(delay):
                            return
                        delay = min(max_wait, delay * 2)
                        continue
                    self._started.append(integration)
                    with self._lock:
                        self._pending.pop(integration.name, None)
                    log.info("%s started", integration.name)

        self._starter = threading.Thread(target=run, name="vigilo-start", daemon=True)
        self._starter.start()

    def wait_started(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self.waiting and time.monotonic() < deadline:
            time.sleep(0.02)
        return not self.waiting

    def stop(self) -> None:
        """Stop what started, last started first; one failing stop does not skip the rest."""
        self._stop.set()
        if self._starter is not None:
            self._starter.join(10)
            self._starter = None
        for integration in reversed(self._started):
            try:
                integration.stop()
            except Exception:
                log.exception("%s did not stop cleanly", integration.name)
        self._started.clear()

    def _enabled(self) -> list[Integration]:
        return [i for i in self.integrations if i.settings.enabled]
