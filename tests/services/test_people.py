"""Responders, timeline editing, action items, workspaces and tokens."""

import pytest
from sqlmodel import select

from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.permissions import ResponderRole, Role
from services import action_items, incidents, queries, responders, timeline, workspaces
from store.models import Incident, IncidentResponder, Outbox
from tests.conftest import World


def roles(world: World) -> dict[str, str]:
    detail = queries.get_detail(world.db, world.ws_id, 1)
    return {r.name: r.role for r in detail.responders}


def commanders_consistent(world: World) -> None:
    """Exactly one commander row, and it is Incident.commander_id."""
    with world.db.read() as s:
        incident = s.exec(select(Incident)).one()
        rows = s.exec(select(IncidentResponder).where(
            IncidentResponder.role == "commander")).all()
    assert [r.member_id for r in rows] == [incident.commander_id]


@pytest.fixture
def declared(world: World) -> World:
    incidents.declare(world.db, world.actor(), title="Checkout is down")
    return world


def test_add_responder_invites_and_refuses_duplicates(declared: World) -> None:
    w = declared
    eng0 = w.members_extra[0]
    responders.add_responder(w.db, w.actor(), 1, eng0.id or 0, ResponderRole.OBSERVER)
    assert roles(w)["Eng 0"] == "observer"
    with pytest.raises(InvalidInput, match="already on this incident as observer"):
        responders.add_responder(w.db, w.actor(), 1, eng0.id or 0)
    with w.db.read() as s:
        invites = s.exec(select(Outbox).where(Outbox.kind == "slack.invite")).all()
    assert [i.payload["member_ids"] for i in invites] == [[eng0.id]]


def test_add_many_skips_those_already_there(declared: World) -> None:
    w = declared
    ids = [m.id or 0 for m in w.members_extra] + [w.members[Role.ENGINEER].id or 0]
    added = responders.add_responders(w.db, w.actor(), 1, ids)
    assert len(added) == 3 and len(roles(w)) == 4


def test_only_commander_or_admin_manage_responders(declared: World) -> None:
    w = declared
    eng0, eng1 = w.members_extra[0], w.members_extra[1]
    responders.add_responders(w.db, w.actor(), 1, [eng0.id or 0, eng1.id or 0])
    with pytest.raises(PermissionDenied, match="commander or a workspace admin"):
        responders.remove_responder(w.db, w.actor_for(0), 1, eng1.id or 0)
    with pytest.raises(PermissionDenied):
        responders.promote(w.db, w.actor_for(0), 1, eng0.id or 0)
    responders.demote(w.db, w.actor(Role.ADMIN), 1, eng1.id or 0)
    responders.remove_responder(w.db, w.actor(), 1, eng1.id or 0)  # the commander may
    assert "Eng 1" not in roles(w)


def test_promote_keeps_exactly_one_commander(declared: World) -> None:
    w = declared
    eng0 = w.members_extra[0]
    incident = responders.promote(w.db, w.actor(), 1, eng0.id or 0)  # not yet on it: joins
    assert incident.commander_id == eng0.id
    assert roles(w) == {"Engineer": "responder", "Eng 0": "commander"}
    commanders_consistent(w)
    # the new commander may now manage; the old one may not
    with pytest.raises(PermissionDenied):
        responders.promote(w.db, w.actor(), 1, w.members[Role.ENGINEER].id or 0)
    responders.promote(w.db, w.actor_for(0), 1, w.members[Role.ENGINEER].id or 0)
    commanders_consistent(w)


def test_commander_cannot_be_removed_or_demoted(declared: World) -> None:
    w = declared
    me = w.members[Role.ENGINEER].id or 0
    with pytest.raises(InvalidInput, match="is the commander. Promote someone else"):
        responders.remove_responder(w.db, w.actor(), 1, me)
    with pytest.raises(InvalidInput, match="is the commander"):
        responders.demote(w.db, w.actor(), 1, me)
    commanders_consistent(w)


def test_unknown_or_foreign_member_is_not_found(declared: World) -> None:
    w = declared
    other = workspaces.create_workspace(w.db, "globex")
    stranger = workspaces.add_member(w.db, other.id or 0, "UGLOBEX1", "Stranger")
    for member_id in (stranger.id or 0, 424242):
        with pytest.raises(NotFound, match="not a member of this workspace"):
            responders.add_responder(w.db, w.actor(), 1, member_id)


