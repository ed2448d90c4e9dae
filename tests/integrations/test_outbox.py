"""The outbox: at-least-once delivery, backoff, Retry-After, restarts, lanes."""

import random
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from sqlmodel import col, select

from core.effects import (
    PAGERDUTY_TRIGGER,
    SLACK_ANNOUNCE,
    SLACK_CREATE_CHANNEL,
    SLACK_SETUP_CHANNEL,
    TWILIO_PAGE,
)
from core.fsm import Move
from integrations.outbox import (
    Backoff,
    Effect,
    NotConfigured,
    OutboxWorker,
    PermanentFailure,
    RetryAfter,
)
from services import incidents, queries
from store.models import IntegrationLog, Outbox
from store.types import utcnow
from tests.conftest import World


class Clock:
    def __init__(self) -> None:
        # a little ahead of the wall clock, so effects recorded right after are already due
        self.now = utcnow() + timedelta(seconds=5)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class Scripted:
    """A hand-written fake handler: plays a script of outcomes, records what it saw."""

    def __init__(self, *script: object) -> None:
        self.script = list(script)
        self.seen: list[Effect] = []

    def __call__(self, effect: Effect) -> str | None:
        self.seen.append(effect)
        outcome = self.script.pop(0) if self.script else "ok"
        if isinstance(outcome, Exception):
            raise outcome
        return str(outcome)


def rows(world: World, kind: str | None = None) -> list[Outbox]:
    with world.db.read() as s:
        query = select(Outbox).order_by(col(Outbox.id))
        if kind:
            query = query.where(Outbox.kind == kind)
        return list(s.exec(query))


def make_worker(world: World, handlers: dict, clock: Clock, **kw: object) -> OutboxWorker:
    return OutboxWorker(world.db, handlers, clock=clock, rng=random.Random(7), **kw)  # type: ignore[arg-type]


def test_rate_limit_is_honoured_then_delivered(world: World) -> None:
    clock = Clock()
    handler = Scripted(RetryAfter(30), "posted")
    worker = make_worker(world, {SLACK_CREATE_CHANNEL: handler}, clock)
    incidents.declare(world.db, world.actor(), title="x")
    assert worker.run_once() == 1
    row = rows(world, SLACK_CREATE_CHANNEL)[0]
    assert row.status == "pending" and row.attempts == 1
    assert row.next_attempt_at == clock.now + timedelta(seconds=30)
    clock.advance(29)
    assert worker.run_once() == 0  # not due yet
    clock.advance(1)
    assert worker.run_once() == 1
    row = rows(world, SLACK_CREATE_CHANNEL)[0]
    assert row.status == "done" and row.attempts == 2 and row.last_error is None
    assert [e.attempts for e in handler.seen] == [1, 2]


def test_failures_back_off_exponentially_with_jitter_then_go_dead(world: World) -> None:
    clock = Clock()
    handler = Scripted(*[ConnectionError("slack down")] * 10)
    worker = make_worker(world, {SLACK_CREATE_CHANNEL: handler}, clock,
                         backoff=Backoff(base=2, cap=60, max_attempts=5))
    incidents.declare(world.db, world.actor(), title="x")
    delays = []
    for _ in range(5):
        assert worker.run_once() == 1
        row = rows(world, SLACK_CREATE_CHANNEL)[0]
        delays.append((row.next_attempt_at - clock.now).total_seconds())
        clock.advance(3600)
    steps = [2, 4, 8, 16]
    for delay, step in zip(delays, steps, strict=False):
        assert step / 2 <= delay <= step
    row = rows(world, SLACK_CREATE_CHANNEL)[0]
    assert row.status == "dead" and "ConnectionError: slack down" in (row.last_error or "")
    # the incident itself was never touched by the failing effect
    assert queries.get_detail(world.db, world.ws_id, 1).incident.title == "x"


