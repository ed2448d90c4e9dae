"""How a declaration is written: the same rows on SQLite and PostgreSQL, and on PostgreSQL
one statement before the one that takes the number and commits."""

from typing import Any

from sqlalchemy import event
from sqlmodel import SQLModel, col, select

from core.permissions import Role
from services import incidents, workspaces
from services.actor import Actor
from store.db import Database
from store.models import AuditLog, IncidentResponder, Outbox, TimelineEvent
from tests.conftest import World


def test_a_declaration_writes_the_incident_its_entry_people_audit_and_effects(
        world: World) -> None:
    commander = world.members[Role.ADMIN]
    incident = incidents.declare(world.db, world.actor(), title="Checkout's down — 100%",
                                 severity="p2", services="checkout",
                                 commander_id=commander.id, idempotency_key="slack:T1")
    assert (incident.number, incident.status) == (1, "open")
    with world.db.read() as session:
        entry = session.exec(select(TimelineEvent)).one()
        people = session.exec(select(IncidentResponder.member_id, IncidentResponder.role)
                              .order_by(col(IncidentResponder.role))).all()
        audit = session.exec(select(AuditLog)).one()
        effects = session.exec(select(Outbox).order_by(col(Outbox.id))).all()
    assert entry.incident_id == incident.id and entry.label == "created"
    assert entry.text == (f"{world.actor().name} declared INC-0001 (p2, high): "
                          "Checkout's down — 100%")
    assert entry.payload == {"severity": "p2", "services": ["checkout"],
                             "commander_id": commander.id}
    assert (entry.actor, entry.actor_id, entry.source) == (
        world.actor().name, world.actor().member_id, world.actor().source)
    assert people == [(commander.id, "commander"), (world.actor().member_id, "responder")]
    assert (audit.action, audit.incident_id, audit.detail) == (
        "incident.declared", incident.id, {"title": "Checkout's down — 100%", "severity": "p2"})
    assert [e.kind for e in effects] == ["slack.create_channel", "slack.setup_channel",
                                         "pagerduty.trigger", "twilio.page_oncall",
                                         "statuspage.publish"]
    assert all(e.incident_id == incident.id and e.payload["incident_id"] == incident.id
               for e in effects)
    again = incidents.declare(world.db, world.actor(), title="Checkout's down — 100%",
                              idempotency_key="slack:T1")
    assert again.id == incident.id  # the same key is the same declaration


def test_on_postgresql_one_statement_comes_before_the_commit(pg_url: str) -> None:
    db = Database.from_url(pg_url)
    try:
        SQLModel.metadata.create_all(db.engine)
        ws = workspaces.create_workspace(db, "acme", "Acme")
        member = workspaces.add_member(db, ws.id or 0, "UADA", "Ada", Role.ENGINEER)
        actor = Actor(ws.id or 0, member.id, member.display_name, Role.ENGINEER, "slack")
        sent: list[str] = []

        def seen(*args: Any) -> None:
            sent.append(args[2])

        event.listen(db.engine, "before_cursor_execute", seen)
        incidents.declare(db, actor, title="Checkout is down", severity="p3")
        event.remove(db.engine, "before_cursor_execute", seen)
        # The incident, its entry and the settings; the number, the people, the audit row,
        # the effects and COMMIT are one more round trip (store.db.commit_returning).
        assert len(sent) == 1 and sent[0].startswith("WITH made AS (INSERT INTO incident")
    finally:
        db.dispose()
