"""`vigilo demo`: a whole incident with zero credentials.

A temporary SQLite database, the sandbox Slack on loopback (the same fake the tests use) and
the real application under uvicorn; then an incident is replayed through real signed HTTP
requests to /slack/events, exactly as Slack would send them, and everything Slack receives is
printed as it happens. Afterwards the server keeps running so the pages can be looked at.
"""

import json
import socket
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TextIO

import uvicorn
from sqlalchemy import func
from sqlmodel import col, select

from services import queries, workspaces
from services.actor import Actor
from store.migrate import upgrade
from store.models import Incident, Outbox, TimelineEvent
from store.types import use_clock, utcnow
from vigilo import demo_result
from vigilo.app import Vigilo, build
from vigilo.demo_cast import (
    BOT_TOKEN,
    DANA,
    PRIYA,
    SAM,
    SIGNING_SECRET,
    STORY,
    STORY_MINUTES,
    Person,
    ReplayClock,
    Step,
)
from vigilo.demo_narration import ANNOUNCEMENTS, Narrator
from vigilo.demo_paging import PagingSandbox
from vigilo.sandbox.signing import event_callback, message_event, sign, slash_command
from vigilo.sandbox.slack_api import FakeSlack
from vigilo.sandbox.slack_model import TEAM_ID
from vigilo.settings import Settings

SLUG = "sandbox"
WAIT = 15.0


QUIET = ("paged", "status_page")  # story steps that show a result, not a new action