def test_permanent_failure_and_unconfigured_settle_with_visible_reason(world: World) -> None:
    clock = Clock()
    worker = make_worker(world, {SLACK_CREATE_CHANNEL: Scripted(
        PermanentFailure("missing_scope: channels:manage"))}, clock)
    incidents.declare(world.db, world.actor(), title="x", severity="p1")
    worker.drain()
    by_kind = {r.kind: r for r in rows(world)}
    assert by_kind[SLACK_CREATE_CHANNEL].status == "dead"
    assert by_kind[TWILIO_PAGE].status == "skipped"
    with world.db.read() as s:
        log = {r.kind: r.detail for r in s.exec(select(IntegrationLog))}
    assert "missing_scope: channels:manage" in log[SLACK_CREATE_CHANNEL]
    assert "twilio is not configured" in log[TWILIO_PAGE]


def test_not_configured_raised_by_handler_is_skipped(world: World) -> None:
    worker = make_worker(world, {SLACK_CREATE_CHANNEL: Scripted(NotConfigured("channels off"))},
                         Clock())
    incidents.declare(world.db, world.actor(), title="x")
    worker.drain()
    assert rows(world, SLACK_CREATE_CHANNEL)[0].status == "skipped"


def test_crashed_worker_claims_resume_after_lease(world: World) -> None:
    clock = Clock()
    handler = Scripted()
    incidents.declare(world.db, world.actor(), title="x")
    crashed = make_worker(world, {SLACK_CREATE_CHANNEL: handler}, clock, lease=60)
    assert len(crashed.claim()) == 1  # claimed, then the process "dies" before delivering
    restarted = make_worker(world, {SLACK_CREATE_CHANNEL: handler}, clock, lease=60)
    assert restarted.run_once() == 0  # lease still held
    clock.advance(61)
    assert restarted.run_once() == 1
    assert rows(world, SLACK_CREATE_CHANNEL)[0].status == "done"


def test_lane_delivers_in_order_and_waits_for_earlier_effects(world: World) -> None:
    clock = Clock()
    order: list[str] = []

    def record(kind: str, fail_first: bool = False) -> Scripted:
        class H(Scripted):
            def __call__(self, effect: Effect) -> str | None:
                order.append(kind)
                return super().__call__(effect)
        return H(RetryAfter(10)) if fail_first else H()

    worker = make_worker(world, {SLACK_CREATE_CHANNEL: record("create", fail_first=True),
                                 SLACK_ANNOUNCE: record("announce")}, clock)
    actor = world.actor()
    incidents.declare(world.db, actor, title="x")
    incidents.transition(world.db, actor, 1, Move.INVESTIGATE)
    worker.drain()
    assert order == ["create"]  # the announcement waits behind the channel
    clock.advance(10)
    worker.drain()
    assert order == ["create", "create", "announce"]


def test_same_effect_is_recorded_once(world: World) -> None:
    incidents.declare(world.db, world.actor(), title="x")
    from core.policies import EffectSpec
    from services.records import record_effect
    from store.models import Incident

    with world.db.transaction() as s:
        incident = s.exec(select(Incident)).one()
        record_effect(s, EffectSpec(SLACK_CREATE_CHANNEL, "channel"), world.ws_id, incident.id)
    assert len(rows(world, SLACK_CREATE_CHANNEL)) == 1


@pytest.mark.timeout(30)
def test_background_thread_delivers(world: World) -> None:
    import threading

    delivered = threading.Event()

    def handler(effect: Effect) -> str:
        delivered.set()
        return "ok"

    worker = OutboxWorker(world.db, {SLACK_CREATE_CHANNEL: handler}, poll=0.05)
    worker.start()
    try:
        incidents.declare(world.db, world.actor(), title="x")
        worker.notify()
        assert delivered.wait(10)
    finally:
        worker.stop()


