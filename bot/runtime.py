"""What every listener shares: the database, the Slack client, and the thread pools that
let a listener ack at once and do the slow part afterwards."""

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from slack_sdk import WebClient

from bot.channel_watch import ChannelWatch
from bot.inbox import CURRENT
from bot.render import Reply
from bot.respond import KeptRespond
from core.keys import format_key
from integrations.slack.keepalive import Kept
from services import slack_team
from services.slack_team import WorkspaceRef
from store.db import Database

log = logging.getLogger(__name__)

REPLIES_WAIT_AT_MOST = 1.0  # seconds


class TrackedExecutor(ThreadPoolExecutor):
    """A thread pool that logs what fails and can say when it has nothing left to do."""

    def __init__(self, max_workers: int, name: str) -> None:
        super().__init__(max_workers=max_workers, thread_name_prefix=name)
        self._pending = 0
        self._idle = threading.Condition()
        self.give_way: Callable[[], None] = lambda: None  # before each job (Bot sets it)
        self.on_idle: Callable[[], None] = lambda: None  # when nothing is left to do

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        with self._idle:
            self._pending += 1
        try:
            return super().submit(self._run, fn, args, kwargs)
        except BaseException:
            self._done()
            raise

    def _run(self, fn: Callable[..., Any], args: tuple[Any, ...],
             kwargs: dict[str, Any]) -> Any:
        try:
            self.give_way()
            return fn(*args, **kwargs)
        except Exception:
            log.exception("background Slack work failed: %s", getattr(fn, "__name__", fn))
            raise
        finally:
            self._done()

    def _done(self) -> None:
        with self._idle:
            self._pending -= 1
            idle = self._pending == 0
            if idle:
                self._idle.notify_all()
        if idle:
            self.on_idle()

    @property
    def pending(self) -> int:
        return self._pending

    def wait_idle(self, timeout: float) -> bool:
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)


