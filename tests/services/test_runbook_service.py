import pytest

from core import runbooks as rules
from core.errors import InvalidInput, NotFound, PermissionDenied
from core.permissions import Role
from services import incidents, runbooks, workspaces
from services.actor import Actor
from tests.conftest import World


def test_add_match_list_remove(world: World) -> None:
    actor = world.actor()
    db_book = runbooks.add(world.db, actor, title="Database failover",
                           tags="postgres, DB", link="https://wiki/db", excerpt="Promote.")
    runbooks.add(world.db, actor, title="Search reindex", tags=["search"])
    incident = incidents.declare(world.db, actor, title="Databases unreachable!",
                                 services=["payments"])
    [(found, row)] = runbooks.for_incident(world.db, world.ws_id, incident.number)
    assert row.id == db_book.id and found.matched == ("databases",)
    assert [r.title for r in runbooks.list_runbooks(world.db, world.ws_id)] == [
        "Database failover", "Search reindex"]
    other = workspaces.create_workspace(world.db, "other")
    with pytest.raises(NotFound):
        runbooks.remove(world.db, Actor(other.id or 0, None, "op", Role.OWNER, "cli"),
                        db_book.id or 0)
    runbooks.remove(world.db, actor, db_book.id or 0)
    assert runbooks.for_incident(world.db, world.ws_id, incident.number) == []


def test_bad_runbooks_are_refused(world: World) -> None:
    with pytest.raises(InvalidInput):
        runbooks.add(world.db, world.actor(), title="")
    with pytest.raises(InvalidInput) as error:
        runbooks.add(world.db, world.actor(), title="x", link="ftp://x")
    assert error.value.field == "link"
    with pytest.raises(PermissionDenied):
        runbooks.add(world.db, world.actor(Role.VIEWER), title="x")


def test_the_database_preselects_the_runbooks_core_would_rank_best(world: World) -> None:
    words = ["checkout", "payments", "db", "cache", "latency", "errors", "edge", "auth"]
    added = []
    for n in range(24):
        title = " ".join(words[(n + k) % len(words)] for k in range(1 + n % 3)) + f" {n}"
        tags = [words[(n * 3) % len(words)]] if n % 2 else []
        added.append(runbooks.add(world.db, world.actor(), title=title, tags=tags))
    wanted = rules.incident_terms("Checkout latency", ["cache", "db"], "errors")
    expected = rules.match(wanted, [rules.Candidate(r.id or 0, r.title,
                                                    rules.terms_of(r.title, r.tags))
                                    for r in added], limit=3)
    found = runbooks.for_text(world.db, world.ws_id, "Checkout latency", ["cache", "db"],
                              "errors", limit=3)
    assert [(m.id, m.score) for m, _ in found] == [(m.id, m.score) for m in expected]
