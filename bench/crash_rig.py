"""A Vigilo server killed with SIGKILL while channel messages pour in, restarted, and every
unacknowledged delivery sent again, as Slack does. Shared by the crash test (small) and
bench_slack_messages --crash (big).

The server is a real `vigilo serve` in a subprocess against the given database and the fake
Slack; the deliveries go over `connections` keep-alive connections from this process. What
counts: every message acked (before the kill, or on redelivery) is on a timeline exactly once.
"""

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import func
from sqlmodel import select

from bench.common import fresh_database, machine_line
from bench.slack_load import SECRET, TOKEN, fake_slack, serving, slack_rig
from store.db import Database
from store.inbox_models import PENDING, InboxRow
from store.models import Outbox, TimelineEvent
from vigilo.sandbox.signing import event_callback, sign
from vigilo.sandbox.slack_model import TEAM_ID

__all__ = ["SECRET", "TOKEN", "CrashResult", "crash_and_recover"]


@dataclass
class CrashResult:
    sent: int = 0
    acked_before_kill: int = 0
    redelivered: int = 0
    lost: int = 0
    duplicated: int = 0
    seconds_to_drain: float = 0.0
    statuses: dict[int, int] = field(default_factory=dict)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def vigilo_server(database_url: str, slack_url: str, port: int, *,
                  extra: dict[str, str] | None = None) -> Iterator[subprocess.Popen[bytes]]:
    env = {**os.environ, "DATABASE_URL": database_url, "SLACK_BOT_TOKEN": TOKEN,
           "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": slack_url,
           "VIGILO_BASE_URL": "http://vigilo.crash", "LOG_LEVEL": "WARNING", **(extra or {})}
    env.pop("SLACK_APP_TOKEN", None)
    process = subprocess.Popen([sys.executable, "-m", "vigilo.cli", "serve", "--host",
                                "127.0.0.1", "--port", str(port)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            # Ready, not only live: until Slack has answered auth.test the process does not
            # know its team yet, and a form would take the slow path (under a loaded CI
            # machine, tests/vigilo/test_server.py saw that race).
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    err = process.stderr.read().decode() if process.stderr else ""
                    raise RuntimeError(f"vigilo serve did not start: {err[-2000:]}") from None
                time.sleep(0.1)
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextmanager
def served_apart(database_url: str, slack_url: str, *, split: bool,
                 extra: dict[str, str] | None = None) -> Iterator[int]:
    """`vigilo serve` in processes of its own, the port Slack's deliveries go to: one process
    doing everything, or with `split` a `--role web` one taking them and a `--role worker`
    one carrying them out."""
    port = free_port()
    if not split:
        with vigilo_server(database_url, slack_url, port, extra=extra):
            yield port
        return
    with vigilo_server(database_url, slack_url, free_port(),
                       extra={**(extra or {}), "VIGILO_ROLE": "worker"}), \
            vigilo_server(database_url, slack_url, port,
                          extra={**(extra or {}), "VIGILO_ROLE": "web"}):
        yield port


@dataclass
class Served:
    db: Database
    slack_url: str  # the fake Slack's root URL
    port: int  # where Slack's deliveries go
    wait_idle: Callable[[float], bool]  # until the work after the acks is done


@contextmanager
def served(kind: str, users: list[str], seed: Callable[[Database, list[str]], None],
           split: bool | None) -> Iterator[Served]:
    """A fresh database seeded by `seed`, the fake Slack, and Vigilo serving both: in this
    process (`split` None), or as `vigilo serve` processes of its own (`served_apart`)."""
    if split is None:
        with slack_rig(kind, users, seed) as rig:
            assert rig.vigilo.asgi is not None
            with serving(rig.vigilo.asgi) as port:
                yield Served(rig.db, rig.slack_url, port, rig.bot.wait_idle)
        return
    with fresh_database("postgres", pool_size=30) as db, fake_slack(users) as slack_url:
        print(machine_line(db))
        seed(db, users)
        url = db.engine.url.render_as_string(hide_password=False)
        with served_apart(url, slack_url + "api/", split=split,
                          extra={"LOG_LEVEL": "ERROR"}) as port:
            yield Served(db, slack_url, port, lambda timeout: all_worked(db, timeout))


def all_worked(db: Database, timeout: float) -> bool:
    """Wait until nothing is pending in the inbox or the outbox (work done, effects out)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with db.read() as session:
            waiting = session.exec(select(func.count()).select_from(InboxRow).where(
                InboxRow.status == PENDING)).one() + session.exec(
                select(func.count()).select_from(Outbox).where(
                    Outbox.status == PENDING)).one()
        if not waiting:
            return True
        time.sleep(0.1)
    return False


def message_bodies(channels: list[str], users: list[str], count: int, base: int
                   ) -> list[tuple[str, bytes]]:
    """(dedupe key, Events API body) per message."""
    out = []
    for i in range(count):
        channel, user = channels[i % len(channels)], users[i % len(users)]
        ts = f"{base + i // 1000}.{i % 1000:06d}"
        event = {"type": "message", "channel": channel, "user": user, "ts": ts,
                 "text": f"crash update {i}", "event_ts": ts, "channel_type": "channel",
                 "team": TEAM_ID}
        body, _ = event_callback(event, event_id=f"EvCrash{base}{i:07d}")
        out.append((f"slack:{channel}:{ts}", body))
    return out


def _request(body: bytes, retry: bool) -> bytes:
    ctype = "application/json" if body.startswith(b"{") else "application/x-www-form-urlencoded"
    headers = {"Content-Type": ctype, "Content-Length": str(len(body)), **sign(SECRET, body)}
    if retry:
        headers |= {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    head = "POST /slack/events HTTP/1.1\r\nHost: vigilo.crash\r\n" + "".join(
        f"{k}: {v}\r\n" for k, v in headers.items())
    return (head + "\r\n").encode() + body


async def _send(port: int, items: list[tuple[int, bytes]], acked: set[int],
                statuses: dict[int, int], retry: bool) -> None:
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return
    try:
        for index, body in items:
            writer.write(_request(body, retry))
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            if length:
                await reader.readexactly(length)
            statuses[status] = statuses.get(status, 0) + 1
            if status == 200:
                acked.add(index)
    except (OSError, asyncio.IncompleteReadError):
        return  # the server died: the rest of this connection's deliveries were never acked
    finally:
        writer.close()


async def deliver(port: int | list[int], bodies: list[bytes], indexes: list[int],
                   connections: int, statuses: dict[int, int], *, retry: bool = False,
                   kill: tuple[subprocess.Popen[bytes], int] | None = None) -> set[int]:
    """Connections take turns over `port` (a list: as a load balancer spreads them)."""
    ports = port if isinstance(port, list) else [port]
    acked: set[int] = set()
    shares = [[(i, bodies[i]) for i in indexes[c::connections]] for c in range(connections)]
    tasks = [asyncio.create_task(_send(ports[c % len(ports)], share, acked, statuses, retry))
             for c, share in enumerate(shares)]
    if kill is not None:
        process, after = kill
        while len(acked) < after and not all(t.done() for t in tasks):
            await asyncio.sleep(0.001)
        process.send_signal(signal.SIGKILL)
    await asyncio.gather(*tasks)
    return acked


def recorded(db: Database) -> tuple[int, set[str]]:
    with db.read() as session:
        keys = list(session.exec(select(TimelineEvent.dedupe_key).where(
            TimelineEvent.label == "message")).all())
    return len(keys), {k for k in keys if k}


def pending(db: Database) -> int:
    with db.read() as session:
        return int(session.exec(select(func.count()).select_from(InboxRow).where(
            InboxRow.status == PENDING)).one())


def crash_and_recover(db: Database, database_url: str, slack_url: str, channels: list[str],
                      users: list[str], *, count: int, kill_after: int,
                      connections: int = 20, drain_timeout: float = 60.0) -> CrashResult:
    """Send `count` messages, SIGKILL the server after `kill_after` acks, restart it, send
    the unacknowledged ones again, and count what is on the timelines."""
    messages = message_bodies(channels, users, count, int(time.time()) - 3600)
    bodies = [body for _, body in messages]
    result = CrashResult(sent=count)
    port = free_port()
    with vigilo_server(database_url, slack_url, port) as process:
        acked = asyncio.run(deliver(port, bodies, list(range(count)), connections,
                                     result.statuses, kill=(process, kill_after)))
        process.wait(10)
    result.acked_before_kill = len(acked)
    missing = [i for i in range(count) if i not in acked]
    result.redelivered = len(missing)
    with vigilo_server(database_url, slack_url, port):
        started = time.monotonic()
        again = asyncio.run(deliver(port, bodies, missing, connections, result.statuses,
                                     retry=True))
        if len(again) != len(missing):
            raise RuntimeError(f"{len(missing) - len(again)} redeliveries were not acked")
        expected = {key for key, _ in messages}
        deadline = started + drain_timeout
        while time.monotonic() < deadline:
            rows, keys = recorded(db)
            if expected <= keys and pending(db) == 0:
                break
            time.sleep(0.1)
        result.seconds_to_drain = time.monotonic() - started
    rows, keys = recorded(db)
    result.lost = len(expected - keys)
    result.duplicated = rows - len(keys)
    return result