def test_timeline_entries_edit_and_soft_delete(declared: World) -> None:
    w = declared
    event = timeline.append_entry(w.db, w.actor(), 1, "Rolled back cart-svc")
    assert event is not None and event.editable
    edited = timeline.edit_entry(w.db, w.actor_for(0), 1, event.id or 0, "Rolled back cart-svc v42")
    assert edited.text == "Rolled back cart-svc v42"
    assert edited.payload["previous_texts"][0]["text"] == "Rolled back cart-svc"
    timeline.delete_entry(w.db, w.actor(), 1, event.id or 0)
    detail = queries.get_detail(w.db, w.ws_id, 1)
    assert [e.label for e in detail.timeline] == ["created"]
    full = queries.get_detail(w.db, w.ws_id, 1, include_deleted=True)
    assert full.timeline[-1].deleted_at is not None
    with pytest.raises(NotFound):
        timeline.edit_entry(w.db, w.actor(), 1, event.id or 0, "again")


def test_recorded_changes_are_not_editable(declared: World) -> None:
    w = declared
    created = queries.get_detail(w.db, w.ws_id, 1).timeline[0]
    with pytest.raises(InvalidInput, match="audit trail"):
        timeline.edit_entry(w.db, w.actor(), 1, created.id or 0, "rewrite history")


def test_dedupe_key_adds_nothing_the_second_time(declared: World) -> None:
    w = declared
    assert timeline.append_entry(w.db, w.actor(), 1, "hello", dedupe_key="slack:C1:1.0")
    assert timeline.append_entry(w.db, w.actor(), 1, "hello", dedupe_key="slack:C1:1.0") is None
    assert queries.get_detail(w.db, w.ws_id, 1).timeline_total == 2


def test_viewer_cannot_post(declared: World) -> None:
    w = declared
    with pytest.raises(PermissionDenied):
        timeline.append_entry(w.db, w.actor(Role.VIEWER), 1, "hi")
    with pytest.raises(InvalidInput, match="empty"):
        timeline.append_entry(w.db, w.actor(), 1, "   ")


def test_action_items(declared: World) -> None:
    w = declared
    item = action_items.add_action_item(w.db, w.actor(), 1, "Add a canary stage",
                                        owner_id=w.members_extra[2].id)
    action_items.complete_action_item(w.db, w.actor_for(2), 1, item.id or 0)
    with pytest.raises(InvalidInput, match="already done"):
        action_items.complete_action_item(w.db, w.actor(), 1, item.id or 0)
    detail = queries.get_detail(w.db, w.ws_id, 1)
    assert detail.action_items[0].done_at is not None
    assert detail.owners == {w.members_extra[2].id: "Eng 2"}
    assert [e.label for e in detail.timeline][-2:] == ["action_item_added",
                                                      "action_item_completed"]


def test_root_cause(declared: World) -> None:
    w = declared
    incidents.set_root_cause(w.db, w.actor(), 1, "Expired TLS certificate")
    detail = queries.get_detail(w.db, w.ws_id, 1)
    assert detail.incident.root_cause == "Expired TLS certificate"
    assert detail.timeline[-1].label == "root_cause_set"


def test_workspaces_members_tokens(world: World) -> None:
    with pytest.raises(Conflict):
        workspaces.create_workspace(world.db, "acme")
    with pytest.raises(InvalidInput, match="not a valid workspace slug"):
        workspaces.create_workspace(world.db, "Bad Slug!")
    with pytest.raises(Conflict):
        workspaces.add_member(world.db, world.ws_id, "UENGINEER", "Dup")
    with pytest.raises(InvalidInput, match="not a Slack user id"):
        workspaces.add_member(world.db, world.ws_id, "bob", "Bob")
    row, token = workspaces.create_token(world.db, world.ws_id, "datadog")
    assert token.startswith("vgl_") and row.token_hash != token and len(token) > 40
    assert workspaces.verify_token(world.db, token).id == row.id  # type: ignore[union-attr]
    assert workspaces.verify_token(world.db, token + "x") is None
    workspaces.revoke_token(world.db, world.ws_id, "datadog")
    assert workspaces.verify_token(world.db, token) is None


def test_settings_need_admin(world: World) -> None:
    with pytest.raises(PermissionDenied):
        workspaces.set_setting(world.db, world.actor(), "auto_archive", "off")
    settings = workspaces.set_setting(world.db, world.actor(Role.ADMIN), "auto_archive", "off")
    assert settings.auto_archive is False
    assert workspaces.get_workspace(world.db, "acme").settings["auto_archive"] is False
