"""Where a run's CPU went: seconds per thread pool of this process, per `vigilo serve`
process when the app runs in processes of its own, and the whole machine's (PostgreSQL's
server processes apart): on a small machine a burst keeps every core busy, and then CPU
saved anywhere, the database's included, is time saved.

Read from the threads' and processes' own CPU clocks, so no profiler slows the run down or
skews it (py-spy and yappi did both in a burst: one tripled the run, the other lost most
samples of the interpreter lock). A pool is a thread's name without its number
(`vigilo-outbox-slack_3` counts as `vigilo-outbox-slack`).

    clock = CpuClock()
    ...  # the run
    print(clock.report())
"""

import os
import re
import resource
import threading
import time
from pathlib import Path

_NUMBERED = re.compile(r"[-_]?\d+$")
_TICKS = 100  # USER_HZ: /proc/<pid>/stat counts CPU in hundredths of a second


def _pools() -> dict[str, float]:
    seconds: dict[str, float] = {}
    for thread in threading.enumerate():
        if thread.ident is None:
            continue
        try:
            clock = time.pthread_getcpuclockid(thread.ident)
            name = _NUMBERED.sub("", thread.name)
            seconds[name] = seconds.get(name, 0.0) + time.clock_gettime(clock)
        except (OSError, OverflowError):  # the thread ended meanwhile
            continue
    return seconds


def _children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        fields = _read(str(stat)).rsplit(b")", 1)[-1].split()
        if len(fields) > 1:
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    return children


def _below(children: dict[int, list[int]], root: int) -> list[int]:
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _serving() -> dict[str, float]:
    """CPU seconds of each `vigilo serve` process below this one, its workers included
    (the fake Slack, also a child, is not counted)."""
    children = _children()
    roots = [pid for pid in _below(children, os.getpid())
             if b"vigilo.cli\0serve" in _read(f"/proc/{pid}/cmdline")]
    seconds: dict[str, float] = {}
    for pid in {*roots, *(child for root in roots for child in _below(children, root))}:
        spent = _seconds(_read(f"/proc/{pid}/stat"))
        if spent is not None:
            seconds[f"pid {pid}"] = spent
    return seconds


def _seconds(stat: bytes) -> float | None:
    """User + system CPU seconds from a /proc/<pid>/stat line (None: it ended meanwhile)."""
    fields = stat.rsplit(b")", 1)[-1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS if len(fields) > 12 else None


def _machine() -> float:
    """CPU seconds all cores spent busy since boot (0 where /proc/stat is not there)."""
    line = _read("/proc/stat").split(b"\n", 1)[0].split()
    if not line or line[0] != b"cpu":
        return 0.0
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in line[1:9])
    return (user + nice + system + irq + softirq + steal) / _TICKS


def _finished_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _postgres() -> dict[str, float]:
    """CPU seconds of each PostgreSQL server process on this machine (a backend that exits
    during the run takes its share along: a lower bound)."""
    seconds: dict[str, float] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        line = _read(str(stat))
        spent = _seconds(line) if line.rpartition(b")")[0].endswith(b"(postgres") else None
        if spent is not None:
            seconds[stat.parent.name] = spent
    return seconds


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError:  # the process ended meanwhile
        return b""


class CpuClock:
    def __init__(self) -> None:
        self.wall = time.perf_counter()
        self.process = time.process_time()
        self.pools = _pools()
        self.serving = _serving()
        self.machine = _machine()
        self.postgres = _postgres()
        self.finished = _finished_children()

    def report(self, top: int = 6) -> str:
        wall = time.perf_counter() - self.wall
        process = time.process_time() - self.process
        spent = _since(_pools(), self.pools)
        parts = [f"CPU {process:.2f} s in {wall:.2f} s here: " + ", ".join(
            f"{name} {seconds:.2f}" for name, seconds in spent[:top] if seconds)]
        busy = [(pid, s) for pid, s in _since(_serving(), self.serving) if s >= 0.01]
        if busy:
            parts.append("vigilo serve processes: " + ", ".join(
                f"{pid} {seconds:.2f} s" for pid, seconds in busy))
        machine = _machine() - self.machine
        if machine > 0:
            cpus = os.cpu_count() or 1
            postgres = sum(s for _, s in _since(_postgres(), self.postgres))
            # The load generator's interpreter starting up is part of the run's window.
            finished = _finished_children() - self.finished
            parts.append(f"machine busy {machine:.2f} s of {cpus * wall:.2f} ({cpus} CPUs; "
                         f"PostgreSQL {postgres:.2f}, child processes that ended such as "
                         f"the load generator {finished:.2f})")
        return "; ".join(parts)


def _since(now: dict[str, float], before: dict[str, float]) -> list[tuple[str, float]]:
    """Seconds spent since `before`, most first."""
    spent = {name: seconds - before.get(name, 0.0) for name, seconds in now.items()}
    return sorted(spent.items(), key=lambda item: -item[1])
