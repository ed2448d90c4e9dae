"""Declaring and transitioning, on SQLite and PostgreSQL."""

from datetime import timedelta

import pytest
from sqlmodel import col, select

from core.errors import IllegalTransition, InvalidInput, NotFound, PermissionDenied
from core.fsm import Move, Status
from core.permissions import Role
from services import incidents, queries, workspaces
from services.actor import Actor
from store.models import AuditLog, Outbox, Postmortem
from store.types import utcnow
from tests.conftest import World


def kinds(world: World) -> list[str]:
    with world.db.read() as s:
        return [o.kind for o in s.exec(select(Outbox).order_by(col(Outbox.id)))]


def test_declare_defaults_and_side_effects(world: World) -> None:
    actor = world.actor()
    incident = incidents.declare(world.db, actor, title="Checkout is down", severity="p1",
                                 services="checkout, payments")
    detail = queries.get_detail(world.db, world.ws_id, "INC-0001")
    assert detail.key == "INC-0001" and incident.status == "open"
    assert detail.incident.severity == "p1" and detail.incident.services == ["checkout", "payments"]
    assert detail.commander == actor.name
    assert [(r.name, r.role) for r in detail.responders] == [(actor.name, "commander")]
    assert [e.label for e in detail.timeline] == ["created"]
    assert "declared INC-0001 (p1, critical)" in detail.timeline[0].text
    # p1: channel, page and status page recorded in the same transaction
    assert kinds(world) == ["slack.create_channel", "slack.setup_channel", "pagerduty.trigger",
                            "twilio.page_oncall", "statuspage.publish"]


def test_no_placeholder_number_is_stored_anywhere(world: World) -> None:
    """declare writes everything before it takes the number (services/incidents.py): what it
    wrote first must not carry the stand-in (negative) number it had until then."""
    incident = incidents.declare(world.db, world.actor(), title="Checkout is down",
                                 severity="p1")
    assert incident.number == 1

    def numbers(value: object) -> list[int]:
        if isinstance(value, dict):
            return [n for v in value.values() for n in numbers(v)]
        if isinstance(value, list):
            return [n for v in value for n in numbers(v)]
        return [value] if isinstance(value, int) and not isinstance(value, bool) else []

    with world.db.read() as session:
        stored = ([row.payload for row in session.exec(select(Outbox))]
                  + [row.detail for row in session.exec(select(AuditLog))])
    assert len(stored) == 6  # five effects and the audit row
    assert all(n >= 0 for value in stored for n in numbers(value))


def test_declare_p3_does_not_page(world: World) -> None:
    incidents.declare(world.db, world.actor(), title="Slow search")
    assert kinds(world) == ["slack.create_channel", "slack.setup_channel"]


def test_commander_can_be_someone_else(world: World) -> None:
    other = world.members_extra[0]
    incidents.declare(world.db, world.actor(), title="x", commander_id=other.id)
    detail = queries.get_detail(world.db, world.ws_id, 1)
    assert detail.commander == other.display_name
    assert sorted(r.role for r in detail.responders) == ["commander", "responder"]


@pytest.mark.parametrize("kwargs,field", [
    ({"title": ""}, "title"), ({"title": "x" * 201}, "title"),
    ({"title": "ok", "severity": "p7"}, "severity"),
    ({"title": "ok", "detected_at": utcnow() + timedelta(hours=1)}, "detected_at"),
    ({"title": "ok", "commander_id": 99999}, "member"),
])
def test_bad_declarations_change_nothing(world: World, kwargs: dict, field: str) -> None:
    with pytest.raises((InvalidInput, NotFound)) as error:
        incidents.declare(world.db, world.actor(), **kwargs)
    assert error.value.field == field
    assert queries.list_incidents(world.db, world.ws_id) == []
    with world.db.read() as s:
        assert s.exec(select(Outbox)).first() is None


def test_viewer_cannot_declare_or_transition(world: World) -> None:
    with pytest.raises(PermissionDenied):
        incidents.declare(world.db, world.actor(Role.VIEWER), title="nope")
    incidents.declare(world.db, world.actor(), title="real")
    with pytest.raises(PermissionDenied):
        incidents.transition(world.db, world.actor(Role.VIEWER), 1, Move.INVESTIGATE)
    assert queries.get_detail(world.db, world.ws_id, 1).incident.status == "open"


def test_full_lifecycle_stamps_and_effects(world: World) -> None:
    actor = world.actor()
    incidents.declare(world.db, actor, title="Checkout is down", severity="p2")
    for move in (Move.INVESTIGATE, Move.MITIGATE):
        incidents.transition(world.db, actor, "inc-1", move)
    incident = incidents.transition(world.db, actor, "INC-0001", Move.RESOLVE,
                                    root_cause="Bad deploy of cart-svc")
    assert incident.status == "resolved" and incident.root_cause == "Bad deploy of cart-svc"
    assert incident.investigating_at and incident.mitigated_at and incident.resolved_at
    assert incident.investigating_at <= incident.mitigated_at <= incident.resolved_at
    assert {"slack.archive", "pagerduty.resolve", "statuspage.resolve"} <= set(kinds(world))
    incidents.transition(world.db, actor, 1, Move.OPEN_POST_MORTEM)
    detail = queries.get_detail(world.db, world.ws_id, 1)
    assert detail.incident.status == "post_mortem"
    assert detail.postmortem is not None
    labels = [e["label"] for e in detail.postmortem.timeline]
    assert labels[0] == "created" and labels.count("status_changed") == 4
    with world.db.read() as s:
        actions = [a.action for a in s.exec(select(AuditLog).order_by(col(AuditLog.id)))]
    assert actions == ["incident.declared", "incident.investigate", "incident.mitigate",
                       "incident.resolve", "incident.open_post_mortem", "postmortem.opened"]