@pytest.mark.parametrize("threads", [1, 16])
def test_a_commit_that_records_effects_wakes_the_worker(world: World, threads: int) -> None:
    """No poll and no notify by the caller (the web API, the CLI, a job): the commit does it."""
    delivered = threading.Event()

    def handler(effect: Effect) -> str:
        delivered.set()
        return "ok"

    worker = OutboxWorker(world.db, {SLACK_CREATE_CHANNEL: handler}, poll=3600, threads=threads)
    worker.start()
    try:
        time.sleep(0.2)  # the worker's first look (an empty outbox) is over: it now sleeps
        incidents.declare(world.db, world.actor(), title="x")
        assert delivered.wait(20)
    finally:
        worker.stop()
    # Stopped, it is no longer woken (and holds no reference from the database).
    assert world.db._on_effects == []


# --- parallel lanes, per-integration pools, breaker-style recovery -------------------------

def queue(world: World, kind: str, lanes: list[str]) -> list[int]:
    """One effect per entry, in that order, each in the lane named."""
    with world.db.transaction() as s:
        made = [Outbox(workspace_id=world.ws_id, kind=kind, idempotency_key=f"{kind}:{lane}:{n}",
                       lane=lane, payload={"lane": lane, "n": n})
                for n, lane in enumerate(lanes)]
        s.add_all(made)
        s.flush()
        return [m.id or 0 for m in made]


