"""Shared bench helpers: the machine line, throwaway databases, and a thread runner.

Benchmarks run on demand (`python -m bench.bench_x`), never in the unit-test run. Each
prints the machine it ran on next to its figures, and measures its baseline in the same run.
"""

import os
import platform
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from store.db import Database

PG_URL = os.environ.get("VIGILO_BENCH_PG_URL") or os.environ.get(
    "VIGILO_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
KINDS = ("sqlite", "postgres")


def pg_unavailable() -> str | None:
    """None when PostgreSQL answers, else why not."""
    try:
        engine = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as error:
        return f"PostgreSQL at {PG_URL} unreachable: {error}"


def kinds(choice: str) -> list[str]:
    """`sqlite`, `postgres` or `both` (the argparse `--db` value) as a list of kinds."""
    if choice == "both":
        return list(KINDS)
    if choice not in KINDS:
        raise SystemExit(f"--db must be sqlite, postgres or both, not {choice!r}")
    return [choice]


class PgSchema:
    """A throwaway schema on the shared PostgreSQL database; `url` pins its search_path."""

    def __init__(self) -> None:
        self.name = "b_" + uuid.uuid4().hex[:12]
        self.admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{self.name}"'))
        sep = "&" if "?" in PG_URL else "?"
        self.url = f"{PG_URL}{sep}options=-csearch_path%3D{self.name}"

    def drop(self) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{self.name}" CASCADE'))
        self.admin.dispose()


@contextmanager
def temp_sqlite_url() -> Iterator[str]:
    """A file database (WAL needs a file) in a directory removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="vigilo-bench-") as folder:
        yield f"sqlite:///{Path(folder) / 'bench.db'}"


@contextmanager
def fresh_url(kind: str, *, migrate: bool = True) -> Iterator[str]:
    """An empty database of this kind, upgraded with the real migrations, dropped after."""
    from store.migrate import upgrade  # alembic is only needed when a bench runs

    if kind == "sqlite":
        with temp_sqlite_url() as url:
            if migrate:
                upgrade(url)
            yield url
        return
    reason = pg_unavailable()
    if reason is not None:
        raise SystemExit(reason)
    schema = PgSchema()
    try:
        if migrate:
            upgrade(schema.url)
        yield schema.url
    finally:
        schema.drop()


@contextmanager
def fresh_database(kind: str, *, pool_size: int = 25, migrate: bool = True) -> Iterator[Database]:
    with fresh_url(kind, migrate=migrate) as url:
        db = Database.from_url(url, pool_size=pool_size)
        try:
            yield db
        finally:
            db.dispose()


def server_version(db: Database) -> str:
    with db.engine.connect() as conn:
        if db.sqlite:
            return "SQLite " + str(conn.execute(text("select sqlite_version()")).scalar())
        return "PostgreSQL " + str(conn.execute(text("show server_version")).scalar())


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def python_speed(rounds: int = 5) -> float:
    """Milliseconds one core of this machine takes for a fixed piece of pure-Python work
    (dicts, strings, calls: what Vigilo's threads mostly do), the best of `rounds`.

    The hosts these benches run on differ: the same code, the same burst took 1.1 s of the
    outbox's CPU on one and 2.3 s on another, and the model name ("AMD EPYC") does not say
    which is which. Figures from two machines are compared through this number."""
    best = float("inf")
    for _ in range(rounds):
        began = time.perf_counter()
        _fixed_work()
        best = min(best, time.perf_counter() - began)
    return best * 1000


def _fixed_work() -> int:
    total = 0
    for n in range(100_000):
        row = {"id": n, "kind": "slack.create_channel", "lane": f"slack:{n % 50}"}
        total += len(row["lane"].split(":", 1)[1]) + (n & 7)
    return total


def machine_line(db: Database | None = None) -> str:
    """One line saying where the figures came from."""
    parts = [f"{os.cpu_count()} CPU ({cpu_model()}; {python_speed():.0f} ms for the fixed "
             "Python work of bench.common.python_speed)",
             f"Python {platform.python_version()}", platform.system()]
    if db is not None:
        parts.append(server_version(db))
    return "machine: " + ", ".join(parts)


def run_threads(workers: int, work: Callable[[int], Any]) -> tuple[float, list[Any]]:
    """Run `work(i)` on `workers` threads released together; (seconds, results by i).

    The clock starts when every thread is ready, so thread start-up is not measured.
    Any exception in a worker is re-raised here after all threads finished.
    """
    results: list[Any] = [None] * workers
    errors: list[BaseException] = []
    ready = threading.Barrier(workers + 1)

    def body(i: int) -> None:
        ready.wait()
        try:
            results[i] = work(i)
        except BaseException as error:  # reported to the caller, not lost in the thread
            errors.append(error)

    threads = [threading.Thread(target=body, args=(i,), daemon=True) for i in range(workers)]
    for thread in threads:
        thread.start()
    ready.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise errors[0]
    return elapsed, results


def per_second(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")
