"""Postmortems from the incident's record: sections, drafts, review, publish, unlink."""

from datetime import datetime

import pytest
from sqlmodel import col, select

from core.errors import IllegalTransition, InvalidInput, NotFound, PermissionDenied
from core.fsm import Move, Status
from core.permissions import Role
from core.postmortem import PmMove, PmStatus, Section
from services import incidents, postmortems, queries, timeline
from services.postmortem_view import get_postmortem
from store.models import AuditLog, Outbox, Postmortem
from store.postmortem_models import PostmortemSection, PostmortemStatusChange
from tests.conftest import World


def resolved(world: World, cause: str | None = "a bad deploy of checkout") -> str:
    actor = world.actor()
    incidents.declare(world.db, actor, title="Checkout is down", severity="p1",
                      services="checkout")
    timeline.append_entry(world.db, actor, 1, "rolled back the deploy")
    incidents.transition(world.db, actor, 1, Move.INVESTIGATE)
    incidents.transition(world.db, actor, 1, Move.MITIGATE)
    incidents.transition(world.db, actor, 1, Move.RESOLVE, root_cause=cause)
    return "INC-0001"


def opened(world: World) -> str:
    key = resolved(world)
    incidents.transition(world.db, world.actor(), key, Move.OPEN_POST_MORTEM)
    return key


def test_opening_copies_the_timeline_and_drafts_from_the_record(world: World) -> None:
    key = opened(world)
    view = get_postmortem(world.db, world.ws_id, key, whole_timeline=True)
    assert view.status == PmStatus.DRAFT and view.incident_status == "post_mortem"
    labels = [e["label"] for e in view.timeline]
    assert labels[0] == "created" and "note" in labels and view.timeline_total == len(labels)
    assert all(isinstance(e["id"], int) for e in view.timeline)
    summary = view.section(Section.SUMMARY)
    assert summary.is_draft and summary.text == "" and summary.draft_source == "record"
    assert "INC-0001 (P1, critical): Checkout is down." in summary.draft
    assert "Engineer (" in summary.draft  # who did what
    assert view.section(Section.ROOT_CAUSE).draft == "a bad deploy of checkout"
    impact = view.section(Section.IMPACT).draft
    assert "Detected:" in impact and "Acknowledged:" in impact and "Resolved:" in impact
    assert [s.name for s in view.stones] == ["detected", "acknowledged", "mitigated",
                                            "resolved"]
    assert [h.status for h in view.history] == ["draft"] and view.history[0].actor == "Engineer"


def test_opening_twice_keeps_one_postmortem(world: World) -> None:
    key = opened(world)
    incidents.force_status(world.db, world.actor(Role.ADMIN), key,
                           Status.RESOLVED, "again")
    incidents.transition(world.db, world.actor(), key, Move.OPEN_POST_MORTEM)
    with world.db.read() as s:
        assert len(s.exec(select(Postmortem)).all()) == 1


def test_edit_review_publish_with_who_and_when(world: World) -> None:
    key = opened(world)
    actor = world.actor()
    with pytest.raises(IllegalTransition, match="review first"):
        postmortems.move(world.db, actor, key, PmMove.PUBLISH)
    postmortems.move(world.db, actor, key, PmMove.REVIEW)
    for section in (Section.SUMMARY, Section.IMPACT, Section.ROOT_CAUSE):
        postmortems.edit_section(world.db, actor, key, section, f"{section.value} text")
    postmortems.move(world.db, actor, key, PmMove.PUBLISH)
    view = get_postmortem(world.db, world.ws_id, key)
    assert view.status == PmStatus.PUBLISHED
    assert [h.status for h in view.history] == ["draft", "in_review", "published"]
    published = view.last(PmStatus.PUBLISHED)
    assert published is not None and published.actor == "Engineer"
    assert view.section(Section.SUMMARY).text == "summary text"
    with world.db.read() as s:
        actions = [a.action for a in s.exec(select(AuditLog).order_by(col(AuditLog.id)))]
        announced = [o.payload.get("event") for o in s.exec(select(Outbox).where(
            Outbox.kind == "slack.announce"))]
    assert actions.count("postmortem.section_edited") == 3
    assert "postmortem.in_review" in actions and "postmortem.published" in actions
    assert announced.count("postmortem_status_changed") == 1  # published; review is quiet
    with pytest.raises(IllegalTransition, match="published"):
        postmortems.edit_section(world.db, actor, key, Section.LESSONS, "late")


def test_publishing_needs_the_main_sections(world: World) -> None:
    key = opened(world)
    actor = world.actor()
    postmortems.move(world.db, actor, key, PmMove.REVIEW)
    with pytest.raises(InvalidInput, match="Summary, Impact, Root cause"):
        postmortems.move(world.db, actor, key, PmMove.PUBLISH)
    assert get_postmortem(world.db, world.ws_id, key).status == PmStatus.IN_REVIEW


def test_viewers_cannot_write_and_limits_hold(world: World) -> None:
    key = opened(world)
    with pytest.raises(PermissionDenied):
        postmortems.edit_section(world.db, world.actor(Role.VIEWER), key, Section.SUMMARY, "x")
    with pytest.raises(InvalidInput, match="12,000"):
        postmortems.edit_section(world.db, world.actor(), key, Section.SUMMARY, "x" * 12_001)
    assert get_postmortem(world.db, world.ws_id, key).section(Section.SUMMARY).text == ""


def test_no_postmortem_is_a_clear_error(world: World) -> None:
    key = resolved(world)
    with pytest.raises(NotFound, match="no postmortem yet"):
        postmortems.edit_section(world.db, world.actor(), key, Section.SUMMARY, "x")


def test_unlink_is_admin_only_and_removes_sections(world: World) -> None:
    key = opened(world)
    postmortems.edit_section(world.db, world.actor(), key, Section.SUMMARY, "x")
    with pytest.raises(PermissionDenied):
        incidents.unlink_postmortem(world.db, world.actor(), key)
    incidents.unlink_postmortem(world.db, world.actor(Role.ADMIN), key)
    with world.db.read() as s:
        assert s.exec(select(Postmortem)).first() is None
        assert s.exec(select(PostmortemSection)).first() is None
        assert s.exec(select(PostmortemStatusChange)).first() is None
        assert s.exec(select(AuditLog).where(AuditLog.action == "postmortem.unlinked")).first()


def test_ai_draft_never_replaces_written_text(world: World) -> None:
    key = opened(world)
    postmortems.edit_section(world.db, world.actor(), key, Section.SUMMARY, "ours")
    changed = postmortems.store_ai_draft(world.db, 1, {Section.SUMMARY: "theirs",
                                                       Section.ROOT_CAUSE: "ai cause"}, "ai:m")
    view = get_postmortem(world.db, world.ws_id, key)
    assert changed == 1 and view.section(Section.SUMMARY).text == "ours"
    assert view.section(Section.ROOT_CAUSE).draft == "ai cause"
    assert view.section(Section.ROOT_CAUSE).draft_source == "ai:m"


def test_the_copy_built_by_the_database_matches_the_timeline(world: World) -> None:
    key = opened(world)
    detail = queries.get_detail(world.db, world.ws_id, key)
    copy = get_postmortem(world.db, world.ws_id, key, whole_timeline=True).timeline
    events = [e for e in detail.timeline if e.label != "postmortem_opened"]
    assert [e["id"] for e in copy] == [e.id for e in events]
    for entry, event in zip(copy, events, strict=True):
        assert datetime.fromisoformat(entry["at"]) == event.at
        assert (entry["text"], entry["actor"], entry["payload"]) == (
            event.text, event.actor, event.payload)
