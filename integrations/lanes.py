"""A small thread pool per integration, and how many of its threads are in use.

The outbox claims at most `room(name)` effects of an integration, so none waits in a pool's
queue while its lease runs out; an integration whose threads are all busy (a hung remote) is
left out of the claim altogether, and never holds up another integration's deliveries.

Threads share one interpreter lock, so deliveries that run at once slow each other down. A
delivery of an integration `behind` the paging ones waits, before it starts, while paging
deliveries are in the pools, for `BEHIND_AT_MOST` seconds at most: in a burst of p1s the
SMS and PagerDuty pages went out while the status page's deliveries took a quarter of the
lock (bench/bench_integrations.py).
"""

import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor

log = logging.getLogger(__name__)

BEHIND_AT_MOST = 1.0  # seconds a delivery behind paging waits for the pages to go out


class Pools:
    def __init__(self, threads: int, limits: Mapping[str, int] | None = None,
                 on_done: Callable[[], None] = lambda: None,
                 give_way: Callable[[], None] = lambda: None,
                 first: frozenset[str] = frozenset(), behind: frozenset[str] = frozenset(),
                 behind_at_most: float = BEHIND_AT_MOST) -> None:
        self.threads = max(1, threads)
        self.first = first  # integrations whose deliveries go before those `behind`
        self.behind = behind
        self.behind_at_most = behind_at_most
        self.give_way = give_way  # before each delivery: requests being answered go first
        self.limits = dict(limits or {})  # integration -> threads, instead of `threads`
        self.on_done = on_done
        self._lock = threading.Lock()
        self._calm = threading.Condition(self._lock)  # no delivery of `first` in the pools
        self._busy: dict[str, int] = {}
        self._pools: dict[str, ThreadPoolExecutor] = {}

    def limit(self, name: str) -> int:
        return self.limits.get(name, self.threads)

    def room(self, name: str) -> int:
        with self._lock:
            return self.limit(name) - self._busy.get(name, 0)

    def full(self) -> list[str]:
        with self._lock:
            return [name for name, n in self._busy.items() if n >= self.limit(name)]

    def submit(self, name: str, work: Callable[[], None]) -> None:
        with self._lock:
            pool = self._pools.get(name)
            if pool is None:
                pool = self._pools[name] = ThreadPoolExecutor(
                    self.limit(name), thread_name_prefix=f"vigilo-outbox-{name}")
            self._busy[name] = self._busy.get(name, 0) + 1
        try:
            future = pool.submit(self._quietly, name, work)
        except RuntimeError:  # stopping: the pool is shut; the lease brings the effect back
            self._done(name)
            return
        future.add_done_callback(lambda _: self._done(name))  # also when cancelled

    def shutdown(self, timeout: float) -> None:
        """Cancel what has not started; let what runs finish for up to `timeout` seconds
        (a hung one is left to its lease: a restart picks its effect up again)."""
        with self._lock:
            pools, self._pools = self._pools, {}
        for pool in pools.values():
            pool.shutdown(wait=False, cancel_futures=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if not any(self._busy.values()):
                    return
            time.sleep(0.01)

    def _quietly(self, name: str, work: Callable[[], None]) -> None:
        try:
            if name in self.behind:
                self._after_first()
            self.give_way()
            work()
        except Exception:  # settling failed (database away): the lease brings it back
            log.exception("outbox: a delivery failed")

    def _after_first(self) -> None:
        deadline = time.monotonic() + self.behind_at_most
        with self._calm:
            while self._first_busy() and (left := deadline - time.monotonic()) > 0:
                self._calm.wait(left)

    def _first_busy(self) -> bool:
        return any(self._busy.get(name, 0) for name in self.first)

    def _done(self, name: str) -> None:
        with self._lock:
            self._busy[name] -= 1
            if name in self.first and not self._first_busy():
                self._calm.notify_all()
        self.on_done()  # the lane's next effect, or a free thread: claim again
