"""The queue between Slack's message events and the timeline.

Events are acked before they are written (Slack wants its 2xx fast and Bolt acks Events API
requests at once), then one writer thread captures whatever has queued up in a single
transaction: a busy channel costs one commit per batch, not per message. Messages from people
Vigilo has never seen go through a job that asks Slack who they are, then come back here.
"""

import logging
import threading
import time
from collections import deque
from dataclasses import replace

from bot.people import People
from bot.runtime import Bot
from core.errors import DomainError
from integrations.log_context import Repeated
from services import slack_capture
from services.slack_capture import CaptureResult, SlackMessage
from services.slack_team import WorkspaceRef

log = logging.getLogger(__name__)

MAX_BATCH = 500
BUSY = 20  # a batch this big means messages are pouring in ...
LINGER = 0.02  # ... so the next batch waits this long (seconds) to grow
RETRY_CAP = 5.0  # seconds between attempts while the database is away


class CaptureQueue:
    def __init__(self, bot: Bot, people: People) -> None:
        self.bot = bot
        self.people = people
        self.totals = CaptureResult()
        self._items: deque[tuple[WorkspaceRef, SlackMessage]] = deque()
        self._cond = threading.Condition()
        self._busy = False
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._lookups: dict[str, int] = {}  # dedupe key → first-contact attempts
        bot.on_idle_check(self.wait_idle)

    def put(self, workspace: WorkspaceRef, message: SlackMessage) -> None:
        with self._cond:
            self._items.append((workspace, message))
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="vigilo-capture",
                                                daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: not self._items and not self._busy, timeout)

    def stop(self, timeout: float = 5.0) -> None:
        self.wait_idle(timeout)
        with self._cond:
            self._stopping = True
            self._cond.notify_all()

    def _loop(self) -> None:
        busy = False
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._items or self._stopping)
                if self._stopping and not self._items:
                    return
                if busy:  # a busy channel: let a bigger batch gather, it costs less per message
                    self._cond.wait_for(lambda: len(self._items) >= MAX_BATCH or self._stopping,
                                        LINGER)
                batch = [self._items.popleft() for _ in range(min(len(self._items), MAX_BATCH))]
                busy = len(batch) >= BUSY
                self._busy = True
            try:
                for workspace, messages in _by_workspace(batch):
                    self._write(workspace, messages)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _write(self, workspace: WorkspaceRef, messages: list[SlackMessage]) -> None:
        failures = Repeated(log, f"capturing {len(messages)} Slack messages", base=0.1,
                            cap=RETRY_CAP)
        while True:
            try:
                result = slack_capture.capture(self.bot.db, workspace.id, messages)
                failures.succeeded()
                break
            except Exception as error:
                # The messages are acked already: keep them until the database is back,
                # saying so once (with a count), not with a traceback a try.
                delay = failures.failed(error)
                if self._stopping:
                    return
                time.sleep(delay)
        for field in ("added", "edited", "deleted", "duplicates", "ignored"):
            setattr(self.totals, field, getattr(self.totals, field) + getattr(result, field))
        for message in result.unresolved:
            self.bot.later(self._first_contact, workspace, message)

    def _first_contact(self, workspace: WorkspaceRef, message: SlackMessage) -> None:
        """Create the author's member from Slack, name the mentioned, and capture again."""
        attempts = self._lookups[message.dedupe_key] = self._lookups.get(message.dedupe_key, 0) + 1
        if attempts > 3:
            log.warning("dropping a message in %s by %s: its people cannot be resolved",
                        message.channel, message.user)
            return
        try:
            if message.user:
                self.people.member(workspace, message.user)
        except DomainError as error:
            log.warning("dropping a message in %s by %s: %s", message.channel, message.user,
                        error.message)
            return
        mentioned = slack_capture.mentioned_users(message.text)
        known = self.people.known_ids(workspace, mentioned)
        names = self.people.names([u for u in mentioned if u not in known
                                   and u not in message.names])
        if len(self._lookups) > 10_000:  # only a loop guard: forgetting old keys is fine
            self._lookups.clear()
        self.put(workspace, replace(message, names={**message.names, **names}))


def _by_workspace(batch: list[tuple[WorkspaceRef, SlackMessage]]
                  ) -> list[tuple[WorkspaceRef, list[SlackMessage]]]:
    groups: dict[int, tuple[WorkspaceRef, list[SlackMessage]]] = {}
    for workspace, message in batch:
        groups.setdefault(workspace.id, (workspace, []))[1].append(message)
    return list(groups.values())