def wait_for(check: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


class Slow:
    """Takes `seconds` per delivery; records overlap overall and within each lane."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.lock = threading.Lock()
        self.now: dict[str, int] = {}
        self.most = 0
        self.most_in_lane = 0
        self.order: list[tuple[str, int]] = []

    def __call__(self, effect: Effect) -> str:
        lane = effect.payload["lane"]
        with self.lock:
            self.now[lane] = self.now.get(lane, 0) + 1
            self.most = max(self.most, sum(self.now.values()))
            self.most_in_lane = max(self.most_in_lane, self.now[lane])
        time.sleep(self.seconds)
        with self.lock:
            self.now[lane] -= 1
            self.order.append((lane, effect.payload["n"]))
        return "ok"


def done(world: World) -> int:
    return sum(1 for r in rows(world) if r.status == "done")


@pytest.mark.timeout(30)
def test_lanes_are_delivered_at_the_same_time_each_in_order(world: World) -> None:
    handler = Slow(0.2)
    lanes = [f"slack:{n}" for n in range(8)] + ["slack:A"] * 3
    queue(world, SLACK_ANNOUNCE, lanes)
    worker = OutboxWorker(world.db, {SLACK_ANNOUNCE: handler}, poll=0.05, threads=8)
    started = time.monotonic()
    worker.start()
    try:
        assert wait_for(lambda: done(world) == len(lanes), 10)
    finally:
        worker.stop()
    # Six or more deliveries at once, never two of one lane: the property itself, not a wall
    # time, which a loaded CI machine would make flaky (one thread would take 11 x 0.2 s).
    assert time.monotonic() - started < 5
    assert handler.most >= 6 and handler.most_in_lane == 1
    assert [n for lane, n in handler.order if lane == "slack:A"] == [8, 9, 10]


def test_a_claim_takes_no_more_of_an_integration_than_it_has_room_for(world: World) -> None:
    slack = queue(world, SLACK_ANNOUNCE, [f"slack:{n}" for n in range(3)])
    pagerduty = queue(world, PAGERDUTY_TRIGGER, [f"pagerduty:{n}" for n in range(2)])
    worker = OutboxWorker(world.db, {SLACK_ANNOUNCE: Slow(0), PAGERDUTY_TRIGGER: Slow(0)},
                          lease=60)
    room = {"slack": 1, "pagerduty": 0}
    taken = worker.claim(10, room.__getitem__)
    assert [(e.id, e.attempts) for e in taken] == [(slack[0], 1)]
    # What was over the room was not leased: the next claim finds it, oldest first.
    again = worker.claim(10)
    assert [e.id for e in again] == [*slack[1:], *pagerduty]
    assert all(e.attempts == 1 for e in again)
    assert worker.claim(10) == []  # all leased now


@pytest.mark.timeout(30)
def test_a_hung_integration_never_delays_slack(world: World) -> None:
    release = threading.Event()
    hung: list[int] = []

    def pagerduty(effect: Effect) -> str:
        hung.append(effect.id)
        release.wait(20)
        return "ok"

    queue(world, PAGERDUTY_TRIGGER, [f"pagerduty:{n}" for n in range(6)])
    slack_ids = queue(world, SLACK_ANNOUNCE, [f"slack:{n}" for n in range(20)])
    worker = OutboxWorker(world.db, {PAGERDUTY_TRIGGER: pagerduty, SLACK_ANNOUNCE: Slow(0.01)},
                          poll=0.05, threads=4, limits={"pagerduty": 2})
    worker.start()
    try:
        assert wait_for(lambda: all(r.status == "done" for r in rows(world, SLACK_ANNOUNCE)),
                        20)  # returns as soon as done; the margin is for a loaded machine
        assert len(hung) == 2  # PagerDuty holds its own two threads, and no more
        release.set()
        assert wait_for(lambda: done(world) == 26, 10)
    finally:
        release.set()
        worker.stop()
    assert sorted(r.id for r in rows(world, SLACK_ANNOUNCE)) == slack_ids


class Flaky:
    """Fails while `down` is set (as a 500 would), answers once it is cleared."""

    def __init__(self) -> None:
        self.down = True
        self.seen: list[int] = []

    def __call__(self, effect: Effect) -> str:
        self.seen.append(effect.id)
        if effect.payload.get("limited"):
            raise RetryAfter(60, "Slack rate-limited chat.postMessage")
        if self.down:
            raise ConnectionError("Slack answered HTTP 500")
        return "ok"


def test_recovery_makes_backed_off_effects_due_at_once_but_honours_retry_after(
        world: World) -> None:
    clock = Clock()
    handler = Flaky()
    ids = queue(world, SLACK_ANNOUNCE, [f"slack:{n}" for n in range(4)])
    with world.db.transaction() as s:
        limited = s.get(Outbox, ids[3])
        assert limited is not None
        limited.payload = {**limited.payload, "limited": True}
    worker = make_worker(world, {SLACK_ANNOUNCE: handler}, clock,
                         backoff=Backoff(base=30, cap=600))
    assert worker.run_once() == 4
    for row in rows(world):
        assert row.next_attempt_at >= clock.now + timedelta(seconds=15)
        assert row.backing_off == (row.id != ids[3])
    assert worker.run_once() == 0  # nothing due: everything waits
    handler.down = False
    queue(world, SLACK_ANNOUNCE, ["slack:new"])  # a new effect finds Slack answering
    assert worker.run_once() == 1
    before = len(handler.seen)
    assert worker.run_once() == 3  # the backlog, at once, without any clock moving
    assert sorted(handler.seen[before:]) == ids[:3]
    by_id = {r.id: r for r in rows(world)}
    assert all(by_id[i].status == "done" and not by_id[i].backing_off for i in ids[:3])
    # The rate-limited one keeps the wait Slack asked for.
    assert by_id[ids[3]].status == "pending" and not by_id[ids[3]].backing_off
    assert by_id[ids[3]].next_attempt_at > clock.now


def test_a_failing_integration_is_probed_with_its_oldest_effect(world: World) -> None:
    clock = Clock()
    handler = Flaky()
    ids = queue(world, SLACK_ANNOUNCE, [f"slack:{n}" for n in range(3)])
    worker = make_worker(world, {SLACK_ANNOUNCE: handler}, clock,
                         backoff=Backoff(base=300, cap=600), probe=2.0)
    assert worker.run_once() == 3
    assert worker.run_once() == 0
    clock.advance(2)
    handler.down = False
    assert worker.run_once() == 1 and handler.seen[-1] == ids[0]  # the probe answers...
    assert worker.run_once() == 2  # ...so the rest are due now, not in five minutes
    assert all(r.status == "done" for r in rows(world))


@pytest.mark.timeout(60)
def test_a_claim_is_kept_while_its_handler_outlasts_the_lease(world: World) -> None:
    """A slow delivery keeps its claim: another replica never delivers the same effect at
    the same time (a second SMS cannot be taken back); a dead worker's claim still expires."""
    release = threading.Event()
    seen: list[int] = []

    def slow(effect: Effect) -> str:
        seen.append(effect.id)
        release.wait(20)
        return "ok"

    [effect_id] = queue(world, TWILIO_PAGE, ["twilio:1"])
    first = OutboxWorker(world.db, {TWILIO_PAGE: slow}, lease=0.6, poll=0.05, threads=2)
    other = OutboxWorker(world.db, {TWILIO_PAGE: slow}, lease=0.6, poll=0.05)
    first.start()
    try:
        assert wait_for(lambda: seen == [effect_id], 20)
        taken = []
        until = time.monotonic() + 2.0  # over three leases
        while time.monotonic() < until:
            taken += other.claim(10)
            time.sleep(0.05)
        assert taken == []
        release.set()
        assert wait_for(lambda: done(world) == 1, 20)
    finally:
        release.set()
        first.stop()
    assert seen == [effect_id]
    # Nothing renews a claim nobody holds: one taken and abandoned expires after the lease.
    [abandoned] = queue(world, TWILIO_PAGE, ["twilio:2"])
    assert [e.id for e in other.claim(10)] == [abandoned]
    time.sleep(0.7)
    assert [e.id for e in first.claim(10)] == [abandoned]


def test_a_held_kind_waits_in_its_lane_and_nothing_else_does(world: World) -> None:
    clock, held = Clock(), [frozenset({SLACK_SETUP_CHANNEL})]
    handlers = {kind: Scripted() for kind in (SLACK_CREATE_CHANNEL, SLACK_SETUP_CHANNEL,
                                              SLACK_ANNOUNCE, PAGERDUTY_TRIGGER)}
    worker = make_worker(world, handlers, clock, hold=lambda: held[0])
    incident = incidents.declare(world.db, world.actor(), title="x", severity="p1")
    incidents.transition(world.db, world.actor(), incident.number, Move.INVESTIGATE)
    while worker.run_once():
        pass
    status = {r.kind: r.status for r in rows(world)}
    assert status[SLACK_CREATE_CHANNEL] == status[PAGERDUTY_TRIGGER] == "done"
    # the setup waits, and the announcement behind it in Slack's lane for this incident
    assert status[SLACK_SETUP_CHANNEL] == status[SLACK_ANNOUNCE] == "pending"
    held[0] = frozenset()
    worker.drain()
    assert {r.kind: r.status for r in rows(world)}[SLACK_ANNOUNCE] == "done"
    assert [e.kind for e in handlers[SLACK_SETUP_CHANNEL].seen] == [SLACK_SETUP_CHANNEL]


def test_a_setup_is_claimed_after_the_channels_still_to_be_made(world: World) -> None:
    clock = Clock()
    worker = make_worker(world, {SLACK_CREATE_CHANNEL: Scripted(),
                                 SLACK_SETUP_CHANNEL: Scripted()}, clock)
    first = incidents.declare(world.db, world.actor(), title="first")
    second = incidents.declare(world.db, world.actor(), title="second")
    [create] = worker.claim(limit=1)
    assert (create.kind, create.incident_id) == (SLACK_CREATE_CHANNEL, first.id)
    assert worker.deliver(create) == "done"
    # The first incident's setup is older than the second's creation, but goes after it.
    [head] = worker.claim(limit=1)
    assert (head.kind, head.incident_id) == (SLACK_CREATE_CHANNEL, second.id)
    [setup] = worker.claim(limit=1)
    assert (setup.kind, setup.incident_id) == (SLACK_SETUP_CHANNEL, first.id)
