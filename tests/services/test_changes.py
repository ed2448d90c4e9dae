"""services.changes.record: timeline, audit and effects from one domain event."""

from dataclasses import dataclass
from typing import ClassVar

import pytest
from sqlmodel import col, select

from core.events import DomainEvent
from core.policies import POLICIES, EffectSpec
from core.validation import WorkspaceSettings
from services import changes, incidents
from store.models import AuditLog, Outbox
from tests.conftest import World


@dataclass(frozen=True, kw_only=True)
class Pinged(DomainEvent):
    audit: ClassVar[str] = "workspace.pinged"


def ping_policy(event: DomainEvent, settings: WorkspaceSettings) -> list[EffectSpec]:
    return [EffectSpec("slack.announce", "ping", {"n": 1})] if isinstance(event, Pinged) else []


def test_a_workspace_effect_needs_no_incident(world: World,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(POLICIES, "ping", ping_policy)
    actor = world.actor()
    for _ in range(2):  # the same change twice is one effect
        with world.db.transaction() as session:
            assert changes.record(session, actor, changes.event(Pinged, actor), "ping") is None
    with world.db.read() as session:
        [row] = session.exec(select(Outbox)).all()
        audits = session.exec(select(AuditLog.action)).all()
    assert (row.incident_id, row.lane, row.payload) == (None, f"slack:ws{world.ws_id}", {"n": 1})
    assert row.idempotency_key == f"slack.announce:ws{world.ws_id}:ping"
    assert audits == ["workspace.pinged", "workspace.pinged"]


def test_effects_are_keyed_by_the_timeline_entry_that_records_the_change(world: World) -> None:
    actor = world.actor()
    incidents.declare(world.db, actor, title="x", severity="p1")
    incidents.change_severity(world.db, actor, 1, "p2")
    with world.db.read() as session:
        rows = session.exec(select(Outbox).order_by(col(Outbox.id))).all()
    announce = next(r for r in rows if r.kind == "slack.announce")
    assert announce.payload["event"] == "severity_changed"
    assert announce.payload["old"] == "p1" and announce.payload["new"] == "p2"
    assert announce.idempotency_key.endswith(f":{announce.payload['event_id']}")
