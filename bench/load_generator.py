"""The load generator of the Slack benchmarks, in a process of its own so that the clients do
not compete with Vigilo for its interpreter lock (they do share the machine's CPUs).

It speaks raw HTTP/1.1 over keep-alive connections (one per simulated user), sends requests
prepared and signed beforehand, and times each from the first byte sent to the whole
response read. It runs as `python -m bench.load_generator`, handed its work on stdin and
answering on stdout (pickled), and imports nothing of Vigilo's: a multiprocessing "spawn"
child imports the benchmark's own main module, and with it the whole app, which cost 2-3 s
of CPU before each load (tens of seconds in a bench of many short loads).
"""

import asyncio
import pickle
import random
import subprocess
import sys
import time
from dataclasses import dataclass, field


@dataclass
class Load:
    latencies: list[float] = field(default_factory=list)  # seconds, every request
    probe: list[float] = field(default_factory=list)  # the trivial endpoint, meanwhile
    statuses: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0
    sent: dict[tuple[int, int], float] = field(default_factory=dict)  # (user, n) -> wall time


async def _response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    if length:
        await reader.readexactly(length)
    return status


async def _user(port: int, requests: list[bytes], load: Load, think: float,
                start: asyncio.Event, rng: random.Random, me: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    await start.wait()  # every connection is open before the clock starts
    if think:  # users act at their own pace, not in lock-step
        await asyncio.sleep(rng.uniform(0, think))
    for n, request in enumerate(requests):
        load.sent[(me, n)] = time.time()
        started = time.perf_counter()
        writer.write(request)
        status = await _response(reader)
        load.latencies.append(time.perf_counter() - started)
        load.statuses[status] = load.statuses.get(status, 0) + 1
        if think:
            await asyncio.sleep(rng.uniform(0.5, 1.5) * think)
    writer.close()


async def _probe(port: int, request: bytes, load: Load, done: asyncio.Event,
                 every: float) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    while not done.is_set():
        started = time.perf_counter()
        writer.write(request)
        await _response(reader)
        load.probe.append(time.perf_counter() - started)
        await asyncio.sleep(every)
    writer.close()


async def _run(port: int, users: list[list[bytes]], probe: bytes | None, think: float,
               every: float) -> Load:
    load = Load()
    done, start = asyncio.Event(), asyncio.Event()
    rng = random.Random(42)
    tasks = [asyncio.create_task(_user(port, requests, load, think, start, rng, me))
             for me, requests in enumerate(users)]
    await asyncio.sleep(0.5)  # let the connections open
    prober = (asyncio.create_task(_probe(port, probe, load, done, every))
              if probe is not None else None)
    started = time.perf_counter()
    start.set()
    await asyncio.gather(*tasks)
    load.seconds = time.perf_counter() - started
    done.set()
    if prober is not None:
        await prober
    return load


def generate(port: int, users: list[list[bytes]], *, probe: bytes | None = None,
             think: float = 0.0, every: float = 0.02) -> Load:
    """Each inner list is one user's requests, sent in order on its own connection. With
    `think`, each user starts at a random moment within it and pauses 0.5-1.5 × think
    between requests; without, everyone starts at once and sends back to back."""
    work = pickle.dumps((port, users, probe, think, every))
    done = subprocess.run([sys.executable, "-m", "bench.load_generator"], input=work,
                          stdout=subprocess.PIPE, check=True)
    load: Load = pickle.loads(done.stdout)
    return load


if __name__ == "__main__":
    port, users, probe, think, every = pickle.loads(sys.stdin.buffer.read())
    # Taken from the module, not from __main__: the Load sent back then unpickles as the
    # caller's bench.load_generator.Load.
    from bench.load_generator import _run as run

    sys.stdout.buffer.write(pickle.dumps(asyncio.run(run(port, users, probe, think, every))))