class Demo:
    """Everything the demo runs; a context manager so a failure still tidies up."""

    def __init__(self, *, port: int = 0, out: TextIO | None = None) -> None:
        self.out = out or sys.stdout
        self.tmp = tempfile.TemporaryDirectory(prefix="vigilo-demo-")
        self.db_url = f"sqlite:///{Path(self.tmp.name) / 'demo.db'}"
        self.fake = FakeSlack(bot_token=BOT_TOKEN)
        self.paging = PagingSandbox(self.tmp.name)
        self.narrator = Narrator(self.out, self._channel_name)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.port = int(self.sock.getsockname()[1])
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.server: uvicorn.Server | None = None
        self.thread: threading.Thread | None = None
        self.vigilo: Vigilo | None = None
        self.workspace_id = 0
        self.slug = SLUG
        self.general = ""
        self.announcements = ""
        self.problems: list[str] = []
        self.answers: list[int] = []  # HTTP status of every request sent to /slack/events
        self._events = 0

    # --- set-up --------------------------------------------------------------------------
    def __enter__(self) -> "Demo":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        db_url = self.db_url
        upgrade(db_url)
        self.fake.start()
        for person in (DANA, SAM, PRIYA):
            self.fake.add_user(person.user_id, person.name, person.real_name)
        self.general = self.fake.add_channel("general", members=[DANA.user_id, SAM.user_id,
                                                                 PRIYA.user_id])
        settings = Settings(database_url=db_url, slack_bot_token=BOT_TOKEN,
                            slack_signing_secret=SIGNING_SECRET,
                            slack_api_url=self.fake.base_url, base_url=self.base_url,
                            workspace=SLUG, port=self.port,
                            pagerduty=self.paging.pagerduty_env(),
                            twilio=self.paging.twilio_env())
        self.vigilo = build(settings)
        workspace = (workspaces.workspace_for_team(self.vigilo.db, TEAM_ID)
                     or workspaces.create_workspace(self.vigilo.db, SLUG, "Sandbox",
                                                    slack_team_id=TEAM_ID))
        self.workspace_id = workspace.id or 0
        self.slug = workspace.slug
        for person in (DANA, SAM, PRIYA):
            workspaces.ensure_member(self.vigilo.db, self.workspace_id, person.user_id,
                                     person.real_name, person.role)
        self.paging.seed(self.vigilo.db, self.workspace_id, DANA.user_id)
        # The announcements channel: the incident's one card there follows it to resolved.
        self.announcements = self.fake.add_channel(ANNOUNCEMENTS, members=[
            DANA.user_id, SAM.user_id, PRIYA.user_id])
        workspaces.set_setting(self.vigilo.db, Actor.operator(self.workspace_id, "vigilo"),
                               "announce_channel", f"#{ANNOUNCEMENTS}")
        assert self.vigilo.asgi is not None
        config = uvicorn.Config(self.vigilo.asgi, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]},
                                       name="vigilo-demo-server", daemon=True)
        self.thread.start()
        if not _until(lambda: bool(self.server and self.server.started), 10):
            raise RuntimeError("the demo server did not start within 10 s")
        if not self.vigilo.registry.wait_started(10):
            raise RuntimeError(f"the demo's integrations did not start: "
                               f"{'; '.join(self.vigilo.registry.waiting)}")
        self.fake.on_call = self.narrator.slack_call

    def close(self) -> None:
        self.fake.on_call = None
        if self.server is not None:
            self.server.should_exit = True
        if self.thread is not None:
            self.thread.join(10)
        self.sock.close()
        self.fake.stop()
        self.paging.stop()
        if self.vigilo is not None:
            self.vigilo.db.dispose()
        self.tmp.cleanup()

    def _channel_name(self, channel_id: str) -> str | None:
        found = self.fake.channels.get(channel_id)
        return found.name if found else None

    # --- the replay ----------------------------------------------------------------------
    def replay(self) -> int:
        """Play STORY through signed HTTP, on a clock that starts 40 minutes ago and jumps
        forward by each step's minutes, so the timeline reads like the real incident."""
        say = self.narrator.say
        say(f"Vigilo demo: app on {self.base_url}, sandbox Slack on {self.fake.url}, "
            f"SQLite in {self.tmp.name}")
        clock = ReplayClock(timedelta(minutes=STORY_MINUTES))
        with use_clock(clock):
            number = 0
            for step in STORY:
                clock.advance(step.minutes)
                number += step.kind not in QUIET  # those add to the step before
                if not self._play(number, step):
                    return 1
        channel = self._incident_channel() or ""
        self._await(lambda i: bool(self.fake.channels.get(channel) and
                                   self.fake.channels[channel].archived),
                    "the channel is archived after the closing summary")
        return self._report(channel)

    def _play(self, number: int, step: Step) -> bool:
        channel = self.general if step.where == "general" else self._incident_channel()
        if channel is None:
            self.narrator.say("\n    ✗ no incident channel to go on with: is the Slack app "
                              "wired to /slack/events?")
            return False
        if step.kind == "message":
            self._message(step.person, channel, step.text, number)
            return True
        if step.kind == "paged":  # the declaration's SMS and PagerDuty incident went out
            return self.paging.paged(self) or True
        if step.kind == "pagerduty_ack":
            self.narrator.step(number, step.person.real_name, "PagerDuty", step.text)
            done = self.expectation(step.expect)
            self.paging.acknowledge(self, lambda: done(self._incident()))
            self._await(done, step.expect)
            return True
        if step.kind == "status_page":
            self.paging.status_page(self)
            return True
        where = f"#{self._channel_name(channel) or channel}"
        self.narrator.step(number, step.person.real_name, where, f"/vigilo {step.text}")
        body, ctype = slash_command(
            step.text, user_id=step.person.user_id, user_name=step.person.name,
            channel_id=channel, channel_name=self._channel_name(channel) or "",
            response_url=self.fake.response_url(f"step-{number}"))
        if self._post(body, ctype) == 200:
            self._await(self.expectation(step.expect), step.expect)
        if step.expect == "declared":
            if self._incident() is None:
                self.narrator.say("\n    ✗ no incident was declared: is the Slack app wired "
                                  "to /slack/events?")
                return False
            self._await(lambda i: bool(i and i.slack_channel_id and
                                       self.fake.pins(i.slack_channel_id)),
                        "the incident channel is created and the situation report pinned")
            made = self._incident_channel()
            if made:
                self.narrator.say(f"\n    channel: #{self._channel_name(made)} ({made})")
        return True

    def expectation(self, expect: str) -> Callable[[Incident | None], bool]:
        """What must be true after a step, from its `expect` name (see demo_cast.Step)."""
        kind, _, value = expect.partition(":")
        if kind == "declared":
            return lambda incident: incident is not None
        if kind == "status":
            return _status(value)
        if kind == "severity":
            return lambda incident: bool(incident and incident.severity == value)
        if kind == "responder":
            return self._has_responder(value)
        raise ValueError(f"unknown demo expectation '{expect}'")

    def _incident_channel(self) -> str | None:
        incident = self._incident()
        return incident.slack_channel_id if incident else None

    def _message(self, person: Person, channel: str, text: str, number: int) -> None:
        self.narrator.step(number, person.real_name, f"#{self._channel_name(channel)}", text)
        self._events += 1
        ts = f"{utcnow().timestamp():.6f}"  # Slack's ts, on the replay's clock
        body, ctype = event_callback(message_event(channel, person.user_id, text, ts),
                                     event_id=f"Ev0DEMO{self._events:04d}")
        if self._post(body, ctype) != 200:
            return
        self._await(lambda i: i is not None and any(
            e.label == "message" and text in e.text for e in self._timeline()),
            "the message is on the timeline")

    def _post(self, body: bytes, content_type: str) -> int:
        headers = {**sign(SIGNING_SECRET, body), "Content-Type": content_type}
        request = urllib.request.Request(f"{self.base_url}/slack/events", data=body,
                                         headers=headers, method="POST")
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status, text = response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode("utf-8", "replace")
        self.answers.append(status)
        self.narrator.sent(status, (time.monotonic() - started) * 1000, text)
        if status != 200:
            self.problems.append(f"/slack/events answered {status}: {text[:200]}")
        return status

    def _await(self, done: Callable[[Incident | None], bool], what: str) -> None:
        if not _until(lambda: done(self._incident()), WAIT):
            self.problems.append(f"gave up after {WAIT:g} s waiting until {what}")
            self.narrator.say(f"    ✗ nothing showed that {what} within {WAIT:g} s")
        # Let the outbox deliver what this step caused, so its Slack calls print under it.
        _until(self._outbox_idle, WAIT)
        self.narrator.timeline(self._timeline())

    def _outbox_idle(self) -> bool:
        assert self.vigilo is not None
        with self.vigilo.db.read() as session:
            due = session.exec(select(func.count()).select_from(Outbox).where(
                Outbox.status == "pending", col(Outbox.next_attempt_at) <= utcnow())).one()
        return int(due) == 0

    def _incident(self) -> Incident | None:
        assert self.vigilo is not None
        found = queries.list_incidents(self.vigilo.db, self.workspace_id, limit=1)
        return found[0].incident if found else None

    def _has_responder(self, user_id: str) -> Callable[[Incident | None], bool]:
        def done(incident: Incident | None) -> bool:
            assert self.vigilo is not None
            detail = queries.get_detail(self.vigilo.db, self.workspace_id, 1)
            return any(r.slack_user_id == user_id for r in detail.responders)
        return done

    def _timeline(self) -> list[TimelineEvent]:
        assert self.vigilo is not None
        if self._incident() is None:
            return []
        return queries.get_detail(self.vigilo.db, self.workspace_id, 1).timeline

    # --- the result ----------------------------------------------------------------------
    def _report(self, channel: str) -> int:
        return demo_result.report(self, channel)

    def links(self) -> dict[str, str]:
        return demo_result.links(self)

    def serve_until_interrupted(self) -> None:
        self.narrator.say(f"\nVigilo keeps serving on {self.base_url} (sandbox Slack: "
                          f"{self.fake.url}). Ctrl-C to stop.")
        try:
            while self.thread is not None and self.thread.is_alive():
                self.thread.join(0.5)
        except KeyboardInterrupt:
            self.narrator.say("\nstopping")


def _status(status: str) -> Callable[[Incident | None], bool]:
    return lambda incident: incident is not None and incident.status == status


def _until(predicate: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if predicate():
                return True
        except Exception:  # e.g. the row is mid-write; ask again
            pass
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)


def run_demo(keep_serving: bool = True, port: int = 0, *, out: TextIO | None = None,
             as_json: bool = False) -> int:
    """`vigilo demo`. With --json the narration goes to stderr and one JSON object (the
    result, and the links while serving) to stdout."""
    out = out or (sys.stderr if as_json else sys.stdout)
    with Demo(port=port, out=out) as demo:
        code = demo.replay()
        if demo.problems:
            demo.narrator.say("\nProblems: " + "; ".join(demo.problems))
        links = demo.links() if keep_serving and demo.vigilo and demo._incident() else {}
        if as_json:
            print(json.dumps({"ok": code == 0, "problems": demo.problems, "links": links},
                             indent=2))
        elif links:
            demo.narrator.links(links)
        if not keep_serving:
            demo.narrator.say("\n(--no-serve: the server stops now, so there is nothing to "
                              "open; run `vigilo demo` without it to look at the pages.)")
            return code
        demo.serve_until_interrupted()
        return code
