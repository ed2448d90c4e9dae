"""Changes (CHG-NNNN), Suggest cause and the incident ↔ change link, on both databases."""

from datetime import timedelta

import pytest

from core.errors import InvalidInput, NotFound, PermissionDenied
from core.permissions import Role
from services import cause, change_requests, incidents
from services.change_requests import clean_change
from store.types import utcnow
from tests.conftest import World


def test_keys_count_per_workspace_and_idempotency_key_replays(world: World) -> None:
    actor = world.actor()
    first, replay = change_requests.create(world.db, actor, clean_change("Deploy api 1.2",
                                                                          assets="api, db"),
                                           idempotency_key="ci-1")
    again, replayed = change_requests.create(world.db, actor, clean_change("other title"),
                                             idempotency_key="ci-1")
    second, _ = change_requests.create(world.db, actor, clean_change("Flip flag"))
    assert (first.number, replay, again.id, replayed, second.number) == (1, False, first.id,
                                                                         True, 2)
    assert first.affected_assets == ["api", "db"] and first.author == actor.name
    assert [c.number for c in change_requests.recent(world.db, world.ws_id)] == [2, 1]
    assert [c.number for c in change_requests.recent(world.db, world.ws_id,
                                                     search="flag")] == [2]
    assert [c.number for c in change_requests.recent(world.db, world.ws_id,
                                                     search="chg-1")] == [1]
    assert change_requests.recent(world.db, world.ws_id, search="100%_") == []


@pytest.mark.parametrize(("fields", "field"), [
    ({"title": " "}, "title"), ({"title": "x" * 301}, "title"),
    ({"title": "t", "link": "javascript:alert(1)"}, "link"),
    ({"title": "t", "started_at": utcnow() + timedelta(hours=1)}, "started_at"),
    ({"title": "t", "started_at": utcnow(), "finished_at": utcnow() - timedelta(hours=1)},
     "finished_at"),
    ({"title": "t", "assets": ["a" * 101]}, "assets"),
])
def test_bad_input_names_the_field(fields: dict, field: str) -> None:
    with pytest.raises(InvalidInput) as error:
        clean_change(**fields)
    assert error.value.field == field


def test_viewers_cannot_record_changes(world: World) -> None:
    with pytest.raises(PermissionDenied):
        change_requests.create(world.db, world.actor(Role.VIEWER), clean_change("x"))


def test_suggest_link_unlink_and_related_incidents(world: World) -> None:
    actor = world.actor()
    now = utcnow()
    for title, assets, hours in (("Deploy checkout", "checkout", 2), ("Deploy both",
                                 "checkout,payments", 5), ("Old deploy", "checkout", 30),
                                 ("Search", "search", 1)):
        change_requests.create(world.db, actor, clean_change(
            title, assets=assets, started_at=now - timedelta(hours=hours)))
    incident = incidents.declare(world.db, actor, title="Checkout errors",
                                 services=["Checkout", "payments"], detected_at=now)
    view = cause.suggest(world.db, world.ws_id, incident.number)
    assert [cause.CauseView.change_key(s) for s in view.suggestions] == ["CHG-0002",
                                                                           "CHG-0001"]
    assert "every affected service" in view.suggestions[0].why
    change_requests.link(world.db, actor, incident.number, "CHG-2")
    change_requests.link(world.db, actor, incident.number, "CHG-2")  # twice: no-op
    page = change_requests.get_change(world.db, world.ws_id, "chg-0002")
    assert [r.key for r in page.related] == ["INC-0001"]
    assert cause.suggest(world.db, world.ws_id, incident.number).linked == "CHG-0002"
    _, key = change_requests.unlink(world.db, actor, incident.number)
    assert key == "CHG-0002"
    with pytest.raises(InvalidInput):
        change_requests.unlink(world.db, actor, incident.number)
    assert change_requests.get_change(world.db, world.ws_id, "CHG-2").related == ()
    with pytest.raises(NotFound):
        change_requests.link(world.db, actor, incident.number, "CHG-99")