def test_illegal_transition_names_status_and_allowed_moves(world: World) -> None:
    incidents.declare(world.db, world.actor(), title="x")
    with pytest.raises(IllegalTransition, match="incident is open. Allowed from open: investigate"):
        incidents.transition(world.db, world.actor(), 1, Move.RESOLVE)
    detail = queries.get_detail(world.db, world.ws_id, 1)
    assert detail.incident.status == "open" and detail.incident.resolved_at is None


def test_reopen_clears_resolution(world: World) -> None:
    actor = world.actor()
    incidents.declare(world.db, actor, title="x")
    incidents.transition(world.db, actor, 1, Move.INVESTIGATE)
    incidents.transition(world.db, actor, 1, Move.RESOLVE)
    incident = incidents.transition(world.db, actor, 1, Move.REOPEN)
    assert incident.status == "investigating" and incident.resolved_at is None
    assert incident.reopened_at is not None


def test_force_needs_admin_and_reason(world: World) -> None:
    incidents.declare(world.db, world.actor(), title="x")
    with pytest.raises(PermissionDenied):
        incidents.force_status(world.db, world.actor(), 1, Status.RESOLVED, "done")
    with pytest.raises(InvalidInput, match="reason is empty"):
        incidents.force_status(world.db, world.actor(Role.ADMIN), 1, Status.RESOLVED, " ")
    incident = incidents.force_status(world.db, world.actor(Role.ADMIN), 1, Status.RESOLVED,
                                      "duplicate of INC-0002")
    assert incident.status == "resolved" and incident.resolved_at is not None
    with world.db.read() as s:
        forced = s.exec(select(AuditLog).where(AuditLog.action == "incident.forced")).one()
    assert forced.detail["reason"] == "duplicate of INC-0002"


def test_severity_escalation_pages_once(world: World) -> None:
    actor = world.actor()
    incidents.declare(world.db, actor, title="x", severity="p4")
    incidents.change_severity(world.db, actor, 1, "p1")
    incidents.change_severity(world.db, actor, 1, "p2")
    assert kinds(world).count("twilio.page_oncall") == 1
    with pytest.raises(InvalidInput, match="already p2"):
        incidents.change_severity(world.db, actor, 1, "p2")


def test_other_workspace_keys_are_not_found(world: World) -> None:
    incidents.declare(world.db, world.actor(), title="Acme secret outage")
    other = workspaces.create_workspace(world.db, "globex")
    outsider = Actor(other.id or 0, None, "globex-bot", Role.OWNER, "api")
    with pytest.raises(NotFound, match="No incident INC-0001 in this workspace"):
        queries.get_detail(world.db, other.id or 0, "INC-0001")
    with pytest.raises(NotFound):
        incidents.transition(world.db, outsider, 1, Move.INVESTIGATE)
    assert queries.list_incidents(world.db, other.id or 0) == []


def test_edit_incident_only_commander_or_admin(world: World) -> None:
    incidents.declare(world.db, world.actor(), title="Old title")
    with pytest.raises(PermissionDenied):
        incidents.edit_incident(world.db, world.actor_for(0), 1, title="New")
    incident = incidents.edit_incident(world.db, world.actor(), 1, title="New title",
                                       services=["api"])
    assert incident.title == "New title" and incident.services == ["api"]
    with pytest.raises(InvalidInput, match="Cannot edit severity"):
        incidents.edit_incident(world.db, world.actor(Role.ADMIN), 1, severity="p1")


def test_unlink_postmortem_is_admin_only(world: World) -> None:
    actor = world.actor()
    incidents.declare(world.db, actor, title="x")
    incidents.transition(world.db, actor, 1, Move.INVESTIGATE)
    incidents.transition(world.db, actor, 1, Move.RESOLVE)
    incidents.transition(world.db, actor, 1, Move.OPEN_POST_MORTEM)
    with pytest.raises(PermissionDenied):
        incidents.unlink_postmortem(world.db, actor, 1)
    incidents.unlink_postmortem(world.db, world.actor(Role.OWNER), 1)
    with world.db.read() as s:
        assert s.exec(select(Postmortem)).first() is None


def test_idempotency_key_returns_the_first_incident(world: World) -> None:
    actor = world.actor()
    first = incidents.declare(world.db, actor, title="From Datadog", idempotency_key="dd-1")
    again = incidents.declare(world.db, actor, title="From Datadog", idempotency_key="dd-1")
    assert first.id == again.id
    assert len(queries.list_incidents(world.db, world.ws_id)) == 1
