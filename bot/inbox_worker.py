"""Taking work from the Slack inbox: on any replica, at least once, after restarts too.

- `message` rows are captured in batches (one transaction for up to 500, which also
  settles them: services.inbox_capture); a batch the database refuses is split so that only
  the bad row waits, and a row that keeps failing is quarantined with its error instead of
  holding up the rows behind it.
- A message by someone Vigilo has not met asks Slack who they are; if Slack does not answer,
  the message lands under the Slack user id and a `name` row asks again later.
- `dispatch` rows (commands, clicks, form submissions) are run live by the request that
  stored them; one whose lease ran out (its replica crashed, or never finished) is run
  again through the Bolt app, and answers through its response_url. In a worker process
  (VIGILO_ROLE=worker) the same path runs what web processes stored and handed off.
"""

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import replace

from bot.people import People
from bot.runtime import Bot
from core.errors import DomainError
from integrations.log_context import Repeated
from services import inbox, inbox_capture, slack_capture
from services.inbox import Delivery
from services.inbox_capture import to_message
from services.slack_capture import SlackMessage
from services.slack_team import WorkspaceRef
from store.inbox_models import DISPATCH, NAME

log = logging.getLogger(__name__)

BATCH = 500
# Under a flood of messages, a pass that found some but not a full batch waits this long so
# that the next takes more at once: one capture transaction per few hundred rows instead of
# one per handful, which leaves PostgreSQL (and the GIL) to the deliveries being acked.
GATHER = 0.2
GATHER_FROM = 20  # rows a pass took: below, nobody is flooding, capture at once
NAME_AGAIN = 30.0  # seconds before Slack is asked again who an author is

Replay = Callable[[Delivery], None]


