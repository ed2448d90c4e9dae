"""Many things at the same moment: keys, dedupe and outbox delivery stay exact.

Each test releases its threads together on a barrier so the work really overlaps, and
runs on SQLite and on PostgreSQL (the `db` fixture's pool holds 25 connections).
"""

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import col, select

from core.effects import SLACK_ANNOUNCE
from core.errors import NotFound
from core.keys import format_key
from core.permissions import Role
from integrations.outbox import Effect, OutboxWorker
from services import incidents, timeline, workspaces
from services.actor import Actor
from store.db import Database
from store.models import Incident, IntegrationLog, Outbox, TimelineEvent, Workspace
from tests.conftest import World

THREADS = 20


def together(threads: int, work: Callable[[int], Any]) -> list[Any]:
    """Run work(i) on `threads` threads released at once; results by i, errors re-raised."""
    results: list[Any] = [None] * threads
    errors: list[BaseException] = []
    gate = threading.Barrier(threads)

    def body(i: int) -> None:
        gate.wait()
        try:
            results[i] = work(i)
        except BaseException as error:  # surfaced below, not lost in the thread
            errors.append(error)

    pool = [threading.Thread(target=body, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=60)
    if errors:
        raise errors[0]
    return results


def stored_numbers(db: Database, workspace_id: int) -> list[int]:
    with db.read() as session:
        return sorted(session.exec(select(col(Incident.number)).where(
            Incident.workspace_id == workspace_id)).all())


def counter(db: Database, workspace_id: int) -> int:
    with db.read() as session:
        workspace = session.get(Workspace, workspace_id)
        assert workspace is not None
        return workspace.last_incident_number


def declarers(world: World) -> list[Actor]:
    return [world.actor(Role.ENGINEER), world.actor(Role.ADMIN), world.actor(Role.OWNER),
            *(world.actor_for(i) for i in range(3))]


def test_200_concurrent_declarations_get_200_consecutive_keys(world: World) -> None:
    actors = declarers(world)
    per_thread = 200 // THREADS

    def declare_some(i: int) -> list[str]:
        actor = actors[i % len(actors)]
        return [format_key(incidents.declare(world.db, actor, title=f"Storm {i}.{j}").number)
                for j in range(per_thread)]

    keys = [key for batch in together(THREADS, declare_some) for key in batch]
    assert sorted(keys) == [format_key(n) for n in range(1, 201)]  # distinct, no gap
    assert stored_numbers(world.db, world.ws_id) == list(range(1, 201))
    assert counter(world.db, world.ws_id) == 200


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    """The SQL the engine sends while inside the block."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        seen.append(" ".join(sql.split()).lower())

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


TAKE_NUMBER = "update workspace set last_incident_number"


class LostAfterNumber(Exception):
    """The injected failure: the connection went away right after the number was taken."""


@contextmanager
def failing_after_number(db: Database, when: Callable[[], bool] = lambda: True
                         ) -> Iterator[list[str]]:
    """What comes after a declaration takes its number fails, when `when()` (asked in the
    declaring thread) says so; yields the SQL sent meanwhile.

    On PostgreSQL the number and the COMMIT are one round trip, so nothing the client does
    can come between them: there the server refuses the commit of every incident titled
    "Doomed" (a deferred trigger, run at COMMIT, after the number was taken)."""
    if not db.sqlite:
        with refused_at_commit(db):
            yield []
        return
    seen: list[str] = []
    doomed = threading.local()

    def fail_if_doomed(*_args: Any) -> None:
        if getattr(doomed, "next", False):
            doomed.next = False
            raise LostAfterNumber("lost after the UPDATE")

    def before(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        seen.append(" ".join(sql.split()).lower())
        fail_if_doomed()
        if TAKE_NUMBER in seen[-1]:
            doomed.next = when()

    event.listen(db.engine, "before_cursor_execute", before)
    event.listen(db.engine, "commit", fail_if_doomed)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
        event.remove(db.engine, "commit", fail_if_doomed)


@contextmanager
def refused_at_commit(db: Database) -> Iterator[None]:
    create = """
    CREATE FUNCTION doomed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'doomed at commit'; END $$;
    CREATE CONSTRAINT TRIGGER doomed AFTER INSERT ON incident DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (NEW.title = 'Doomed') EXECUTE FUNCTION doomed()"""
    with db.engine.begin() as connection:
        connection.exec_driver_sql(create)
    try:
        yield
    finally:
        with db.engine.begin() as connection:
            connection.exec_driver_sql("DROP TRIGGER doomed ON incident; DROP FUNCTION doomed()")


def lost_after_number(db: Database) -> type[Exception]:
    return LostAfterNumber if db.sqlite else DBAPIError


def test_a_declaration_failing_after_taking_its_number_gives_it_back(world: World) -> None:
    actor = world.actor()
    assert incidents.declare(world.db, actor, title="First").number == 1
    with failing_after_number(world.db) as sent, pytest.raises(
            lost_after_number(world.db), match="lost after the UPDATE|doomed at commit"):
        incidents.declare(world.db, actor, title="Doomed")
    if world.db.sqlite:
        assert any(TAKE_NUMBER in s for s in sent)
    assert counter(world.db, world.ws_id) == 1

    # A member deleted after the request was authenticated: the INSERT fails on
    # created_by's foreign key, before any number is taken.
    stale = Actor(world.ws_id, 987654, "Gone", Role.ENGINEER, "slack")
    commander = world.members[Role.ENGINEER].id
    with statements(world.db) as sent, pytest.raises(IntegrityError):
        incidents.declare(world.db, stale, title="Doomed", commander_id=commander)
    assert not any(TAKE_NUMBER in s for s in sent)

    # A commander from another workspace is refused before a number is taken.
    other = workspaces.create_workspace(world.db, "globex", "Globex")
    outsider = workspaces.add_member(world.db, other.id or 0, "UOUTSIDER", "Outsider")
    with pytest.raises(NotFound):
        incidents.declare(world.db, actor, title="Also doomed", commander_id=outsider.id)

    assert incidents.declare(world.db, actor, title="Second").number == 2
    assert stored_numbers(world.db, world.ws_id) == [1, 2]
    with world.db.read() as session:  # no placeholder survives: every key is a real one
        texts = session.exec(select(TimelineEvent.text)).all()
    assert [t for t in texts if "declared" in t] == [
        "Engineer declared INC-0001 (p3, medium): First",
        "Engineer declared INC-0002 (p3, medium): Second"]


def test_failures_among_concurrent_declarations_leave_no_gap(world: World) -> None:
    actor = world.actor()
    doomed = threading.local()

    def attempt(i: int) -> int:
        succeeded = 0
        for j in range(2):
            doomed.now = (i + j) % 4 == 0  # every fourth rolls back after taking its number
            if doomed.now:
                with pytest.raises(lost_after_number(world.db)):
                    incidents.declare(world.db, actor, title="Doomed")
            else:
                incidents.declare(world.db, actor, title=f"Ok {i}.{j}")
                succeeded += 1
        return succeeded

    with failing_after_number(world.db, lambda: getattr(doomed, "now", False)) as sent:
        succeeded = sum(together(THREADS, attempt))
    if world.db.sqlite:  # PostgreSQL's numbers go out with their COMMIT, unseen here
        assert sum(1 for s in sent if TAKE_NUMBER in s) == 2 * THREADS
    assert succeeded == 30
    assert stored_numbers(world.db, world.ws_id) == list(range(1, succeeded + 1))
    assert counter(world.db, world.ws_id) == succeeded


def test_one_event_for_a_dedupe_key_sent_by_20_threads_at_once(world: World) -> None:
    incident = incidents.declare(world.db, world.actor(), title="Redeliveries")
    actors = declarers(world)

    def append(i: int) -> TimelineEvent | None:
        return timeline.append_entry(world.db, actors[i % len(actors)], incident.number,
                                     "deploy rolled back", source="slack",
                                     dedupe_key="slack:C123:1700000000.000100")

    results = together(THREADS, append)
    winners = [r for r in results if r is not None]
    assert len(winners) == 1
    with world.db.read() as session:
        rows = session.exec(select(TimelineEvent).where(
            TimelineEvent.incident_id == incident.id,
            TimelineEvent.dedupe_key == "slack:C123:1700000000.000100")).all()
    assert [row.id for row in rows] == [winners[0].id]
    assert rows[0].text == "deploy rolled back" and rows[0].editable
    # The winner is usable after its transaction, like any returned row.
    assert winners[0].incident_id == incident.id and winners[0].at is not None


class CountingHandler:
    """A hand-written fake Slack handler: records each delivery, in delivery order."""

    def __init__(self, everyone: list[tuple[int, str]]) -> None:
        self.everyone = everyone  # shared by both workers' handlers; list.append is atomic
        self.mine: list[int] = []

    def __call__(self, effect: Effect) -> str:
        time.sleep(0.001)  # long enough that the two workers' batches overlap
        self.mine.append(effect.id)
        self.everyone.append((effect.id, effect.payload["lane"]))
        return "ok"


def test_two_workers_deliver_each_of_200_effects_exactly_once(world: World) -> None:
    with world.db.transaction() as session:
        for n in range(200):
            lane = f"slack:{n % 50}"  # in-lane order must hold across the two workers
            session.add(Outbox(workspace_id=world.ws_id, kind=SLACK_ANNOUNCE,
                               idempotency_key=f"load:{n}", lane=lane,
                               payload={"n": n, "lane": lane}))
    calls: list[tuple[int, str]] = []
    handlers = [CountingHandler(calls), CountingHandler(calls)]
    # Two replicas, each running the real background loop against the same table.
    workers = [OutboxWorker(world.db, {SLACK_ANNOUNCE: handler}, poll=0.01)
               for handler in handlers]
    for worker in workers:
        worker.start()
    try:
        deadline = time.monotonic() + 30
        while len(calls) < 200 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        for worker in workers:
            worker.stop()

    with world.db.read() as session:
        rows = session.exec(select(Outbox)).all()
        logs = session.exec(select(IntegrationLog)).all()
    assert sorted(effect_id for effect_id, _ in calls) == sorted(r.id or 0 for r in rows)
    assert all(row.status == "done" and row.attempts == 1 for row in rows)
    assert len(logs) == 200 and all(log.ok for log in logs)
    assert all(h.mine for h in handlers), "one worker did everything: nothing overlapped"
    for lane in {row.lane for row in rows}:
        in_lane = [effect_id for effect_id, seen in calls if seen == lane]
        assert in_lane == sorted(in_lane), f"lane {lane} delivered out of order"


@pytest.mark.parametrize("last", [0, 41, 9998])
def test_the_declared_entry_spells_the_key_as_format_key_does(world: World, last: int) -> None:
    """PostgreSQL writes the key into the timeline inside the statement that takes it."""
    with world.db.transaction() as session:
        workspace = session.get(Workspace, world.ws_id)
        assert workspace is not None
        workspace.last_incident_number = last
    made = [incidents.declare(world.db, world.actor(), title=f"T{n}") for n in range(3)]
    assert [i.number for i in made] == [last + 1, last + 2, last + 3]
    with world.db.read() as session:
        texts = session.exec(select(TimelineEvent.text).order_by(col(TimelineEvent.id))).all()
        numbers = session.exec(select(Incident.number).order_by(col(Incident.id))).all()
    assert list(numbers) == [last + 1, last + 2, last + 3]
    assert [t.split(" declared ")[1].split(" ")[0] for t in texts] == [
        format_key(last + n) for n in (1, 2, 3)]
