"""AI first drafts: the real openai client against a fake chat-completions server on
loopback. A good answer becomes a draft people accept; a slow, failing or absurd one leaves
a clear note and the draft from the record."""

from collections.abc import Iterator

import pytest
from sqlmodel import select

from core.fsm import Move
from core.postmortem import Section
from services import incidents, postmortems, timeline, workspaces
from services.actor import Actor
from services.postmortem_view import get_postmortem
from store.models import Outbox
from tests.conftest import World
from vigilo.app import Vigilo, build
from vigilo.sandbox.ai_fake import FakeChatModel
from vigilo.settings import Settings


@pytest.fixture(name="model")
def model_fixture() -> Iterator[FakeChatModel]:
    with FakeChatModel(api_key="sk-test") as fake:
        yield fake


def app(world: World, model: FakeChatModel, *, key: str = "sk-test",
        timeout: str = "2") -> Vigilo:
    return build(Settings(ai={"VIGILO_AI_BASE_URL": model.base_url, "VIGILO_AI_API_KEY": key,
                              "VIGILO_AI_MODEL": "test-model", "VIGILO_AI_TIMEOUT": timeout}),
                 db=world.db, run_worker=False)


def open_postmortem(world: World) -> None:
    actor = world.actor()
    incidents.declare(world.db, actor, title="Checkout is down", services="checkout")
    timeline.append_entry(world.db, actor, 1, "rolling back build 512")
    incidents.declare(world.db, actor, title="Unrelated search slowness")
    incidents.transition(world.db, actor, 1, Move.INVESTIGATE)
    incidents.transition(world.db, actor, 1, Move.RESOLVE, root_cause="build 512")
    incidents.transition(world.db, actor, 1, Move.OPEN_POST_MORTEM)


def test_opening_asks_the_model_with_this_incidents_record_only(world: World,
                                                                 model: FakeChatModel) -> None:
    other = workspaces.create_workspace(world.db, "globex", "Globex")
    member = workspaces.add_member(world.db, other.id or 0, "UGLOBEX", "Gina")
    incidents.declare(world.db, Actor(other.id or 0, member.id, "Gina", "engineer", "slack"),
                      title="Globex secret outage")
    vigilo = app(world, model)
    open_postmortem(world)
    vigilo.worker.drain()
    [prompt] = model.prompts()
    assert "Checkout is down" in prompt and "rolling back build 512" in prompt
    assert "Unrelated search slowness" not in prompt and "Globex" not in prompt
    assert model.requests[0]["model"] == "test-model"
    view = get_postmortem(world.db, world.ws_id, 1)
    summary = view.section(Section.SUMMARY)
    assert summary.is_draft and summary.draft_source == "ai:test-model"
    assert summary.draft.startswith("AI summary of INC-0001")
    assert view.section(Section.CONTRIBUTING).draft.startswith("- No canary")
    # The impact section (durations) stays the record's; nothing is accepted by itself.
    assert view.section(Section.IMPACT).draft_source == "record"
    assert all(not s.text for s in view.sections)
    postmortems.edit_section(world.db, world.actor(), 1, Section.SUMMARY, summary.draft)
    assert get_postmortem(world.db, world.ws_id, 1).section(Section.SUMMARY).text


@pytest.mark.parametrize("fault,why", [
    ("slow", "did not answer within 0.5 s"),
    ("500", "answered HTTP 500"),
    ("empty", "answer was empty"),
    ("prose", "did not answer with JSON"),
    ("shape", "'summary' in the model's answer was not text"),
    ("huge", "more than a section holds"),
])
def test_a_bad_answer_leaves_the_records_draft_and_says_why(world: World, model: FakeChatModel,
                                                            fault: str, why: str) -> None:
    model.fault, model.delay = fault, 2.0
    vigilo = app(world, model, timeout="0.5")
    open_postmortem(world)
    before = get_postmortem(world.db, world.ws_id, 1).section(Section.ROOT_CAUSE).draft
    vigilo.worker.drain()
    view = get_postmortem(world.db, world.ws_id, 1)
    cause = view.section(Section.ROOT_CAUSE)
    assert cause.draft == before == "build 512" and cause.draft_source == "record"
    assert why in cause.draft_note and "from the incident's record" in cause.draft_note
    with world.db.read() as s:
        effect = s.exec(select(Outbox).where(Outbox.kind == "ai.draft_postmortem")).one()
    assert effect.status == "dead" and why in (effect.last_error or "")


def test_a_refused_key_is_explained(world: World, model: FakeChatModel) -> None:
    vigilo = app(world, model, key="sk-wrong")
    open_postmortem(world)
    vigilo.worker.drain()
    note = get_postmortem(world.db, world.ws_id, 1).section(Section.SUMMARY).draft_note
    assert "refused the API key (check VIGILO_AI_API_KEY)" in note


def test_asking_again_redrafts_only_unwritten_sections(world: World,
                                                       model: FakeChatModel) -> None:
    vigilo = app(world, model)
    open_postmortem(world)
    vigilo.worker.drain()
    postmortems.edit_section(world.db, world.actor(), 1, Section.SUMMARY, "Ours.")
    model.content = ('{"summary": "new", "root_cause": "new cause", '
                     '"contributing_factors": ["one", "two"]}')
    postmortems.request_ai_draft(world.db, world.actor(), 1)
    assert "Asking the AI" in get_postmortem(world.db, world.ws_id, 1).section(
        Section.ROOT_CAUSE).draft_note
    vigilo.worker.drain()
    view = get_postmortem(world.db, world.ws_id, 1)
    assert len(model.requests) == 2 and view.section(Section.SUMMARY).text == "Ours."
    assert view.section(Section.ROOT_CAUSE).draft == "new cause"
    assert view.section(Section.CONTRIBUTING).draft == "- one\n- two"
    assert view.section(Section.ROOT_CAUSE).draft_note == ""


def test_without_ai_the_effect_is_skipped_and_the_record_draft_stands(world: World) -> None:
    vigilo = build(Settings(), db=world.db, run_worker=False)
    open_postmortem(world)
    vigilo.worker.drain()
    with world.db.read() as s:
        effect = s.exec(select(Outbox).where(Outbox.kind == "ai.draft_postmortem")).one()
    assert effect.status != "pending"
    assert get_postmortem(world.db, world.ws_id, 1).section(Section.ROOT_CAUSE).draft == (
        "build 512")