class InboxWorker:
    def __init__(self, bot: Bot, people: People, replay: Replay, *, lease: float = 60.0,
                 poll: float = 1.0, hand_off: bool = False) -> None:
        self.bot = bot
        # In a worker process, dispatch rows are handed off by web processes: running one
        # for the first time is the normal course, not a re-run after a crash.
        self.hand_off = hand_off
        self.people = people
        self.replay = replay
        self.lease = lease
        self.poll = poll
        self.captured = 0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._idle = threading.Event()
        self._thread: threading.Thread | None = None
        self._messages = 0  # message rows the last pass took

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="vigilo-inbox",
                                            daemon=True)
            self._thread.start()

    def notify(self) -> None:
        self._idle.clear()
        self._wake.set()
        self.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(10)

    def wait_idle(self, timeout: float) -> bool:
        """True once a pass found nothing to do (after the last notify)."""
        return self._thread is None or self._idle.wait(timeout)

    def _loop(self) -> None:
        # A database outage is one line with a count and a backoff, not a traceback a poll.
        failures = Repeated(log, "taking work from the Slack inbox", base=self.poll)
        while not self._stop.is_set():
            self._wake.clear()
            wait = self.poll
            try:
                self.bot.give_way()
                busy = self.step()
                failures.succeeded()
            except Exception as error:  # the database is away: try again after the backoff
                busy, wait = False, max(self.poll, failures.failed(error))
            if not busy:
                if not self._wake.is_set():
                    self._idle.set()
                self._wake.wait(wait)
            elif GATHER_FROM <= busy < BATCH and busy == self._messages:
                self._stop.wait(GATHER)  # a flood of messages only: let the next batch grow

    def step(self) -> int:
        """One pass over what is due; returns how many rows it took."""
        db = self.bot.db
        taken = inbox_capture.take(db, limit=BATCH, lease=self.lease)
        self.captured += taken.captured
        self._messages = taken.captured + taken.ignored + len(taken.leftovers)
        if taken.leftovers:
            self.capture(taken.leftovers)
        stale = inbox.claim(db, DISPATCH, limit=20, lease=self.lease)
        for delivery in stale:
            self._replay(delivery)
        names = inbox.claim(db, NAME, limit=20, lease=self.lease)
        for delivery in names:
            self.name(delivery)
        return taken.captured + taken.ignored + len(taken.leftovers) + len(stale) + len(names)

    # -- channel messages -------------------------------------------------------------------
    def capture(self, deliveries: list[Delivery]) -> None:
        """The rows `take` could not settle by itself, leased to us: one by one if need be."""
        groups: dict[int, tuple[WorkspaceRef, list[tuple[Delivery, SlackMessage]]]] = {}
        finished: list[int] = []
        for delivery in deliveries:
            try:
                body = json.loads(delivery.body)
                message = to_message(body.get("event") or {})
                workspace = self.bot.workspace(delivery.team_id)
            except Exception as error:
                self._failed(delivery, f"unreadable: {error}", None)
                continue
            if message is None or workspace is None:
                finished.append(delivery.id)  # not a person's message, or not our team
                continue
            groups.setdefault(workspace.id, (workspace, []))[1].append((delivery, message))
        for workspace, items in groups.values():
            finished += self._capture(workspace, items)
        inbox.done(self.bot.db, finished)

    def _capture(self, workspace: WorkspaceRef,
                 items: list[tuple[Delivery, SlackMessage]]) -> list[int]:
        """Capture a group; returns the ids settled. A refused batch is tried row by row."""
        try:
            self._write(workspace, items[0][0].team_id, [m for _, m in items])
            return [d.id for d, _ in items]
        except Exception as error:
            if len(items) == 1:
                self._failed(items[0][0], f"{type(error).__name__}: {error}", workspace.id)
                return []
        settled = []
        for item in items:
            settled += self._capture(workspace, [item])
        return settled

    def _write(self, workspace: WorkspaceRef, team_id: str,
               messages: list[SlackMessage]) -> None:
        db = self.bot.db
        result = slack_capture.capture(db, workspace.id, messages)
        if result.unresolved:
            named = [self._introduce(workspace, m) for m in result.unresolved]
            later = slack_capture.capture(db, workspace.id, named, strangers=True)
            for user in later.strangers:
                inbox.schedule(db, f"name:{workspace.id}:{user}", team_id, NAME, user,
                               after=NAME_AGAIN)
        self.captured += len(messages)

    def _introduce(self, workspace: WorkspaceRef, message: SlackMessage) -> SlackMessage:
        """Ask Slack who wrote it and who is mentioned; what Slack cannot say stays an id."""
        if message.user:
            try:
                self.people.member(workspace, message.user)
            except DomainError as error:
                log.info("author %s of a message in %s is unknown for now: %s",
                         message.user, message.channel, error.message)
        mentioned = slack_capture.mentioned_users(message.text)
        known = self.people.known_ids(workspace, mentioned)
        names = self.people.names([u for u in mentioned if u not in known
                                   and u not in message.names])
        return replace(message, names={**message.names, **names})

    def name(self, delivery: Delivery) -> None:
        workspace = self.bot.workspace(delivery.team_id)
        if workspace is None:
            inbox.done(self.bot.db, [delivery.id])
            return
        try:
            self.people.member(workspace, delivery.body)
            slack_capture.name_author(self.bot.db, workspace.id, delivery.body)
        except Exception as error:
            message = error.message if isinstance(error, DomainError) else str(error)
            self._failed(delivery, message, workspace.id)
            return
        inbox.done(self.bot.db, [delivery.id])

    # -- commands, clicks, forms ----------------------------------------------------------
    def _replay(self, delivery: Delivery) -> None:
        if self.hand_off and delivery.attempts <= 1:
            log.debug("running Slack delivery #%d handed off by a web process", delivery.id)
        else:
            log.warning("running Slack delivery #%d again (attempt %d): its first run did "
                        "not finish", delivery.id, delivery.attempts)
        try:
            self.replay(delivery)
        except Exception as error:
            self._failed(delivery, f"{type(error).__name__}: {error}", None)

    def _failed(self, delivery: Delivery, error: str, workspace_id: int | None) -> None:
        status = inbox.failed(self.bot.db, delivery, error, workspace_id=workspace_id)
        log.warning("Slack inbox #%d (%s) failed: %s → %s", delivery.id, delivery.kind,
                    error[:200], status)

