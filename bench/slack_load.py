"""What the Slack benchmarks share: a real uvicorn on loopback, the fake Slack in a process of
its own, and the requests the load generator (bench/load_generator.py, a third process) sends,
so neither Slack's stand-in nor the clients compete with Vigilo for its interpreter lock (they
do share the machine's CPUs).
"""

import gc
import multiprocessing
import socket
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

import uvicorn
from starlette.applications import Starlette

from bench.common import fresh_database, machine_line
from store.db import Database
from vigilo.app import Vigilo, build
from vigilo.sandbox.signing import sign
from vigilo.settings import Settings

SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench"


def http_post(path: str, body: bytes, content_type: str,
              headers: dict[str, str] | None = None) -> bytes:
    """A signed POST as raw bytes (signed now: Bolt accepts it for five minutes)."""
    lines = [f"POST {path} HTTP/1.1", "Host: vigilo.bench", f"Content-Type: {content_type}",
             f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in {**sign(SECRET, body), **(headers or {})}.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def http_get(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: vigilo.bench\r\n\r\n".encode()


def pct(values: list[float], q: float) -> float:
    """The q-th percentile in milliseconds (nearest rank)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))] * 1000


def summary(values: list[float]) -> str:
    return (f"p50 {pct(values, 50):6.1f} ms  p99 {pct(values, 99):6.1f} ms  "
            f"max {max(values) * 1000 if values else float('nan'):6.1f} ms  (n={len(values)})")


# --- the server under test -------------------------------------------------------------------

@contextmanager
def serving(app: Starlette) -> Iterator[int]:
    """uvicorn on 127.0.0.1 in this process (lifespan on: the outbox worker runs)."""
    sock = socket.socket()
    # Accepted sockets inherit this; uvicorn handed a ready socket does not set it, and
    # without it every two-part response waits ~40 ms for a delayed ACK (Nagle).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on",
                                           backlog=2048))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    # What is built so far lives as long as the run, as `vigilo serve` settles its heap
    # (vigilo.server.settle_heap): full collections then scan only what requests make.
    gc.collect()
    gc.freeze()
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def http_flavour() -> str:
    """What uvicorn picks on its own ("auto"): parser and event loop."""
    import importlib.util

    parser = "httptools" if importlib.util.find_spec("httptools") else "h11"
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    return f"{parser}+{loop}"


# --- the fake Slack, in its own process ------------------------------------------------------

def tls_fake_slack(ca_file: str) -> Any:
    """The sandbox Slack behind a certificate from a throwaway `trustme` CA, whose PEM is
    written to `ca_file` (for SSL_CERT_FILE): slack.com only speaks TLS."""
    import trustme

    from vigilo.sandbox.loopback import serve_tls
    from vigilo.sandbox.slack_api import FakeSlack

    ca = trustme.CA()
    ca.cert_pem.write_to_path(ca_file)
    cert = ca.issue_cert("127.0.0.1", "localhost")

    class TlsFakeSlack(FakeSlack):
        @property
        def url(self) -> str:
            return self.origin("https") + "/"

        def _make_server(self) -> Any:
            return serve_tls(super()._make_server(), cert)

    return TlsFakeSlack(TOKEN)


def _fake_slack(conn: Connection, users: list[str], ca_file: str | None) -> None:
    from vigilo.sandbox.slack_api import FakeSlack

    with (tls_fake_slack(ca_file) if ca_file else FakeSlack(TOKEN)) as fake:
        for user in users:
            fake.add_user(user, user.lower(), f"Bench {user}")
        conn.send(fake.url)
        while True:  # until told to stop; meanwhile set knobs and read the call record
            order = conn.recv()
            if order == "stop":
                break
            what, arg = order
            if what == "set":
                for name, value in arg.items():
                    setattr(fake, name, value)
                conn.send(None)
            elif what == "calls":
                conn.send([(c.status == 200 and c.error is None, c.at,
                            c.params.get("name") or c.params.get("channel"))
                           for c in fake.calls_to(arg)])


@dataclass
class FakeSlackProcess:
    """The fake Slack in its own process: its root URL, its knobs, its record of calls."""

    url: str
    conn: Connection

    def set(self, **knobs: float | bool) -> None:
        """e.g. `set(latency=0.03, jitter=0.02)`, `set(flaky=0.5)` (see FakeSlack)."""
        self.conn.send(("set", knobs))
        self.conn.recv()

    def calls(self, method: str) -> list[tuple[bool, float, str | None]]:
        """(answered ok, wall time, channel name or id) of every call to `method`."""
        self.conn.send(("calls", method))
        return list(self.conn.recv())


@contextmanager
def fake_slack_process(users: list[str], ca_file: str | None = None
                       ) -> Iterator[FakeSlackProcess]:
    """With `ca_file`, the fake answers over TLS and its CA's PEM is written there."""
    ctx = multiprocessing.get_context("spawn")
    ours, theirs = ctx.Pipe()
    process = ctx.Process(target=_fake_slack, args=(theirs, users, ca_file), daemon=True)
    process.start()
    try:
        if not ours.poll(30):
            raise RuntimeError("the fake Slack did not start")
        yield FakeSlackProcess(str(ours.recv()), ours)
    finally:
        ours.send("stop")
        process.join(10)
        if process.is_alive():
            process.terminate()


@contextmanager
def fake_slack(users: list[str]) -> Iterator[str]:
    """The fake Slack's root URL (`<url>api/` for the Web API, `<url>response/x`)."""
    with fake_slack_process(users) as fake:
        yield fake.url


def spread(values: list[float]) -> str:
    return f"mean {statistics.fmean(values) * 1000:.1f} ms" if values else "n/a"


@dataclass
class Rig:
    db: Database
    vigilo: Vigilo
    slack_url: str

    @property
    def bot(self) -> Any:
        assert self.vigilo.slack is not None
        return self.vigilo.slack.bot


@contextmanager
def slack_rig(kind: str, users: list[str], seed: Callable[[Database, list[str]], None]
              ) -> Iterator[Rig]:
    """A fresh database seeded by `seed`, the fake Slack, and Vigilo built against both."""
    with fresh_database(kind, pool_size=30) as db, fake_slack(users) as slack_url:
        print(machine_line(db) + f", uvicorn/{http_flavour()}")
        seed(db, users)
        settings = Settings(slack_bot_token=TOKEN, slack_signing_secret=SECRET,
                            slack_api_url=slack_url + "api/", base_url="http://vigilo.bench")
        vigilo = build(settings, db=db)
        vigilo.start()
        yield Rig(db, vigilo, slack_url)
