"""The sandbox PagerDuty and Twilio in a process of their own, as the fake Slack is in
bench/slack_load.py: PagerDuty and Twilio are remote services, and in the bench's process
their servers (TLS, a thread per request) took the interpreter lock from the Vigilo they
were answering.

    with fakes_apart(folder) as fakes:  # or fakes_here(folder): the same, in this process
        fakes.pd_url, fakes.ca_file, fakes.sms_url
        fakes.pd_calls("POST /incidents")   # [(at, body)], as FakePagerDuty.calls_to
        fakes.texts()                        # [(body, date_created)], FakeTwilio.messages
"""

import multiprocessing
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from vigilo.sandbox.pagerduty_api import FakePagerDuty
from vigilo.sandbox.twilio_api import FakeTwilio


@dataclass
class FakesHere:
    pd: FakePagerDuty
    sms: FakeTwilio
    ca_file: str

    @property
    def pd_url(self) -> str:
        return self.pd.base_url

    @property
    def sms_url(self) -> str:
        return self.sms.base_url

    def pd_calls(self, route: str) -> list[tuple[float, Any]]:
        return [(c.at, c.body) for c in self.pd.calls_to(route)]

    def texts(self) -> list[tuple[str, float]]:
        return [(m.body, m.date_created) for m in self.sms.messages]


@contextmanager
def fakes_here(folder: str) -> Iterator[FakesHere]:
    with FakePagerDuty() as pd, FakeTwilio() as sms:
        yield FakesHere(pd, sms, pd.ca_file(folder))


def _serve(conn: Connection, folder: str) -> None:
    with fakes_here(folder) as fakes:
        conn.send((fakes.pd_url, fakes.ca_file, fakes.sms_url))
        while (order := conn.recv()) != "stop":
            what, arg = order
            conn.send(fakes.pd_calls(arg) if what == "pd_calls" else fakes.texts())


@dataclass
class FakesApart:
    pd_url: str
    ca_file: str
    sms_url: str
    conn: Connection

    def pd_calls(self, route: str) -> list[tuple[float, Any]]:
        self.conn.send(("pd_calls", route))
        return list(self.conn.recv())

    def texts(self) -> list[tuple[str, float]]:
        self.conn.send(("texts", None))
        return list(self.conn.recv())


@contextmanager
def fakes_apart(folder: str) -> Iterator[FakesApart]:
    """The CA that PagerDuty's fake answers TLS with is written into `folder`."""
    ctx = multiprocessing.get_context("spawn")
    ours, theirs = ctx.Pipe()
    process = ctx.Process(target=_serve, args=(theirs, folder), daemon=True)
    process.start()
    try:
        if not ours.poll(30):
            raise RuntimeError("the fake PagerDuty and Twilio did not start")
        pd_url, ca_file, sms_url = ours.recv()
        yield FakesApart(pd_url, ca_file, sms_url, ours)
    finally:
        ours.send("stop")
        process.join(10)
        if process.is_alive():
            process.terminate()