@dataclass
class Bot:
    """The Slack side's dependencies, built once at start-up by the composition root."""

    db: Database
    client: WebClient
    base_url: str
    notify: Callable[[], None] = lambda: None  # wake the outbox worker
    channel_wait: float = 3.0  # how long a declaration's reply waits for its channel
    # (name, why it is off or None) of every integration, for `/vigilo integrations`.
    integrations: Callable[[], list[tuple[str, str | None]]] = lambda: []
    # Why AI postmortem drafts are off (None: a model is configured), to offer them or not.
    ai_off: str | None = "AI drafts are not configured"
    # Everything after ack (service calls, Web API calls, replies) runs here. Few threads on
    # purpose: they share one interpreter lock with the event loop and the dispatchers, and
    # more of them made the acks slower without draining the work any faster (measured).
    jobs: TrackedExecutor = field(default_factory=lambda: TrackedExecutor(4, "vigilo-job"))
    # Follow-ups that mostly sleep (waiting for the outbox to make a channel): kept off the
    # job threads so that waiting never delays anyone else's reply.
    waits: TrackedExecutor = field(default_factory=lambda: TrackedExecutor(8, "vigilo-wait"))
    # Replies to response_urls: a Slack round trip each, kept off the job threads so that in
    # a burst the 100th declaration is recorded without waiting behind 99 replies (measured:
    # bench/bench_declare_to_channel.py).
    replies: TrackedExecutor = field(
        default_factory=lambda: TrackedExecutor(8, "vigilo-reply"))
    # Each reply thread's connection to the response_urls' host, kept between replies.
    hooks: Kept = field(default_factory=Kept)
    # Called before each unit of background work: sleeps a little while requests are being
    # answered, so that acks do not wait for the interpreter lock (webhooks.foreground).
    give_way: Callable[[], None] = lambda: None
    _teams: dict[str, WorkspaceRef] = field(default_factory=dict)
    _idle_hooks: list[Callable[[float], bool]] = field(default_factory=list)
    _watch: ChannelWatch = field(init=False)

    def __post_init__(self) -> None:
        self._watch = ChannelWatch(lambda keys: slack_team.incident_channels(self.db, keys))
        for pool in (self.jobs, self.waits):
            pool.give_way = self.give_way
        self.replies.give_way = self._after_commands

    def _after_commands(self) -> None:
        """A reply waits for the commands being carried out, a second at most: in a burst of
        declarations the last is recorded (and its channel made) sooner, and the replies,
        which only confirm, come a little later (bench/bench_declare_to_channel.py)."""
        self.give_way()
        self.jobs.wait_idle(REPLIES_WAIT_AT_MOST)

    def later(self, fn: Callable[..., Any], *args: Any) -> None:
        self.jobs.submit(*_as_part_of_delivery(fn, args))

    def reply_later(self, fn: Callable[..., Any], *args: Any) -> None:
        """On the reply threads; the delivery stays open until the reply is sent."""
        self.replies.submit(*_as_part_of_delivery(fn, args))

    def respond_to(self, response_url: str) -> KeptRespond:
        return KeptRespond(response_url, self.hooks)

    def workspace(self, team_id: str | None) -> WorkspaceRef | None:
        """The workspace of a Slack team; cached, since a team never changes workspace."""
        if not team_id:
            return None
        found = self._teams.get(team_id)
        if found is None:
            found = slack_team.workspace_ref(self.db, team_id)
            if found is not None:
                self._teams[team_id] = found
        return found

    def knows_team(self, team_id: str | None) -> bool:
        """Whether `workspace(team_id)` answers from memory (no database read)."""
        return bool(team_id) and team_id in self._teams

    def remember(self, team_id: str, workspace: WorkspaceRef) -> None:
        self._teams[team_id] = workspace

    def incident_url(self, workspace: WorkspaceRef, key: str | int) -> str:
        key_text = format_key(key) if isinstance(key, int) else key
        return f"{self.base_url}/ws/{workspace.slug}/incidents/{key_text}"

    def list_url(self, workspace: WorkspaceRef) -> str:
        return f"{self.base_url}/ws/{workspace.slug}/incidents"

    def channel_coming(self, workspace: WorkspaceRef) -> bool:
        """Whether the workspace's new incidents get a channel at once. The reply to a
        declaration does not look for it yet: the outbox has not had the time to make it."""
        settings = slack_team.workspace_settings(self.db, workspace.id)
        return settings.auto_create_channel and settings.create_channel_on == "open"

    def made_channel(self, workspace: WorkspaceRef, number: int) -> str | None:
        """The new incident's channel, waiting up to `channel_wait` for the outbox."""
        return self._watch.wait(workspace.id, number, self.channel_wait)

    def follow_up(self, reply: Reply, send: Callable[[Reply], None]) -> None:
        """Send `reply.follow_up()`, when there is one and it comes, through `send`."""
        if reply.follow_up is None:
            return
        work = reply.follow_up

        def run() -> None:
            later = work()
            if later is not None:
                send(later)

        self.waits.submit(*_as_part_of_delivery(run, ()))

    def on_idle_check(self, hook: Callable[[float], bool]) -> None:
        self._idle_hooks.append(hook)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until jobs and queues are all done (tests, benchmarks, shutdown)."""
        deadline = time.monotonic() + timeout

        def left() -> float:
            return max(deadline - time.monotonic(), 0.0)

        while True:
            for hook in self._idle_hooks:
                hook(left())
            for pool in (self.jobs, self.replies, self.waits):
                pool.wait_idle(left())
            # Work moves between them (a job re-queues a message): all quiet at once, or again.
            if (self.jobs.pending == 0 and self.replies.pending == 0 and self.waits.pending == 0
                    and all(hook(0) for hook in self._idle_hooks)):
                return True
            if not left():
                return False

    def shutdown(self) -> None:
        self.wait_idle(5.0)
        for pool in (self.jobs, self.replies, self.waits):
            pool.shutdown(wait=False, cancel_futures=True)


def _as_part_of_delivery(fn: Callable[..., Any], args: tuple[Any, ...]
                         ) -> tuple[Callable[..., Any], ...]:
    """Work caused by an inbox delivery keeps it open until the work ends (bot.inbox)."""
    ticket = CURRENT.get()
    if ticket is None:
        return (fn, *args)
    ticket.hold()
    return (ticket.run, fn, *args)
